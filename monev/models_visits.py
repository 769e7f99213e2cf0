"""Monev III models: visits (imported by monev/models.py so Django sees one app)."""

from __future__ import annotations

__all__: list[str] = []
