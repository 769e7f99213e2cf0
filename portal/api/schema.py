"""The error side of the OpenAPI schema. Every failure has the one body of ``portal.api.errors``; this
postprocessing hook adds it as the ``Error`` component and documents, on each operation, the error statuses
the API really answers there:

- 400 where a body, a filter or a business rule can be refused (a body, a query parameter other than paging,
  searching and ordering, or a POST/PUT/PATCH);
- 401 where a login is needed; 403 where a role or the CSRF check can refuse (every write, and reads behind a
  permission stricter than "signed in");
- 404 for a path id (missing or out of scope: both are "not found") and for a page past the last;
- 409 for a DELETE of a row that other rows protect (``ProtectedError``); 429 where a throttle applies.

A view adds what only its code knows (a 404 for a code named in the query, a 403 on a read) with
``@api_errors(…)`` on the handler or the action."""

from __future__ import annotations

from django.db import models
from rest_framework import mixins
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Bentuk tunggal setiap galat API.",
    "properties": {
        "detail": {"type": "string", "description": "Pesan untuk manusia."},
        "code": {"type": "string", "description": "Kode galat yang stabil, mis. invalid, not_found."},
        "fields": {
            "type": "object",
            "description": "Hanya pada galat validasi: pesan per kolom.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "code"],
}
DESCRIPTIONS = {
    400: "Data atau parameter tidak valid, atau ditolak aturan bisnis.",
    401: "Belum masuk, atau token tidak berlaku.",
    403: "Peran Anda tidak mengizinkan tindakan ini.",
    404: "Tidak ditemukan, atau di luar cakupan Anda.",
    409: "Data masih dipakai data lain.",
    429: "Terlalu banyak percobaan; coba lagi nanti.",
}
# Query parameters that never make a 400: an unknown ordering is ignored, a bad page is a 404.
LENIENT_QUERY = {"page", "page_size", "search", "ordering"}
# Permissions that let every signed-in user read (writes are theirs to refuse).
READ_OPEN = (AllowAny, IsAuthenticated)


def api_errors(*codes: int):
    """Document error statuses that only the handler knows it answers (``@api_errors(403, 404)``)."""

    def decorate(func):
        func.api_errors = frozenset(codes) | getattr(func, "api_errors", frozenset())
        return func

    return decorate


def _views(generator) -> dict[tuple[str, str], object]:
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        views[generator.coerce_path(path, method, view), method.lower()] = view
    return views


def _handler(view, method: str):
    action = getattr(view, "action", None)
    return getattr(view, action or method, None)


def _reads_restricted(view) -> bool:
    from portal.api.base import RolePermission

    return any(not issubclass(p, (*READ_OPEN, RolePermission)) for p in view.permission_classes)


def _protected(model) -> bool:
    return any(getattr(rel, "on_delete", None) is models.PROTECT for rel in model._meta.related_objects)


def _codes(operation: dict, method: str, view) -> set[int]:
    codes: set[int] = set()
    query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    has_path_id = any(p.get("in") == "path" for p in operation.get("parameters", []))
    needs_login = {} not in operation.get("security", [{}])
    safe = method.upper() in SAFE_METHODS
    if "requestBody" in operation or query - LENIENT_QUERY or method in ("post", "put", "patch"):
        codes.add(400)
    if "requestBody" in operation:
        codes.add(415)  # a body in a media type the view does not parse (or none named)
    if needs_login:
        codes.add(401)
        if not safe or _reads_restricted(view):
            codes.add(403)
    if has_path_id or "page" in query:
        codes.add(404)
    if method == "delete":
        model = getattr(getattr(view, "queryset", None), "model", None)
        default_destroy = getattr(type(view), "destroy", None) is getattr(mixins.DestroyModelMixin, "destroy", None)
        if model is not None and default_destroy and _protected(model):
            codes.add(409)
    if view.throttle_classes:
        codes.add(429)
    return codes | getattr(_handler(view, method), "api_errors", frozenset())


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the ``Error`` component and each operation's error statuses."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    views = _views(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            view = views.get((path, method))
            if view is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(_codes(operation, method, view)):
                responses.setdefault(str(code), {"description": DESCRIPTIONS.get(code, ""), "content": body})
    return result


def file_responses(*extra_types: str) -> dict:
    """``responses`` of a download of a stored file: one binary body per content type ``portal.files`` stores."""
    from drf_spectacular.types import OpenApiTypes

    from portal import files

    return {(200, content_type): OpenApiTypes.BINARY for content_type in (*files.CONTENT_TYPES.values(), *extra_types)}
