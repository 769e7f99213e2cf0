import datetime as dt

import factory

from portal.choices import Jabatan, Role
from portal.models import Desa, Kecamatan, Perangkat, User


class KecamatanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kecamatan
        django_get_or_create = ("kode",)

    kode = factory.Sequence(lambda n: f"35.{n // 100 % 100:02d}.{n % 100:02d}")
    nama = factory.Sequence(lambda n: f"Kecamatan {n}")
    kabupaten = "Lamongan"
    provinsi = "Jawa Timur"


class DesaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Desa

    kecamatan = factory.SubFactory(KecamatanFactory)
    kode = factory.LazyAttributeSequence(lambda o, n: f"{o.kecamatan.kode}.{2001 + n % 8000:04d}")
    nama = factory.Sequence(lambda n: f"Desa {n}")


class PerangkatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Perangkat

    desa = factory.SubFactory(DesaFactory)
    nama = factory.Faker("name", locale="id_ID")
    jabatan = Jabatan.STAF
    tanggal_mulai = dt.date(2020, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    role = Role.KASI_TAPEM
    password = factory.PostGenerationMethodCall("set_password", "rahasia-uji-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
