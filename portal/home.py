"""What needs a user now: the sections of the home page (``/``) and of the desa hub (``/desa/<kode>/``),
contributed by the apps without ``portal`` importing any of them (like ``portal.milestones``).

An app registers in its ``AppConfig.ready``: ``register(home=…, desa=…)``. A home provider takes
``(user, today)`` and answers the sections that user's role needs (an empty list for a role it does not
serve); a desa provider takes ``(user, desa, today)`` for a desa already in the user's scope. Every provider
reads through its app's scoped selectors, and must ask the database a fixed number of times, whatever the
number of desa (``tests/portal/test_home.py`` counts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from portal.models import Desa, Notification, User


@dataclass
class Item:
    """One line: what it is, where it is acted on, and an optional date or figure beside it."""

    text: str
    url: str
    detail: str = ""
    tone: str = ""  # "" | "danger" | "warning" | "success": a Bootstrap text colour


@dataclass
class Section:
    key: str  # stable, for tests and ``data-testid``
    title: str
    url: str  # the full page
    items: list[Item] = field(default_factory=list)
    total: int | None = None  # when ``items`` is only the head of a longer list
    empty: str = ""  # said when there is nothing
    summary: str = ""  # one line above the items
    order: int = 100  # smaller first

    @property
    def more(self) -> int:
        return max((self.total or 0) - len(self.items), 0)


HomeProvider = Callable[[User, dt.date], list[Section]]
DesaProvider = Callable[[User, Desa, dt.date], list[Section]]

_home: list[HomeProvider] = []
_desa: list[DesaProvider] = []


def register(*, home: HomeProvider | None = None, desa: DesaProvider | None = None) -> None:
    if home is not None and home not in _home:
        _home.append(home)
    if desa is not None and desa not in _desa:
        _desa.append(desa)


def sections(user: User, today: dt.date) -> list[Section]:
    found = [s for provider in _home for s in provider(user, today)]
    return sorted(found, key=lambda s: s.order)


def desa_sections(user: User, desa: Desa, today: dt.date) -> list[Section]:
    found = [s for provider in _desa for s in provider(user, desa, today)]
    return sorted(found, key=lambda s: s.order)


def day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "–"


HEAD = 8  # items shown per section; the rest behind the section's link


# The core's own section: unread notices, for every role --------------------------------------------------

NOTICES_TITLE = _l("Pemberitahuan belum dibaca")


def unread_notices(user: User, today: dt.date) -> list[Section]:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    total = unread.count()
    if not total:
        return []
    items = [
        Item(n.title, reverse("inbox"), detail=day(timezone.localdate(n.created_at)))
        for n in unread.only("title", "created_at").order_by("-created_at", "-id")[:5]
    ]
    return [
        Section(
            "notices",
            str(NOTICES_TITLE),
            reverse("inbox"),
            items,
            total=total,
            summary=_("%(n)d belum dibaca") % {"n": total},
            order=90,
        )
    ]


register(home=unread_notices)
