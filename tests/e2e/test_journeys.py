"""A journey per role, on an office monitor (1366×768) and on a phone (390×844): log in through the real form,
land on the home page, find there what needs this role now (in a world built so each role has something), and
follow every item to the page where it is done. The home page and the first item's page, reached by a click,
fit the window and pass axe-core (WCAG 2.1 A/AA, nothing serious or critical); every item's page offers the
form or button that acts on that item, visible to this user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.urls import ResolverMatch, resolve, reverse
from django.utils import timezone

from attendance.choices import RequestState
from attendance.models import Leave
from attendance.views_requests import PER_PAGE
from monev import services as monev_services
from monev.models import Obligation
from musrenbang import rules as musrenbang_rules
from musrenbang import services as musrenbang_services
from musrenbang.choices import MeetingKind
from musrenbang.views import current_cycle
from portal.choices import Role
from tests.attendance.test_views_review import status
from tests.e2e.helpers import SIZES, problems_on
from tests.factories import UserFactory
from tests.monev.conftest import pdf_upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Journey:
    username: str
    first: str  # the section whose first item is the role's first action (sections come in order of urgency)
    sections: frozenset[str]  # the home sections that must hold at least one item for this role
    request_button: str = ""  # what a waiting leave or koreksi absen offers this role: decide it, or withdraw it


JOURNEYS = {
    Role.KASI_TAPEM: Journey(
        "kasitapem", "monev-late", frozenset({"monev-late", "monev-waiting", "monev-escalated", "monev-soon"})
    ),
    Role.OPERATOR_DESA: Journey(
        "op_a", "monev-returned", frozenset({"monev-returned", "monev-due", "attendance-requests", "notices"}), "cancel"
    ),
    Role.CAMAT: Journey(
        "camat", "monev-escalated", frozenset({"monev-escalated", "attendance-today", "attendance-requests"}), "approve"
    ),
    Role.KASI_PMD: Journey("kasipmd", "musrenbang-cycle", frozenset({"musrenbang-cycle", "musrenbang-action"})),
}


@pytest.fixture
def world(site, tenancy):
    """The shared e2e world (``site``) plus, dated from today so that it needs someone now whatever the
    calendar says: desa B's RKPDes 60 days late (past its first escalation day), desa B's LPPD sent and waiting
    for verification, desa A's LPPD returned for correction, desa A's IPPD due in 5 days, a page of leave
    already decided above the one still waiting, today's attendance of both desa, a Kasi PMD, and the current
    Musrenbang cycle's Musdes overdue (planned three days ago, its window still open) with the kecamatan forum
    scheduled."""
    today = timezone.localdate()
    Obligation.objects.filter(desa=tenancy.desa_b, document_type__code="RKPDES").update(
        due_date=today - dt.timedelta(days=60)
    )
    Obligation.objects.filter(desa=tenancy.desa_a, document_type__code="IPPD").update(
        due_date=today + dt.timedelta(days=5)
    )
    lppd = {o.desa_id: o for o in Obligation.objects.filter(document_type__code="LPPD", year=2026)}
    monev_services.submission_create(
        actor=tenancy.operator_b, obligation=lppd[tenancy.desa_b.pk], document=pdf_upload()
    )
    returned = monev_services.submission_create(
        actor=tenancy.operator_a, obligation=lppd[tenancy.desa_a.pk], document=pdf_upload()
    )
    monev_services.submission_review(
        actor=tenancy.kasi_tapem, submission=returned, decision="return", note="Tanda tangan Kepala Desa belum ada"
    )
    # A busy leave list: a page's worth of requests already decided, dated after the one still waiting.
    Leave.objects.bulk_create(
        Leave(
            perangkat=tenancy.perangkat_a,
            kind=Leave.Kind.CUTI,
            date_from=today + dt.timedelta(days=n),
            date_to=today + dt.timedelta(days=n),
            requested_by=tenancy.operator_a,
            state=RequestState.REJECTED,
            decided_by=tenancy.camat,
            decided_at=timezone.now(),
        )
        for n in range(PER_PAGE)
    )
    status(tenancy.perangkat_a, today, "TL1", late=12)
    status(tenancy.perangkat_b, today, "H")
    kasi_pmd = UserFactory(username="kasipmd", role=Role.KASI_PMD, kecamatan=tenancy.kecamatan)
    cycle = current_cycle(today)
    musrenbang_services.meetings_schedule(
        actor=kasi_pmd,
        kecamatan=tenancy.kecamatan,
        year=cycle,
        kind=MeetingKind.MUSDES,
        planned_date=today - dt.timedelta(days=3),
        window=(today - dt.timedelta(days=30), today + dt.timedelta(days=30)),
    )
    forum_start, _ = musrenbang_rules.default_window(MeetingKind.KECAMATAN, cycle)
    musrenbang_services.meetings_schedule(
        actor=kasi_pmd,
        kecamatan=tenancy.kecamatan,
        year=cycle,
        kind=MeetingKind.KECAMATAN,
        planned_date=forum_start + dt.timedelta(days=14),
    )
    return tenancy


@dataclass(frozen=True)
class HomeItem:
    section: str  # the section's key
    text: str
    href: str

    @property
    def view(self) -> ResolverMatch:
        return resolve(urlsplit(self.href).path)


# Where each kind of item lands, the control that does the job there (a locator that must be visible).
OBLIGATION_FORMS = {
    "monev-late": "sanction-form",  # record a teguran
    "monev-escalated": "sanction-form",
    "monev-waiting": "review-form",  # accept or return the version waiting
    "monev-returned": "submit-form",  # send the corrected version
    "monev-due": "submit-form",
}


def _obligation_action(page, item: HomeItem, journey: Journey):
    return page.get_by_test_id(OBLIGATION_FORMS[item.section])


def _extension_action(page, item: HomeItem, journey: Journey):
    # Not late yet: the Kasi's lever on a deadline coming is a dispensasi (a new deadline).
    extend = reverse("monev-extend", args=[item.view.kwargs["pk"]])
    return page.locator(f'form[action="{extend}"]')


def _notice_action(page, item: HomeItem, journey: Journey):
    # The inbox lists each notice as a button that marks it read and opens what it is about.
    return page.get_by_test_id("inbox").get_by_role("button", name=item.text)


def _grid_action(page, item: HomeItem, journey: Journey):
    # The desa's month grid, where the Camat writes an evaluation note (and a teguran).
    return page.get_by_test_id("note-form")


def _request_action(page, item: HomeItem, journey: Journey):
    # "Izin: <perangkat>, <kind>" or "Koreksi absen: <perangkat>, <kind>": that person's waiting request.
    who = item.text.split(": ", 1)[1].rsplit(", ", 1)[0]
    row = page.locator("tbody tr[data-state=diajukan]").filter(has_text=who)
    return row.get_by_test_id(journey.request_button)


def _musrenbang_action(page, item: HomeItem, journey: Journey):
    # The board schedules the cycle; a meeting's page records that it was held.
    return page.get_by_test_id("record-form" if item.view.url_name == "musrenbang-meeting" else "schedule-form")


ACTIONS = {
    **dict.fromkeys(OBLIGATION_FORMS, _obligation_action),
    "monev-soon": _extension_action,
    "notices": _notice_action,
    "attendance-today": _grid_action,
    "attendance-flags": _grid_action,
    "attendance-ranking": _grid_action,
    "attendance-requests": _request_action,
    "musrenbang-cycle": _musrenbang_action,
    "musrenbang-action": _musrenbang_action,
}

# Each item link of the home sections as [section key, text, href], in the order shown.
COLLECT_ITEMS = """
[...document.querySelectorAll("[data-testid=home-sections] section[data-testid^=section-]")].flatMap((s) =>
  [...s.querySelectorAll("ul.list-group a")].map((a) =>
    [s.dataset.testid.replace(/^section-/, ""), a.textContent.trim(), a.getAttribute("href")])
)
"""


def items_on_home(page) -> list[HomeItem]:
    return [HomeItem(*row) for row in page.evaluate(COLLECT_ITEMS)]


def action_missing(page, item: HomeItem, journey: Journey) -> str:
    """Why the open page does not let this user act on the item ("" when it does)."""
    finder = ACTIONS.get(item.section)
    if finder is None:
        return f"no expectation for section {item.section!r}: say in ACTIONS what its items' pages offer"
    control = finder(page, item, journey)
    return "" if control.first.is_visible() else f"nothing to act with ({control})"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", JOURNEYS)
def test_home_leads_each_role_to_where_its_work_is_done(world, page, login, live_server, role, size):
    journey = JOURNEYS[role]
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    login(journey.username)  # the real form; waits for the home page
    url = live_server.url
    report = {}
    if found := problems_on(page):
        report["/"] = found

    items = items_on_home(page)
    with_items = {item.section for item in items}
    assert journey.sections <= with_items, f"{journey.username}: no item in {sorted(journey.sections - with_items)}"

    # The first action, through the UI: click the first item and check the page it opens.
    first = items[0]
    assert first.section == journey.first, f"{journey.username}: the first item is in {first.section}"
    page.get_by_test_id("home-sections").locator("section ul.list-group a").first.click()
    page.wait_for_url(url + first.href)
    found = problems_on(page)
    if missing := action_missing(page, first, journey):
        found.append(missing)
    if found:
        report[f"first item: {first.text} → {first.href}"] = found

    # Every item, opened: a page that answers and offers what acts on the item.
    for item in dict.fromkeys(items):
        response = page.goto(url + item.href)
        if response.status >= 400:
            report[f"{item.section}: {item.text} → {item.href}"] = [f"HTTP {response.status}"]
        elif missing := action_missing(page, item, journey):
            report[f"{item.section}: {item.text} → {item.href}"] = [missing]
    assert report == {}, f"{journey.username} at {size}:\n" + "\n".join(
        f"{where}\n  " + "\n  ".join(found) for where, found in report.items()
    )
