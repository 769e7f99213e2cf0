"""Fixtures of the Musrenbang tests: a fake RKPDes date provider in ``portal.milestones`` (the registry is
restored afterwards), standing in for monev."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import milestones


class RkpdesDates(dict):
    """desa id -> the day its RKPDes was set; ``asked`` records every question (desa ids, budget year)."""

    def __init__(self):
        super().__init__()
        self.asked: list[tuple[list[int], int]] = []

    def __call__(self, desa_ids: list[int], year: int) -> dict[int, dt.date]:
        self.asked.append((sorted(desa_ids), year))
        return {pk: day for pk, day in self.items() if pk in desa_ids}


@pytest.fixture
def no_milestones(monkeypatch):
    """An empty registry (as before monev registers its provider); the real one comes back afterwards."""
    monkeypatch.setattr(milestones, "_providers", {})


@pytest.fixture
def rkpdes_dates(no_milestones) -> RkpdesDates:
    provider = RkpdesDates()
    milestones.register(milestones.RKPDES_SET, provider)
    return provider
