"""The Pucuk demo: 17 desa, 8–12 perangkat each, an account for every role. Idempotent: running it again
changes nothing and creates no second set. Passwords are generated at first run (never built into the
code) and kept in ``var/demo-accounts.txt`` (mode 600) so they can be shown again."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction

from portal.choices import Jabatan, JenisKelamin, Role
from portal.models import Desa, Kecamatan, Perangkat, User
from portal.services import user_create, wilayah_load_csv

MEN = [
    "Ahmad",
    "Muhammad",
    "Slamet",
    "Sugeng",
    "Bambang",
    "Agus",
    "Imam",
    "Suparno",
    "Hadi",
    "Sutrisno",
    "Abdul",
    "Moch.",
    "Joko",
    "Heru",
    "Eko",
    "Didik",
    "Wahyudi",
    "Nur",
    "Syaiful",
    "Rohman",
    "Mustofa",
    "Zainal",
]
WOMEN = [
    "Siti",
    "Sri",
    "Nur",
    "Dwi",
    "Endang",
    "Lilik",
    "Umi",
    "Khoirun",
    "Anik",
    "Yuli",
    "Ratna",
    "Erna",
    "Dewi",
    "Fitri",
    "Mutmainah",
    "Rina",
]
SECOND_MEN = [
    "Hidayat",
    "Santoso",
    "Wibowo",
    "Hariyanto",
    "Susanto",
    "Fauzi",
    "Kholil",
    "Ma'ruf",
    "Arifin",
    "Setiawan",
    "Prasetyo",
    "Mujiono",
    "Suprapto",
    "Ulum",
    "Zuhri",
    "Basori",
    "Ansori",
]
SECOND_WOMEN = [
    "Rohmah",
    "Aminah",
    "Fatimah",
    "Hasanah",
    "Khoiriyah",
    "Maslahah",
    "Wahyuni",
    "Lestari",
    "Rahayu",
    "Ningsih",
    "Handayani",
]
DUSUN = ["Krajan", "Mojo", "Sidomulyo", "Kedungrejo", "Sumberrejo", "Ngasem", "Tlogo", "Bakalan", "Jatirejo"]

KECAMATAN_ACCOUNTS = [
    ("camat", Role.CAMAT, "Drs. H. Mochamad Fauzi, M.Si."),
    ("sekcam", Role.SEKCAM, "Hj. Endang Sulistyowati, S.Sos."),
    ("kasitapem", Role.KASI_TAPEM, "Agus Wahyudi, S.IP."),
    ("kasipmd", Role.KASI_PMD, "Siti Nurhayati, S.E."),
    ("kasiekbang", Role.KASI_EKBANG, "Bambang Hariyanto, S.T."),
    ("kasitrantib", Role.KASI_TRANTIBUM, "Heru Prasetyo"),
    ("stafkec", Role.STAF_KECAMATAN, "Dewi Ratnasari"),
]


def accounts_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-accounts.txt"


def _name(rng: random.Random, jk: str) -> str:
    if jk == JenisKelamin.LAKI_LAKI:
        return f"{rng.choice(MEN)} {rng.choice(SECOND_MEN)}"
    return f"{rng.choice(WOMEN)} {rng.choice(SECOND_WOMEN)}"


def _nik(rng: random.Random, desa: Desa, jk: str, born: dt.date) -> str:
    day = born.day + (40 if jk == JenisKelamin.PEREMPUAN else 0)
    kec = desa.kecamatan.kode.replace(".", "")
    return f"{kec}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 9999):04d}"


def _perangkat_plan(rng: random.Random) -> list[tuple[str, str]]:
    plan = [
        (Jabatan.KEPALA_DESA, ""),
        (Jabatan.SEKRETARIS_DESA, ""),
        (Jabatan.KAUR_TU_UMUM, ""),
        (Jabatan.KAUR_KEUANGAN, ""),
        (Jabatan.KASI_PEMERINTAHAN, ""),
        (Jabatan.KASI_KESEJAHTERAAN, ""),
    ]
    if rng.random() < 0.6:
        plan.append((Jabatan.KAUR_PERENCANAAN, ""))
    if rng.random() < 0.6:
        plan.append((Jabatan.KASI_PELAYANAN, ""))
    for dusun in rng.sample(DUSUN, rng.randint(2, 3)):
        plan.append((Jabatan.KEPALA_DUSUN, f"Dusun {dusun}"))
    while len(plan) < 8 or (len(plan) < 12 and rng.random() < 0.4):
        plan.append((Jabatan.STAF, ""))
    return plan[:12]


def _create_perangkat(desa: Desa) -> int:
    if desa.perangkat_set.exists():
        return 0
    rng = random.Random(desa.kode)  # same demo people on every machine
    rows = []
    for jabatan, keterangan in _perangkat_plan(rng):
        jk = JenisKelamin.PEREMPUAN if rng.random() < 0.3 else JenisKelamin.LAKI_LAKI
        born = dt.date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28))
        rows.append(
            Perangkat(
                desa=desa,
                nama=_name(rng, jk),
                jabatan=jabatan,
                keterangan_jabatan=keterangan,
                jenis_kelamin=jk,
                nik=_nik(rng, desa, jk, born),
                tanggal_mulai=dt.date(rng.randint(2012, 2024), rng.randint(1, 12), 1),
            )
        )
    Perangkat.objects.bulk_create(rows)
    return len(rows)


def _ensure_user(username: str, role: str, *, desa=None, kecamatan=None, full_name="") -> tuple[str, str | None]:
    if User.objects.filter(username=username).exists():
        return username, None
    password = secrets.token_urlsafe(9)
    user = user_create(
        username=username,
        role=role,
        password=password,
        desa=desa,
        kecamatan=kecamatan,
        full_name=full_name,
        email=f"{username}@pantau-desa.invalid",
        validate_password=False,
    )
    # Demo addresses are not real (.invalid): keep the demo's alerts in the in-app inbox, not in the log.
    User.objects.filter(pk=user.pk).update(notify_email=False)
    return username, password


@transaction.atomic
def demo_load() -> list[tuple[str, str, str, str]]:
    """Load the demo; return (username, password, role label, scope) of the accounts created now."""
    wilayah_load_csv()
    kecamatan = Kecamatan.objects.get(kode="35.24.13")
    created: list[tuple[str, str, str, str]] = []

    def remember(username, password, role, scope):
        if password:
            created.append((username, password, str(Role(role).label), scope))

    remember(*_ensure_user("admin", Role.ADMIN, full_name="Administrator Portal"), Role.ADMIN, "semua wilayah")
    for username, role, full_name in KECAMATAN_ACCOUNTS:
        remember(
            *_ensure_user(username, role, kecamatan=kecamatan, full_name=full_name), role, f"Kec. {kecamatan.nama}"
        )
    for desa in Desa.objects.filter(kecamatan=kecamatan).select_related("kecamatan"):
        _create_perangkat(desa)
        slug = desa.nama.lower().replace(" ", "")
        remember(
            *_ensure_user(f"operator.{slug}", Role.OPERATOR_DESA, desa=desa, full_name=f"Operator {desa.nama}"),
            Role.OPERATOR_DESA,
            f"Desa {desa.nama}",
        )
        remember(
            *_ensure_user(f"kades.{slug}", Role.KEPALA_DESA, desa=desa, full_name=f"Kepala Desa {desa.nama}"),
            Role.KEPALA_DESA,
            f"Desa {desa.nama}",
        )
    if created:
        _remember_accounts(created)
    return created


def _remember_accounts(created: list[tuple[str, str, str, str]]) -> None:
    """Keep one line per account; a fresh database (new passwords) replaces the stale lines."""
    path = accounts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, tuple[str, ...]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = tuple(line.split("\t"))
            if len(fields) == 4:
                rows[fields[0]] = fields
    for row in created:
        rows[row[0]] = row
    path.write_text("".join("\t".join(row) + "\n" for row in rows.values()), encoding="utf-8")
    path.chmod(0o600)
