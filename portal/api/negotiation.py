"""Content negotiation of the API's file downloads (an export, a letter, a stored upload)."""

from __future__ import annotations

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class FileNegotiation(DefaultContentNegotiation):
    """A client that asks for the file's own type (``Accept: application/pdf``) must get the file, not a 406:
    the view answers with the bytes itself, so the renderer only ever shapes an error, which stays JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
