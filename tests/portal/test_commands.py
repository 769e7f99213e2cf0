import io

import pytest
from django.core.management import CommandError, call_command

from portal.models import Desa, Kecamatan, Perangkat, User

pytestmark = pytest.mark.django_db


def test_load_wilayah_is_idempotent():
    call_command("load_wilayah", stdout=io.StringIO())
    call_command("load_wilayah", stdout=io.StringIO())
    assert Kecamatan.objects.get(kode="35.24.13").nama == "Pucuk"
    assert Desa.objects.filter(kecamatan__kode="35.24.13").count() == 17
    assert Desa.objects.get(kode="35.24.13.2017").nama == "Padenganploso"


def test_add_user_reads_password_from_stdin(monkeypatch):
    call_command("load_wilayah", stdout=io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("sandi-yang-panjang-9\n"))
    out = io.StringIO()
    call_command("add_user", "op.pucuk", "--role", "operator_desa", "--desa", "35.24.13.2001", stdout=out)
    user = User.objects.get(username="op.pucuk")
    assert user.check_password("sandi-yang-panjang-9")
    assert user.desa.kode == "35.24.13.2001" and user.kecamatan.kode == "35.24.13"
    assert "Desa Pucuk" in out.getvalue()


def test_add_user_kecamatan_role_and_admin(monkeypatch):
    call_command("load_wilayah", stdout=io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("sandi-yang-panjang-9\n"))
    call_command("add_user", "tapem", "--role", "kasi_tapem", "--kecamatan", "35.24.13", stdout=io.StringIO())
    assert User.objects.get(username="tapem").kecamatan.kode == "35.24.13"
    monkeypatch.setattr("sys.stdin", io.StringIO("sandi-yang-panjang-9\n"))
    call_command("add_user", "root", "--role", "admin", stdout=io.StringIO())
    assert User.objects.get(username="root").is_superuser


@pytest.mark.parametrize(
    "args,message",
    [
        (["--role", "operator_desa"], "memerlukan desa"),
        (["--role", "camat", "--desa", "35.24.13.2001"], "memerlukan kecamatan"),
        (["--role", "operator_desa", "--desa", "35.24.13.9999"], "tidak ditemukan"),
    ],
)
def test_add_user_refuses_a_scope_that_does_not_fit(monkeypatch, args, message):
    call_command("load_wilayah", stdout=io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("sandi-yang-panjang-9\n"))
    with pytest.raises(CommandError, match=message):
        call_command("add_user", "x", *args, stdout=io.StringIO())
    assert not User.objects.filter(username="x").exists()


def test_add_user_refuses_a_weak_password(monkeypatch):
    call_command("load_wilayah", stdout=io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("12345\n"))
    with pytest.raises(CommandError):
        call_command("add_user", "weak", "--role", "camat", "--kecamatan", "35.24.13", stdout=io.StringIO())


def test_the_database_refuses_a_desa_user_without_desa():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="broken", role="operator_desa")


def test_load_demo_once_and_again(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    perangkat = Perangkat.objects.count()
    users = User.objects.count()
    assert Desa.objects.count() == 17
    counts = [Perangkat.objects.filter(desa=d).count() for d in Desa.objects.all()]
    assert min(counts) >= 8 and max(counts) <= 12
    assert User.objects.filter(role="operator_desa").count() == 17
    assert set(User.objects.values_list("role", flat=True)) >= {
        "admin",
        "camat",
        "sekcam",
        "kasi_tapem",
        "kasi_pmd",
        "kasi_ekbang",
        "kasi_trantibum",
        "staf_kecamatan",
        "kepala_desa",
        "operator_desa",
    }
    accounts = (tmp_path / "demo-accounts.txt").read_text().splitlines()
    username, password, *_ = accounts[1].split("\t")
    assert User.objects.get(username=username).check_password(password)
    assert "kasitapem" in out.getvalue()
    call_command("load_demo", stdout=io.StringIO())
    assert (Perangkat.objects.count(), User.objects.count()) == (perangkat, users)
    assert (tmp_path / "demo-accounts.txt").read_text().splitlines() == accounts
