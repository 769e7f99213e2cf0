"""Who may cancel leave and koreksi absen (README, "Users and roles"). The Operator Desa withdraws only a request
still waiting for a decision; revoking an approved one undoes the decision, so it belongs to those who decide:
the Kepala Desa for his desa's perangkat (not his own), kecamatan staff for anyone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from attendance import corrections
from attendance import leave as leave_service
from attendance.models import Leave, PunchCorrection, StatusDirty
from portal.choices import Jabatan
from tests.factories import PerangkatFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 3)


@pytest.fixture
def rina(tenancy):
    return PerangkatFactory(desa=tenancy.desa_a, nama="Rina Wati", jabatan=Jabatan.KAUR_KEUANGAN)


def make_leave(tenancy, perangkat, state=Leave.State.APPROVED) -> Leave:
    decided = state != Leave.State.REQUESTED
    return Leave.objects.create(
        perangkat=perangkat,
        kind=Leave.Kind.CUTI,
        date_from=DAY,
        date_to=DAY,
        requested_by=tenancy.operator_a,
        state=state,
        decided_by=tenancy.kades_a if decided else None,
        decided_at=timezone.now() if decided else None,
    )


def make_correction(tenancy, perangkat, state=PunchCorrection.State.APPROVED) -> PunchCorrection:
    decided = state != PunchCorrection.State.REQUESTED
    return PunchCorrection.objects.create(
        perangkat=perangkat,
        date=DAY,
        kind="in",
        punched_at=dt.datetime(2026, 8, 3, 0, 25, tzinfo=dt.UTC),
        reason="Lupa absen",
        requested_by=tenancy.operator_a,
        state=state,
        decided_by=tenancy.kades_a if decided else None,
        decided_at=timezone.now() if decided else None,
    )


def api_cancel(tenancy, who, kind: str, pk: int):
    name = "api:leave-cancel" if kind == "leave" else "api:punch-correction-cancel"
    return tenancy.client(getattr(tenancy, who)).post(reverse(name, args=[pk]), {"note": ""}, format="json")


def web_cancel(client, tenancy, who, kind: str, pk: int):
    client.force_login(getattr(tenancy, who))
    name = "attendance-leave-cancel" if kind == "leave" else "attendance-correction-cancel"
    return client.post(reverse(name, args=[pk]))


def make(tenancy, kind: str, perangkat, approved: bool = True):
    if kind == "leave":
        return make_leave(tenancy, perangkat, Leave.State.APPROVED if approved else Leave.State.REQUESTED)
    return make_correction(tenancy, perangkat, PunchCorrection.State.APPROVED if approved else "diajukan")


KINDS = ["leave", "correction"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_operator_cannot_cancel_what_the_kepala_desa_approved(client, tenancy, rina, kind):
    row = make(tenancy, kind, rina)
    response = api_cancel(tenancy, "operator_a", kind, row.pk)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert web_cancel(client, tenancy, "operator_a", kind, row.pk).status_code == 403
    row.refresh_from_db()
    assert (row.state, row.decided_by) == ("disetujui", tenancy.kades_a)
    assert not StatusDirty.objects.exists()  # nothing to recompute: nothing changed


@pytest.mark.parametrize("kind", KINDS)
def test_the_operator_withdraws_a_request_still_waiting(tenancy, rina, kind):
    row = make(tenancy, kind, rina, approved=False)
    response = api_cancel(tenancy, "operator_a", kind, row.pk)
    assert response.status_code == 200 and response.json()["state"] == "dibatalkan"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", ["kades_a", "camat", "kasi_tapem"])
def test_the_deciders_revoke_an_approved_one(tenancy, rina, kind, who):
    row = make(tenancy, kind, rina)
    response = api_cancel(tenancy, who, kind, row.pk)
    assert response.status_code == 200 and response.json()["state"] == "dibatalkan"
    assert response.json()["decided_by"] == getattr(tenancy, who).username
    assert StatusDirty.objects.filter(desa=tenancy.desa_a, date=DAY).exists()  # the day is recomputed


@pytest.mark.parametrize("kind", KINDS)
def test_the_kepala_desa_cannot_revoke_his_own_approved_request(tenancy, kind):
    own = make(tenancy, kind, tenancy.perangkat_a)  # perangkat A is the Kepala Desa; the Camat approved it
    assert api_cancel(tenancy, "kades_a", kind, own.pk).status_code == 403
    assert api_cancel(tenancy, "camat", kind, own.pk).json()["state"] == "dibatalkan"


@pytest.mark.parametrize("kind", KINDS)
def test_the_kepala_desa_withdraws_his_own_request_while_it_waits(tenancy, kind):
    own = make(tenancy, kind, tenancy.perangkat_a, approved=False)
    assert api_cancel(tenancy, "kades_a", kind, own.pk).json()["state"] == "dibatalkan"


def test_an_approval_between_the_page_and_the_click_stays(tenancy, rina):
    """The operator opened the list while the leave waited; the Kepala Desa approved it before the click."""
    seen = make_leave(tenancy, rina, Leave.State.REQUESTED)
    Leave.objects.filter(pk=seen.pk).update(state=Leave.State.APPROVED, decided_by=tenancy.kades_a)
    with pytest.raises(ValidationError, match="sudah disetujui"):
        leave_service.leave_cancel(actor=tenancy.operator_a, leave=seen)
    seen.refresh_from_db()
    assert seen.state == Leave.State.APPROVED


def test_a_correction_approved_between_the_page_and_the_click_stays(tenancy, rina):
    seen = make_correction(tenancy, rina, PunchCorrection.State.REQUESTED)
    PunchCorrection.objects.filter(pk=seen.pk).update(state=PunchCorrection.State.APPROVED)
    with pytest.raises(ValidationError, match="sudah disetujui"):
        corrections.correction_cancel(actor=tenancy.operator_a, correction=seen)
    seen.refresh_from_db()
    assert seen.state == PunchCorrection.State.APPROVED


def test_the_services_refuse_too(tenancy, rina):
    with pytest.raises(PermissionDenied):
        leave_service.leave_cancel(actor=tenancy.operator_a, leave=make_leave(tenancy, rina))
    with pytest.raises(PermissionDenied):
        corrections.correction_cancel(actor=tenancy.operator_a, correction=make_correction(tenancy, rina))


@pytest.mark.parametrize("kind", KINDS)
def test_the_cancel_button_follows_the_rule(client, tenancy, rina, kind):
    approved, waiting = make(tenancy, kind, rina), make(tenancy, kind, tenancy.perangkat_a, approved=False)
    page = "attendance-leave" if kind == "leave" else "attendance-corrections"

    def may_cancel(who) -> dict[int, bool]:
        client.force_login(getattr(tenancy, who))
        return {row.pk: row.may_cancel for row in client.get(reverse(page)).context["page"]}

    assert may_cancel("operator_a") == {approved.pk: False, waiting.pk: True}
    assert may_cancel("kades_a") == {approved.pk: True, waiting.pk: True}
    assert may_cancel("camat") == {approved.pk: True, waiting.pk: True}
