"""Hardening of the portal core: revocable, expiring API tokens; an audit log of security events; one rate limit
on the doors that take a password; production settings that pass `check --deploy`; the admin at its own path."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from portal.models import SecurityEvent
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
Kind = SecurityEvent.Kind


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def token_for(user) -> str:
    response = APIClient().post(reverse("api:api-token"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def api_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.parametrize("body", ["123", "[]", '"x"', "null"])
def test_token_endpoint_answers_400_to_a_body_that_is_not_an_object(db, body):
    response = APIClient().post(reverse("api:api-token"), body, content_type="application/json")
    assert response.status_code == 400
    assert "username" in response.json()["detail"] or response.json()["code"]


def test_a_token_expires_and_is_logged(tenancy, settings):
    token = token_for(tenancy.kasi_tapem)
    me = reverse("api:api-me")
    assert api_with(token).get(me).status_code == 200
    stored = AuthToken.objects.get(user=tenancy.kasi_tapem)
    assert stored.expiry - timezone.now() > dt.timedelta(days=29)  # API_TOKEN_TTL_HOURS default 720
    assert SecurityEvent.objects.filter(kind=Kind.TOKEN_CREATED, user=tenancy.kasi_tapem).count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert api_with(token).get(me).status_code == 401


def test_a_password_change_revokes_every_token(tenancy):
    first, second = token_for(tenancy.operator_a), token_for(tenancy.operator_a)
    other = token_for(tenancy.operator_b)
    tenancy.operator_a.set_password("sandi-baru-yang-panjang-1")
    tenancy.operator_a.save()
    for token in (first, second):
        assert api_with(token).get(reverse("api:api-me")).status_code == 401
    assert api_with(other).get(reverse("api:api-me")).status_code == 200
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED, user=tenancy.operator_a).exists()
    revoked = SecurityEvent.objects.get(kind=Kind.TOKEN_REVOKED, user=tenancy.operator_a)
    assert revoked.detail == {"reason": "password_changed", "count": 2}


def test_revoke_the_token_in_use_or_all_of_them(tenancy):
    first, second, third = (token_for(tenancy.kasi_tapem) for _ in range(3))
    url = reverse("api:api-token-revoke")
    assert api_with(first).post(url).json() == {"revoked": 1}
    assert api_with(first).get(reverse("api:api-me")).status_code == 401
    assert api_with(second).get(reverse("api:api-me")).status_code == 200
    assert api_with(second).post(url + "?all=true").json() == {"revoked": 2}
    assert api_with(third).get(reverse("api:api-me")).status_code == 401
    assert APIClient().post(url).status_code == 401  # anonymous


def test_own_token_page_lists_and_revokes_only_own_tokens(tenancy, client):
    token_for(tenancy.operator_a)
    theirs = token_for(tenancy.operator_b)
    their_key = AuthToken.objects.get(user=tenancy.operator_b).token_key
    client.force_login(tenancy.operator_a)
    page = client.get(reverse("account-tokens")).content.decode()
    mine = AuthToken.objects.get(user=tenancy.operator_a).token_key
    assert mine in page and their_key not in page
    # An outsider's key posted to my page revokes nothing of theirs.
    client.post(reverse("account-tokens-revoke"), {"token_key": their_key})
    assert api_with(theirs).get(reverse("api:api-me")).status_code == 200
    client.post(reverse("account-tokens-revoke"))
    assert not AuthToken.objects.filter(user=tenancy.operator_a).exists()
    assert AuthToken.objects.filter(user=tenancy.operator_b).exists()


def test_admin_action_revokes_a_users_tokens(tenancy, admin_client):
    token = token_for(tenancy.operator_a)
    response = admin_client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "revoke_tokens", "_selected_action": [tenancy.operator_a.pk]},
    )
    assert response.status_code == 302
    assert api_with(token).get(reverse("api:api-me")).status_code == 401
    event = SecurityEvent.objects.get(kind=Kind.TOKEN_REVOKED, user=tenancy.operator_a)
    assert event.actor is not None and event.actor.is_superuser


def test_logins_failures_and_role_changes_are_audited(tenancy, client):
    assert client.post(reverse("login"), {"username": "kasitapem", "password": "salah"}).status_code == 200
    assert client.post(reverse("login"), {"username": "kasitapem", "password": PASSWORD}).status_code == 302
    kinds = list(SecurityEvent.objects.order_by("id").values_list("kind", "username"))
    assert kinds[-2:] == [(Kind.LOGIN_FAILED, "kasitapem"), (Kind.LOGIN, "kasitapem")]
    assert SecurityEvent.objects.filter(kind=Kind.LOGIN).first().ip == "127.0.0.1"
    user = tenancy.operator_a
    user.role = "kepala_desa"
    user.save()
    change = SecurityEvent.objects.get(kind=Kind.ROLE_CHANGED, user=user)
    assert change.detail["changes"] == {"role": ["operator_desa", "kepala_desa"]}


def test_one_rate_limit_for_the_web_login_and_the_token_endpoint(tenancy, client, settings):
    settings.AUTH_RATE = "3/min"
    for _ in range(2):
        client.post(reverse("login"), {"username": "nobody", "password": "x"})
    assert APIClient().post(reverse("api:api-token"), {"username": "nobody", "password": "x"}).status_code == 400
    blocked = APIClient().post(reverse("api:api-token"), {"username": "kasitapem", "password": PASSWORD})
    assert blocked.status_code == 429
    page = client.post(reverse("login"), {"username": "kasitapem", "password": PASSWORD})
    assert page.status_code == 429 and "Tunggu satu menit" in page.content.decode()


def _run_django(code: str, **env) -> subprocess.CompletedProcess:
    dropped = ("DATABASE_URL", "SECRET_KEY_FILE", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the browser tests set the last
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def production_env(tmp_path) -> dict:
    """The production environment the README's "Deployment" section gives."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "pantau.pucuk.example",
        "CSRF_TRUSTED_ORIGINS": "https://pantau.pucuk.example",
        "SECURE_COOKIES": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO=https",
        "VAR_DIR": str(tmp_path),
    }


def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    code = (
        "import django, sys; django.setup(); from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = _run_django(code, **production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_a_bad_proxy_header_setting_stops_the_start(tmp_path):
    env = {**production_env(tmp_path), "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    result = _run_django("import django; django.setup()", **env)
    assert result.returncode != 0 and "SECURE_PROXY_SSL_HEADER" in result.stderr


def test_the_admin_lives_at_the_configured_path(tmp_path):
    code = "import django; django.setup(); from django.urls import reverse; print(reverse('admin:index'))"
    result = _run_django(code, **{**production_env(tmp_path), "ADMIN_URL": "kelola-9f3a"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/kelola-9f3a/"


def test_a_personal_data_export_is_audited(tenancy, client):
    client.force_login(tenancy.kasi_tapem)
    assert client.get(reverse("perangkat-export"), {"aktif": "1"}).status_code == 200
    event = SecurityEvent.objects.get(kind=Kind.EXPORT_PERSONAL)
    assert (event.user, event.detail["export"], event.detail["rows"]) == (tenancy.kasi_tapem, "perangkat", 2)
