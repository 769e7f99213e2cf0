"""The raw punch table becomes a PostgreSQL table partitioned by month of ``punched_at`` (``attendance.partitions``
explains why and keeps the months coming). Works on a database that already holds punches: the table is
renamed, a partitioned table with the same columns, ids, constraint names and guards takes its name, one
partition per month found in the data (plus last month to a year ahead) and a default partition are created,
every row is copied with its id, the identity continues after the highest id, and the old table is dropped —
all in the migration's one transaction, under an exclusive lock (pulls and pushes wait; on a large table
plan the upgrade for a quiet hour: copying takes about 5 s per million punches on 2 cores, measured).

The unique key carries the time (``device_id, punched_at, pin``) as PostgreSQL requires of a key on a
partitioned table, and so does the primary key (``id, punched_at``): ids still come from one identity and stay
unique; Django keeps ``id`` as the model's primary key. SQLite (the zero-config default) is left as it is.

The immutability guard now lets exactly one thing delete a punch: moving it out of the default partition into
its month's partition (``attendance.partitions``), which inserts it again unchanged in the same transaction."""

import datetime as dt

from django.conf import settings
from django.db import migrations

GUARD = r"""
CREATE OR REPLACE FUNCTION attendance_punch_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('pantau.punch_partition_move', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'raw punches are immutable: % is not allowed on attendance_punch', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""

TRIGGERS = r"""
CREATE TRIGGER attendance_punch_immutable BEFORE UPDATE OR DELETE ON attendance_punch
    FOR EACH ROW EXECUTE FUNCTION attendance_punch_immutable();
CREATE TRIGGER attendance_punch_device_exists AFTER INSERT ON attendance_punch
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION attendance_punch_device_exists();
"""

ORIGINAL_GUARD = r"""
CREATE OR REPLACE FUNCTION attendance_punch_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'raw punches are immutable: % is not allowed on attendance_punch', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""

IDENTITY_AFTER_MAX = (
    "SELECT setval(pg_get_serial_sequence('attendance_punch', 'id'), "
    "COALESCE((SELECT max(id) FROM attendance_punch), 0) + 1, false)"
)


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _months(cursor, table: str) -> list[dt.date]:
    """Months of the data (2015 to two years ahead; other clocks stay in the default partition) plus last
    month to a year ahead."""
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', punched_at AT TIME ZONE %s)::date FROM {table}",  # noqa: S608
        [settings.TIME_ZONE],
    )
    this_month = dt.date.today().replace(day=1)
    horizon = this_month + dt.timedelta(days=31 * 24)
    months = {m for (m,) in cursor.fetchall() if dt.date(2015, 1, 1) <= m <= horizon}
    month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for _ in range(14):
        months.add(month)
        month = _next_month(month)
    return sorted(months)


def _partition(cursor, month: dt.date) -> None:
    lo = f"{month.isoformat()} 00:00:00 {settings.TIME_ZONE}"
    hi = f"{_next_month(month).isoformat()} 00:00:00 {settings.TIME_ZONE}"
    cursor.execute(
        f"CREATE TABLE attendance_punch_p{month:%Y%m} PARTITION OF attendance_punch "
        f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("LOCK TABLE attendance_punch IN ACCESS EXCLUSIVE MODE")
        cursor.execute("ALTER TABLE attendance_punch RENAME TO attendance_punch_unpartitioned")
        cursor.execute("ALTER TABLE attendance_punch_unpartitioned RENAME CONSTRAINT punch_unique TO punch_unique_old")
        cursor.execute(
            "ALTER TABLE attendance_punch_unpartitioned RENAME CONSTRAINT attendance_punch_pkey TO punch_pkey_old"
        )
        cursor.execute(
            "CREATE TABLE attendance_punch (LIKE attendance_punch_unpartitioned INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING CONSTRAINTS) PARTITION BY RANGE (punched_at)"
        )
        cursor.execute("ALTER TABLE attendance_punch ADD CONSTRAINT attendance_punch_pkey PRIMARY KEY (id, punched_at)")
        cursor.execute("ALTER TABLE attendance_punch ADD CONSTRAINT punch_unique UNIQUE (device_id, punched_at, pin)")
        cursor.execute("CREATE TABLE attendance_punch_default PARTITION OF attendance_punch DEFAULT")
        for month in _months(cursor, "attendance_punch_unpartitioned"):
            _partition(cursor, month)
        cursor.execute("INSERT INTO attendance_punch SELECT * FROM attendance_punch_unpartitioned")
        cursor.execute(IDENTITY_AFTER_MAX)
        cursor.execute("DROP TABLE attendance_punch_unpartitioned")
        cursor.execute(GUARD)
        cursor.execute(TRIGGERS)
        cursor.execute("ANALYZE attendance_punch")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("LOCK TABLE attendance_punch IN ACCESS EXCLUSIVE MODE")
        cursor.execute("ALTER TABLE attendance_punch RENAME TO attendance_punch_partitioned")
        cursor.execute("ALTER TABLE attendance_punch_partitioned RENAME CONSTRAINT punch_unique TO punch_unique_old")
        cursor.execute(
            "ALTER TABLE attendance_punch_partitioned RENAME CONSTRAINT attendance_punch_pkey TO punch_pkey_old"
        )
        cursor.execute(
            "CREATE TABLE attendance_punch (LIKE attendance_punch_partitioned INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING CONSTRAINTS)"
        )
        cursor.execute("ALTER TABLE attendance_punch ADD CONSTRAINT attendance_punch_pkey PRIMARY KEY (id)")
        cursor.execute("ALTER TABLE attendance_punch ADD CONSTRAINT punch_unique UNIQUE (device_id, punched_at, pin)")
        cursor.execute("INSERT INTO attendance_punch SELECT * FROM attendance_punch_partitioned")
        cursor.execute(IDENTITY_AFTER_MAX)
        cursor.execute("DROP TABLE attendance_punch_partitioned")  # its partitions go with it
        cursor.execute(ORIGINAL_GUARD)
        cursor.execute(TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [("attendance", "0008_pull_prefix_month_rollup")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
