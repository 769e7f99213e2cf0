"""Signals that ``portal`` sends and the apps listen to (``portal`` imports no app).

``calendar_changed`` — days off changed for a kecamatan (``kecamatan_id``; None = every kecamatan) on
``dates``. Sent in the writing transaction, so a receiver that recomputes (monev deadlines, attendance
statuses) commits or rolls back with the change itself. Holiday rows edited one by one (admin, API) send it
through the model receivers below; ``holidays_sync`` sends it once for the rows it wrote in bulk."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal, receiver

from portal.models import HariLibur

calendar_changed = Signal()


@receiver(pre_save, sender=HariLibur, dispatch_uid="portal-holiday-before")
def _holiday_before(sender, instance: HariLibur, **kwargs) -> None:
    old = HariLibur.objects.filter(pk=instance.pk).values("tanggal", "kecamatan_id").first() if instance.pk else None
    instance._calendar_old = old


@receiver([post_save, post_delete], sender=HariLibur, dispatch_uid="portal-holiday-changed")
def _holiday_changed(sender, instance: HariLibur, **kwargs) -> None:
    old = getattr(instance, "_calendar_old", None)
    if old and (old["tanggal"], old["kecamatan_id"]) != (instance.tanggal, instance.kecamatan_id):
        calendar_changed.send(sender=HariLibur, kecamatan_id=old["kecamatan_id"], dates=[old["tanggal"]])
    calendar_changed.send(sender=HariLibur, kecamatan_id=instance.kecamatan_id, dates=[instance.tanggal])


# Security events ----------------------------------------------------------------------------------------------

SCOPE_FIELDS = ("role", "kecamatan_id", "desa_id", "is_active", "is_superuser", "is_staff")


@receiver(user_logged_in, dispatch_uid="portal-security-login")
def _logged_in(sender, request, user, **kwargs) -> None:
    from portal.security import Kind, security_event_record

    security_event_record(kind=Kind.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="portal-security-logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    from portal.security import Kind, security_event_record

    if user is not None:
        security_event_record(kind=Kind.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="portal-security-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    from portal.security import Kind, security_event_record

    security_event_record(kind=Kind.LOGIN_FAILED, username=str(credentials.get("username", ""))[:150], request=request)


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="portal-user-before")
def _user_before(sender, instance, raw: bool = False, **kwargs) -> None:
    old = None
    if instance.pk and not raw:
        old = sender.objects.filter(pk=instance.pk).values("password", *SCOPE_FIELDS).first()
    instance._security_old = old


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="portal-user-changed")
def _user_changed(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A changed password revokes every API token (a stolen token must not outlive the password it came
    with); a changed role or scope is logged with its old and new values."""
    from portal.security import Kind, security_event_record, tokens_revoke

    old = getattr(instance, "_security_old", None)
    if raw or old is None:
        return
    changed = {f: [old[f], getattr(instance, f)] for f in SCOPE_FIELDS if old[f] != getattr(instance, f)}
    if changed:
        security_event_record(kind=Kind.ROLE_CHANGED, user=instance, changes=changed)
    if old["password"] != instance.password:
        security_event_record(kind=Kind.PASSWORD_CHANGED, user=instance)
        tokens_revoke(user=instance, reason="password_changed")
