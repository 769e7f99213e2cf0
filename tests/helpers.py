"""Small helpers shared by the tests of every app: the portal's time zone, logging a web client in, reading an
API list or a (possibly streamed) response, a blank PDF and the files stored under a folder. Fixtures live in
tests/conftest.py; these are plain functions and constants to import."""

from __future__ import annotations

import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from django.shortcuts import resolve_url
from pypdf import PdfReader, PdfWriter

WIB = ZoneInfo("Asia/Jakarta")


def login(client, user):
    """The Django test client, logged in as ``user`` (no password round trip)."""
    client.force_login(user)
    return client


def rows(client, url: str, **params) -> list[dict]:
    """Every result of an API list (a URL name or a path), on one page; the list must answer 200."""
    response = client.get(resolve_url(url), {"page_size": 1000, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def content(response) -> bytes:
    """The body of a response, streamed (a file) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def blank_pdf() -> bytes:
    """A valid one-page PDF with nothing on it."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def stored_files(root: Path) -> list[Path]:
    """The files below ``root`` (none when it does not exist yet)."""
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pdf_text(path: str) -> str:
    """The text of a stored PDF (a letter, a report), whitespace folded, for assertions on what it says."""
    from portal import files

    with files.open_stored(path) as stream:
        reader = PdfReader(io.BytesIO(stream.read()))
        return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
