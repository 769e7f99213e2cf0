"""Monev III API: visits (registered by monev/api/urls.py)."""

from __future__ import annotations


def register(router) -> None:
    """Add this part's viewsets to the monev API router."""
