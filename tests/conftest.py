"""Shared fixtures. The tenancy fixture follows Healthchecks' alice/bob/charlie: rightful users of one
kecamatan and its desa A and B, and an outsider from another kecamatan who must see none of it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from portal.choices import Jabatan, Role
from portal.models import Desa, Kecamatan, Perangkat, User
from tests.factories import DesaFactory, KecamatanFactory, PerangkatFactory, UserFactory
from tests.helpers import login

PASSWORD = "rahasia-uji-123"
IN_CI = os.environ.get("CI") == "true"


def need_service(name: str, value: str | None) -> str:
    """A test that needs a real service fails under CI when it is missing, and skips only on a laptop."""
    if value:
        return value
    if IN_CI:
        pytest.fail(f"{name} is required under CI=true")
    pytest.skip(f"{name} not set (set it to run this test)")


@pytest.fixture
def broker_kind() -> str:
    if os.environ.get("REDIS_URL"):
        return "redis"
    if IN_CI:
        pytest.fail("REDIS_URL is required under CI=true: Celery is tested on real Redis")
    return "filesystem"


@pytest.fixture
def redis_url() -> str:
    return need_service("REDIS_URL", os.environ.get("REDIS_URL"))


@pytest.fixture
def private_media(settings, tmp_path) -> Path:
    """A MEDIA_ROOT of the test's own (stored files never outlive it); modules that store files use it for
    every test: ``pytestmark = pytest.mark.usefixtures("private_media")``."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class Tenancy:
    kecamatan: Kecamatan
    desa_a: Desa
    desa_b: Desa
    other_kecamatan: Kecamatan
    other_desa: Desa
    camat: User
    kasi_tapem: User
    operator_a: User
    kades_a: User
    operator_b: User
    outsider: User  # Kasi Tapem of another kecamatan
    outsider_operator: User  # Operator of a desa in another kecamatan
    perangkat_a: Perangkat
    perangkat_b: Perangkat
    other_perangkat: Perangkat

    def client(self, user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    def web(self, client, user: User):
        return login(client, user)


@pytest.fixture
def tenancy(db) -> Tenancy:
    kec = KecamatanFactory(kode="35.24.13", nama="Pucuk")
    other = KecamatanFactory(kode="35.24.14", nama="Sukodadi")
    desa_a = DesaFactory(kecamatan=kec, kode="35.24.13.2001", nama="Pucuk")
    desa_b = DesaFactory(kecamatan=kec, kode="35.24.13.2002", nama="Gempolpading")
    other_desa = DesaFactory(kecamatan=other, kode="35.24.14.2001", nama="Sukodadi")
    return Tenancy(
        kecamatan=kec,
        desa_a=desa_a,
        desa_b=desa_b,
        other_kecamatan=other,
        other_desa=other_desa,
        camat=UserFactory(username="camat", role=Role.CAMAT, kecamatan=kec),
        kasi_tapem=UserFactory(username="kasitapem", role=Role.KASI_TAPEM, kecamatan=kec),
        operator_a=UserFactory(username="op_a", role=Role.OPERATOR_DESA, desa=desa_a, kecamatan=kec),
        kades_a=UserFactory(username="kades_a", role=Role.KEPALA_DESA, desa=desa_a, kecamatan=kec),
        operator_b=UserFactory(username="op_b", role=Role.OPERATOR_DESA, desa=desa_b, kecamatan=kec),
        outsider=UserFactory(username="outsider", role=Role.KASI_TAPEM, kecamatan=other),
        outsider_operator=UserFactory(
            username="outsider_op", role=Role.OPERATOR_DESA, desa=other_desa, kecamatan=other
        ),
        perangkat_a=PerangkatFactory(desa=desa_a, nama="Slamet Riyadi", jabatan=Jabatan.KEPALA_DESA),
        perangkat_b=PerangkatFactory(desa=desa_b, nama="Siti Aminah", jabatan=Jabatan.SEKRETARIS_DESA),
        other_perangkat=PerangkatFactory(desa=other_desa, nama="Joko Susilo", jabatan=Jabatan.KAUR_KEUANGAN),
    )
