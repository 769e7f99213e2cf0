import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_with_password_lands_on_dashboard(client, tenancy):
    response = client.post(reverse("login"), {"username": "op_a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Desa Pucuk" in response.content.decode()


def test_wrong_password_error_is_indonesian(client, tenancy):
    response = client.post(reverse("login"), {"username": "op_a", "password": "salah"})
    assert "nama pengguna dan sandi yang benar" in response.content.decode().lower()


def test_repeated_failures_lock_the_account(client, tenancy, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "op_a", "password": "salah"})
    response = client.post(reverse("login"), {"username": "op_a", "password": PASSWORD})
    assert response.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in response.content.decode()


def test_token_endpoint_is_locked_out_too(client, tenancy, settings):
    from rest_framework.test import APIClient

    api = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(reverse("api:api-token"), {"username": "op_b", "password": "salah"}, format="json")
    response = api.post(reverse("api:api-token"), {"username": "op_b", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked"


def test_logout_is_a_post(client, tenancy):
    client.force_login(tenancy.operator_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_change(client, tenancy):
    client.force_login(tenancy.operator_a)
    assert "Ganti kata sandi" in client.get(reverse("password_change")).content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "kata-sandi-baru-77", "new_password2": "kata-sandi-baru-77"},
    )
    assert response.status_code == 302
    tenancy.operator_a.refresh_from_db()
    assert tenancy.operator_a.check_password("kata-sandi-baru-77")


def test_password_reset_sends_an_indonesian_email(client, tenancy):
    response = client.post(reverse("password_reset"), {"email": tenancy.operator_a.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Atur ulang kata sandi Pantau Desa"
    assert "/akun/reset/" in mail.outbox[0].body
