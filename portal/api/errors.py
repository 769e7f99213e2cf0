"""One error body for every API failure:

    {"detail": "<pesan>", "code": "<kode>", "fields": {"<field>": ["<pesan>", ...]}}

``fields`` is present only for validation errors. Model ``ValidationError``s raised by services become 400s
with the same shape, so services need not know about DRF. A value the database or the calendar cannot hold
(``OverflowError``, ``DataError``) is the client's mistake too: a 400, never a 500. The filtersets, the path
ids and the business-date validator catch these earlier with a message that names the field; this is the net
under them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub_key, sub_value in _flatten(value).items():
                    out[f"{key}.{sub_key}"] = sub_value
            elif isinstance(value, list):
                out[key] = [str(v) for v in value]
            else:
                out[key] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    # Django's own 404/403 get the same body (and Indonesian text) as DRF's before DRF sees them.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Data tidak ditemukan."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(_("Peran Anda tidak mengizinkan tindakan ini."))
    if isinstance(exc, DjangoValidationError):
        payload = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(payload)
    if isinstance(exc, (OverflowError, DataError)):
        return Response(
            {"detail": _("Nilai di luar jangkauan yang dapat diolah."), "code": "out_of_range"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": _("Data ini masih dipakai oleh data lain dan tidak dapat dihapus."), "code": "protected"},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = {"detail": _("Data tidak valid."), "code": "invalid", "fields": fields}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = detail.code if hasattr(detail, "code") else exc.default_code
        response.data = {"detail": str(detail), "code": code}
    return response
