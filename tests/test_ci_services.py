"""Under CI the suite must run on the real services, not silently on the zero-config defaults."""

import os

import pytest
from django.db import connection

from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(not IN_CI, reason="only CI promises PostgreSQL and Redis")
def test_ci_runs_on_postgresql_and_redis():
    assert connection.vendor == "postgresql"
    assert os.environ.get("REDIS_URL", "").startswith("redis://")
    import redis

    assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()


def test_database_answers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
