"""Inbox read marks: one service for the web and the API (``portal.services``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.models import Delivery, Notification

pytestmark = pytest.mark.django_db


def message_for(user, kecamatan, key: str) -> Notification:
    delivery = Delivery.objects.create(
        event_key=key,
        kind=Notification.Kind.REMINDER,
        channel=Delivery.Channel.INAPP,
        recipient=user,
        kecamatan=kecamatan,
        payload={},
        next_attempt_at=timezone.now(),
    )
    return Notification.objects.create(
        recipient=user, delivery=delivery, kind=Notification.Kind.REMINDER, title="Pengingat", message="Uji"
    )


def test_mark_read_keeps_the_first_time_and_refuses_another_users_message(tenancy):
    mine = message_for(tenancy.operator_a, tenancy.kecamatan, "uji:1")
    theirs = message_for(tenancy.operator_b, tenancy.kecamatan, "uji:2")
    first = services.notification_mark_read(user=tenancy.operator_a, notification=mine).read_at
    assert first is not None
    assert services.notification_mark_read(user=tenancy.operator_a, notification=mine).read_at == first
    for user in (tenancy.operator_a, tenancy.kasi_tapem, tenancy.outsider):
        with pytest.raises(PermissionDenied):
            services.notification_mark_read(user=user, notification=theirs)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_the_users_own_inbox(tenancy):
    for n in range(3):
        message_for(tenancy.operator_a, tenancy.kecamatan, f"uji:a{n}")
    other = message_for(tenancy.kasi_tapem, tenancy.kecamatan, "uji:k")
    assert services.notifications_mark_all_read(user=tenancy.operator_a) == 3
    assert services.notifications_mark_all_read(user=tenancy.operator_a) == 0
    other.refresh_from_db()
    assert other.read_at is None


def test_web_and_api_mark_through_the_service(tenancy, client, monkeypatch):
    calls = []
    for name in ("notification_mark_read", "notifications_mark_all_read"):
        real = getattr(services, name)
        monkeypatch.setattr(services, name, lambda real=real, name=name, **kw: calls.append(name) or real(**kw))
    note = message_for(tenancy.operator_a, tenancy.kecamatan, "uji:web")
    client.force_login(tenancy.operator_a)
    assert client.post(reverse("inbox-read", args=[note.pk])).status_code == 302
    assert client.post(reverse("inbox-read-all")).status_code == 302
    api = tenancy.client(tenancy.operator_a)
    assert api.post(reverse("api:notification-read", args=[note.pk])).json()["read"] is True
    assert api.post(reverse("api:notification-read-all")).json() == {"marked": 0}
    assert calls == ["notification_mark_read", "notifications_mark_all_read"] * 2
