"""The API's parsers: DRF's, plus two guards at the door. Free text is cleaned of control characters
(``portal.validators.clean_text``, the same cleaner the web forms get through ``CleanTextMiddleware``), and
a JSON body nested deeper than any real request is refused with a 400 instead of exhausting the stack."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from portal.validators import clean_data, clean_querydict

MAX_JSON_DEPTH = 20


def _depth_ok(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("Struktur JSON terlalu dalam."))
        if not _depth_ok(data, MAX_JSON_DEPTH):
            raise ParseError(_("Struktur JSON terlalu dalam (paling banyak %(n)s tingkat).") % {"n": MAX_JSON_DEPTH})
        return clean_data(data)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return clean_querydict(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(clean_querydict(result.data), result.files)
