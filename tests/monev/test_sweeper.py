"""The sweeper re-sends only what was left behind: fresh deliveries were handed over after their commit."""

import datetime as dt

import pytest
from django.utils import timezone

from monev.alerts import alerts_enqueue_due
from portal import notify
from portal.models import Delivery, Notification

pytestmark = pytest.mark.django_db


def test_sweeper_leaves_fresh_deliveries_and_picks_up_stale_ones(tenancy, django_capture_on_commit_callbacks):
    notify.deliveries_create(
        event_key="test:sweep",
        kind="reminder",
        recipients=[tenancy.operator_a],
        kecamatan_id=tenancy.kecamatan.pk,
        desa_id=tenancy.desa_a.pk,
        payload={"title": "Uji", "message": "Pesan uji"},
    )
    now = timezone.now()
    assert alerts_enqueue_due(now=now) == 0  # just created: its own on-commit hand-over covers it
    with django_capture_on_commit_callbacks(execute=True):
        swept = alerts_enqueue_due(now=now + dt.timedelta(minutes=2))  # nobody sent it: sweep
    assert swept == Delivery.objects.filter(event_key="test:sweep").count() > 0
    # Celery runs eagerly in tests: the in-app batch task ran and the email delivery was sent.
    assert Notification.objects.filter(recipient=tenancy.operator_a, title="Uji").count() == 1
    assert not Delivery.objects.filter(event_key="test:sweep").exclude(status="sent").exists()
