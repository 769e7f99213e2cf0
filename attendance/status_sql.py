"""The daily status rule of ``attendance.status`` in SQL, for the recompute on PostgreSQL: a kabupaten's month
(≈ 141,000 statuses) is computed and written in one statement instead of a Python object per (perangkat, day).

``attendance.status`` stays the one definition of the rule. What holds for a whole desa on a day — the working
hours in force, the arrival and departure windows (``status.windows``), what a missing punch weighs
(``status.missing_minutes``) — is still computed there, in Python, once per (desa, day), and copied into a
temporary table. SQL does only the per-perangkat part of ``status.compute_day`` over the punches (which punch is
the arrival and the departure, corrections, leave, ND/TK, TL/PSW/TAM/TAP and their minutes); each step below names
the part of ``compute_day`` it follows. ``tests/attendance/test_recompute_setbased.py`` holds this SQL to the
Python path (``daily.statuses_compute``, which calls ``compute_day``) on random punches, schedules, zones,
holidays, corrections, leave and pulls: a change to the rule that is not made here too fails that test.

The write is one ``INSERT … ON CONFLICT … DO UPDATE … WHERE`` of only the rows that differ (``computed_at`` says
when a status last changed, so an unchanged row is neither written nor locked) and one ``DELETE`` of the statuses
the recompute no longer produces (a perangkat who left or moved), both in the same statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.db import connection

from attendance.choices import PunchKind, RequestState
from attendance.models import DailyStatus, DeviceDay, DeviceUser, Leave, Punch, PunchCorrection
from attendance.status import DayRule, missing_minutes, windows
from portal.models import Perangkat


class DesaDay(NamedTuple):
    """One (desa, day) to recompute, with what holds for the whole desa that day."""

    desa_id: int
    day: dt.date
    zone: str  # the desa's zone (its machines'), in which its days, windows and stored times are read
    rule: DayRule | None  # None: a day off by the schedule or the calendar
    known_until: dt.datetime | None  # the desa's last successful pull, local wall time


class Device(NamedTuple):
    device_id: int
    desa_id: int
    zone: str  # its desa's zone: a punch is read in the wall time of the desa whose machine holds it


# (desa, day) inputs: the rule's windows as local wall times, as ``status.windows`` gives them.
_DAY_TABLE = """
CREATE TEMPORARY TABLE status_day (
    desa_id integer NOT NULL,
    day date NOT NULL,
    zone text NOT NULL,
    known_until timestamp,
    working boolean NOT NULL,
    starts timestamp,
    ends timestamp,
    tolerance integer,
    arrival_open timestamp,
    arrival_close timestamp,
    departure_open timestamp,
    departure_close timestamp,
    missing_in integer,
    missing_out integer,
    PRIMARY KEY (desa_id, day)
) ON COMMIT DROP
"""

_NULL = "\\N"


def _text(value: object) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(" ")
    return str(value)


def day_line(row: DesaDay, buckets: Sequence[int], hours: dict | None = None) -> str:
    """One COPY line of ``status_day``: the desa's day as ``status.compute_day`` sees it before any punch.
    ``hours`` caches the part that depends only on the day and its rule: a kabupaten's desa share their
    kecamatan's hours, so a month is a few hundred window computations instead of one per desa and day."""
    head = f"{row.desa_id}\t{row.day.isoformat()}\t{row.zone}\t{_text(row.known_until)}\t"
    key = (row.day, row.rule)
    tail = None if hours is None else hours.get(key)
    if tail is None:
        tail = _hours_text(row.day, row.rule, buckets)
        if hours is not None:
            hours[key] = tail
    return head + tail


def _hours_text(day: dt.date, rule: DayRule | None, buckets: Sequence[int]) -> str:
    """``status_day``'s columns from ``working`` on, as COPY text."""
    if rule is None:
        return "\t".join([_text(False), *[_NULL] * 9]) + "\n"
    a_open, a_close, d_open, d_close = windows(day, rule)
    fields: list[object] = [
        True,
        dt.datetime.combine(day, rule.start),
        dt.datetime.combine(day, rule.end),
        rule.tolerance,
        a_open,
        a_close,
        d_open,
        d_close,
        *missing_minutes(day, rule, tuple(buckets)),
    ]
    return "\t".join(_text(f) for f in fields) + "\n"


def _bucket(minutes: str, buckets: Sequence[int]) -> str:
    """``status.bucket`` as a CASE over the configured bounds (whole numbers from the settings)."""
    whens = " ".join(f"WHEN {minutes} <= {int(upper)} THEN {level}" for level, upper in enumerate(buckets, start=1))
    return f"CASE {whens} ELSE {len(buckets) + 1} END"


# What decides whether a stored status changed: every written column but the computation time.
COMPARED = (
    "desa_id",
    "status",
    "codes",
    "arrival_at",
    "departure_at",
    "late_minutes",
    "early_minutes",
    "missing_in_minutes",
    "missing_out_minutes",
    "corrected",
)


def _statement(buckets: Sequence[int]) -> str:
    status = DailyStatus._meta.db_table
    columns = ", ".join(COMPARED)
    mine = ", ".join(f"{status}.{c}" for c in COMPARED)
    stored = ", ".join(f"o.{c}" for c in COMPARED)
    fresh = ", ".join(f"c.{c}" for c in COMPARED)
    excluded = ", ".join(f"EXCLUDED.{c}" for c in COMPARED)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*COMPARED, "computed_at"))
    return f"""
WITH device (id, desa_id, zone) AS (
    SELECT * FROM unnest(%(device_ids)s::integer[], %(device_desa)s::integer[], %(device_zone)s::text[])
),
-- The range's punches in the wall time of their machine's desa (DayInput.punches are local wall times).
punch AS MATERIALIZED (
    SELECT d.desa_id, p.device_id, p.pin, p.punched_at AT TIME ZONE d.zone AS at
    FROM {Punch._meta.db_table} p JOIN device d ON d.id = p.device_id
    WHERE p.device_id = ANY(%(device_ids)s) AND p.punched_at >= %(start)s AND p.punched_at < %(end)s
),
-- DayInput.anyone_punched: a punch of the day by anyone, linked PIN or not, on the desa's machines.
anyone AS (
    SELECT DISTINCT desa_id, at::date AS day FROM punch
),
-- status.reported's pulled_at: the latest successful pull covering the day, local wall time.
pulled AS (
    SELECT d.desa_id, dd.date AS day, max(dd.pulled_at AT TIME ZONE d.zone) AS at
    FROM {DeviceDay._meta.db_table} dd JOIN device d ON d.id = dd.device_id
    WHERE dd.device_id = ANY(%(device_ids)s) AND dd.date BETWEEN %(lo)s AND %(hi)s AND dd.pulled_at IS NOT NULL
    GROUP BY 1, 2
),
owner AS (
    SELECT u.device_id, u.pin, u.perangkat_id, pp.desa_id AS home
    FROM {DeviceUser._meta.db_table} u JOIN {Perangkat._meta.db_table} pp ON pp.id = u.perangkat_id
    WHERE u.device_id = ANY(%(device_ids)s)
),
linked AS (
    SELECT DISTINCT perangkat_id FROM owner
),
-- Each linked punch against the day whose slice [00:00, next day 12:00) holds it: its own date, and before noon
-- also the day before (a departure after midnight). Only what compute_day reads of them is kept: the first punch
-- in the arrival window, the last in the departure window, whether any lies between the arrival window's
-- opening and the departure window's closing, and the first and last of the calendar day (a day off). A punch
-- of the next morning tells the day before nothing unless it is in that day's departure window (it is no
-- arrival, not of the calendar day, and outside the window it is not "inside" either), so only those are kept:
-- on ordinary hours that drops every next-morning arrival before the aggregate.
seen AS (
    SELECT o.perangkat_id, s.day,
        min(pu.at) FILTER (WHERE pu.at BETWEEN s.arrival_open AND s.arrival_close) AS arrival,
        max(pu.at) FILTER (WHERE pu.at BETWEEN s.departure_open AND s.departure_close) AS last_out,
        coalesce(bool_or(pu.at BETWEEN s.arrival_open AND s.departure_close), false) AS inside,
        min(pu.at) FILTER (WHERE pu.at < s.day + 1) AS first_of_day,
        max(pu.at) FILTER (WHERE pu.at < s.day + 1) AS last_of_day,
        count(*) FILTER (WHERE pu.at < s.day + 1) AS of_day
    FROM punch pu
    JOIN owner o ON o.device_id = pu.device_id AND o.pin = pu.pin
    CROSS JOIN LATERAL (VALUES (pu.at::date), (CASE WHEN pu.at::time < '12:00' THEN pu.at::date - 1 END)) AS k (day)
    JOIN status_day s ON s.desa_id = o.home AND s.day = k.day
    WHERE k.day = pu.at::date OR pu.at <= s.departure_close
    GROUP BY o.perangkat_id, s.day
),
-- DayInput.leave: the first approved leave covering the day, in the order the Python path reads them.
on_leave AS (
    SELECT DISTINCT ON (l.perangkat_id, s.day) l.perangkat_id, s.day, l.kind
    FROM {Leave._meta.db_table} l
    JOIN {Perangkat._meta.db_table} pp ON pp.id = l.perangkat_id
    JOIN status_day s ON s.desa_id = pp.desa_id AND s.day BETWEEN l.date_from AND l.date_to
    WHERE pp.desa_id = ANY(%(desa_ids)s) AND l.state = %(approved)s AND l.date_from <= %(hi)s AND l.date_to >= %(lo)s
    ORDER BY l.perangkat_id, s.day, l.date_from DESC, l.id DESC
),
-- DayInput.corrected_in / corrected_out, local wall time of the perangkat's desa (one approved correction per
-- person, day and kind: the constraint punch_correction_one_open).
fix AS (
    SELECT c.perangkat_id, c.date AS day,
        max(c.punched_at AT TIME ZONE s.zone) FILTER (WHERE c.kind = %(fix_in)s) AS fix_in,
        max(c.punched_at AT TIME ZONE s.zone) FILTER (WHERE c.kind = %(fix_out)s) AS fix_out
    FROM {PunchCorrection._meta.db_table} c
    JOIN {Perangkat._meta.db_table} pp ON pp.id = c.perangkat_id
    JOIN status_day s ON s.desa_id = pp.desa_id AND s.day = c.date
    WHERE pp.desa_id = ANY(%(desa_ids)s) AND c.state = %(approved)s AND c.date BETWEEN %(lo)s AND %(hi)s
    GROUP BY 1, 2
),
-- Every perangkat of the desa on every day of their term (daily._compute).
person AS (
    SELECT pp.id AS perangkat_id, s.*
    FROM {Perangkat._meta.db_table} pp JOIN status_day s ON s.desa_id = pp.desa_id
    WHERE pp.desa_id = ANY(%(desa_ids)s) AND (pp.aktif OR pp.tanggal_selesai IS NOT NULL)
        AND (pp.tanggal_mulai IS NULL OR s.day >= pp.tanggal_mulai)
        AND (pp.tanggal_selesai IS NULL OR s.day <= pp.tanggal_selesai)
),
-- compute_day's inputs for each (perangkat, day).
inputs AS (
    SELECT p.*, seen.arrival AS machine_in, seen.last_out, coalesce(seen.inside, false) AS inside,
        seen.first_of_day, seen.last_of_day, coalesce(seen.of_day, 0) AS of_day, fix.fix_in, fix.fix_out,
        lv.kind AS leave, a.day IS NOT NULL AS anyone, coalesce(pl.at >= p.arrival_close, false) AS pulled_after,
        ln.perangkat_id IS NOT NULL AS linked
    FROM person p
    LEFT JOIN seen ON seen.perangkat_id = p.perangkat_id AND seen.day = p.day
    LEFT JOIN fix ON fix.perangkat_id = p.perangkat_id AND fix.day = p.day
    LEFT JOIN on_leave lv ON lv.perangkat_id = p.perangkat_id AND lv.day = p.day
    LEFT JOIN anyone a ON a.desa_id = p.desa_id AND a.day = p.day
    LEFT JOIN pulled pl ON pl.desa_id = p.desa_id AND pl.day = p.day
    LEFT JOIN linked ln ON ln.perangkat_id = p.perangkat_id
),
-- compute_day: a correction wins the arrival when there is none or it is earlier ...
arrive AS (
    SELECT i.*, coalesce(i.fix_in < i.machine_in OR (i.fix_in IS NOT NULL AND i.machine_in IS NULL), false)
        AS fixed_in
    FROM inputs i
),
arrived AS (
    SELECT r.*, CASE WHEN r.fixed_in THEN r.fix_in ELSE r.machine_in END AS arrival FROM arrive r
),
-- ... the departure is the last punch of its window after the arrival ...
depart AS (
    SELECT r.*, CASE WHEN r.arrival IS NULL OR r.last_out > r.arrival THEN r.last_out END AS machine_out
    FROM arrived r
),
-- ... and a correction later than both wins it.
settle AS (
    SELECT d.*, coalesce(d.fix_out IS NOT NULL AND (d.arrival IS NULL OR d.fix_out > d.arrival)
        AND (d.machine_out IS NULL OR d.fix_out > d.machine_out), false) AS fixed_out
    FROM depart d
),
settled AS (
    SELECT t.*, CASE WHEN t.fixed_out THEN t.fix_out ELSE t.machine_out END AS departure FROM settle t
    OFFSET 0
),
-- compute_day's outcome: a day off, leave, no punch of the day (ND or TK), or a day with arrival/departure codes.
judged AS (
    SELECT t.*,
        t.known_until IS NULL OR t.known_until >= t.arrival_close AS arrival_known,
        t.known_until IS NULL OR t.known_until >= t.departure_close AS departure_known,
        CASE
            WHEN NOT t.working THEN 'L'
            WHEN t.leave IS NOT NULL THEN 'leave'
            WHEN t.arrival IS NULL AND t.departure IS NULL AND NOT t.inside THEN
                -- collecting = reported (a punch by anyone, or a pull after the arrival window) and linked
                CASE WHEN NOT ((t.anyone OR t.pulled_after) AND t.linked AND t.anyone)
                    OR t.known_until IS NULL OR t.known_until < t.arrival_close THEN 'ND' ELSE 'TK' END
            ELSE 'day'
        END AS outcome
    FROM settled t
),
-- compute_day: minutes to the minute as the machines show them; TL/PSW by bucket, TAM/TAP when known.
timed AS (
    SELECT j.*,
        floor(date_part('epoch', date_trunc('minute', j.arrival) - j.starts) / 60)::integer AS late,
        floor(date_part('epoch', j.ends - date_trunc('minute', j.departure)) / 60)::integer AS early
    FROM judged j
    OFFSET 0
),
coded AS (
    SELECT m.*,
        CASE WHEN m.arrival IS NULL THEN CASE WHEN m.arrival_known THEN 'TAM' END
            WHEN m.late > m.tolerance THEN 'TL' || {_bucket("m.late", buckets)} END AS in_code,
        CASE WHEN m.departure IS NULL THEN CASE WHEN m.departure_known THEN 'TAP' END
            WHEN m.early > 0 THEN 'PSW' || {_bucket("m.early", buckets)} END AS out_code
    FROM timed m
),
computed AS (
    SELECT x.perangkat_id, x.desa_id, x.day AS date,
        CASE x.outcome WHEN 'day' THEN coalesce(rtrim(coalesce(x.in_code, x.out_code), '0123456789'), 'H')
            WHEN 'leave' THEN x.leave ELSE x.outcome END::varchar AS status,
        CASE x.outcome WHEN 'day' THEN concat_ws(' ', x.in_code, x.out_code) WHEN 'leave' THEN x.leave
            WHEN 'TK' THEN 'TK' ELSE '' END::varchar AS codes,
        (CASE x.outcome WHEN 'L' THEN x.first_of_day WHEN 'leave' THEN x.arrival WHEN 'day' THEN x.arrival END)
            AT TIME ZONE x.zone AS arrival_at,
        (CASE x.outcome WHEN 'L' THEN CASE WHEN x.of_day > 1 THEN x.last_of_day END
            WHEN 'leave' THEN x.departure WHEN 'day' THEN x.departure END) AT TIME ZONE x.zone AS departure_at,
        CASE WHEN x.outcome = 'day' AND x.late > x.tolerance THEN x.late ELSE 0 END AS late_minutes,
        CASE WHEN x.outcome = 'day' AND x.early > 0 THEN x.early ELSE 0 END AS early_minutes,
        CASE WHEN x.outcome = 'day' AND x.in_code = 'TAM' THEN x.missing_in ELSE 0 END AS missing_in_minutes,
        CASE WHEN x.outcome = 'day' AND x.out_code = 'TAP' THEN x.missing_out ELSE 0 END AS missing_out_minutes,
        x.outcome = 'day' AND (x.fixed_in OR x.fixed_out) AS corrected
    FROM coded x
),
-- The stored statuses of the recomputed (desa, day) pairs against the computed ones, in one join: what is new or
-- differs is upserted, what the recompute no longer produces (a perangkat who left or moved) is deleted, and an
-- unchanged status goes nowhere — neither rewritten nor locked (``computed_at`` says when a status last changed).
stored AS (
    SELECT o.id, o.perangkat_id, o.date, {stored}
    FROM {status} o
    WHERE o.desa_id = ANY(%(desa_ids)s) AND o.date BETWEEN %(lo)s AND %(hi)s
        AND (o.desa_id, o.date) IN (SELECT desa_id, day FROM status_day)
),
diff AS MATERIALIZED (
    SELECT c.*, o.id AS gone_id
    FROM computed c FULL JOIN stored o ON o.perangkat_id = c.perangkat_id AND o.date = c.date
    WHERE c.perangkat_id IS NULL OR o.id IS NULL OR ({stored}) IS DISTINCT FROM ({fresh})
),
-- A row stored under another desa (a perangkat who moved) meets its conflict here; the conflict's WHERE also keeps
-- an unchanged row untouched against a concurrent writer. ``updated``: the row existed (a conflict's update sets
-- xmax; an inserted row has none), so only those are looked up below.
written AS (
    INSERT INTO {status} (perangkat_id, date, {columns}, computed_at)
    SELECT c.perangkat_id, c.date, {fresh}, %(now)s FROM diff c WHERE c.perangkat_id IS NOT NULL
    ON CONFLICT (perangkat_id, date) DO UPDATE SET {updates}
    WHERE ({mine}) IS DISTINCT FROM ({excluded})
    RETURNING perangkat_id, date, desa_id, xmax::text <> '0' AS updated
),
-- The desa a moved row was taken from: every part of one statement reads the table as it was before the
-- statement, so ``o`` still holds the row under its old desa. That desa's monthly rollup must be summed again
-- too, though its own recompute (whenever it runs) will find nothing to change.
moved_from AS (
    SELECT DISTINCT o.desa_id FROM written w
    JOIN {status} o ON o.perangkat_id = w.perangkat_id AND o.date = w.date
    WHERE w.updated AND o.desa_id <> w.desa_id
),
gone AS (
    DELETE FROM {status} WHERE id IN (SELECT gone_id FROM diff WHERE perangkat_id IS NULL) RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM gone), ARRAY(SELECT desa_id FROM moved_from)
"""  # noqa: S608  (our table names and whole numbers, values bound)


def statuses_write(
    *,
    days: Iterable[DesaDay],
    devices: Iterable[Device],
    desa_ids: Sequence[int],
    date_from: dt.date,
    date_to: dt.date,
    punches_from: dt.datetime,
    punches_to: dt.datetime,
    buckets: Sequence[int],
    now: dt.datetime,
) -> tuple[int, int, set[int]]:
    """Compute and store the statuses of these (desa, day) pairs; returns (statuses written, statuses deleted,
    the other desa whose statuses were taken over by a perangkat who moved here).
    Punches are read from ``punches_from`` to ``punches_to``, which must hold every day's slice. Call inside a
    transaction (the day table lives until it ends)."""
    devices = list(devices)
    with connection.cursor() as cursor:
        # A kabupaten's month aggregates ~300,000 punch rows and joins ~141,000 statuses: with the default 4 MB
        # the sorts and hashes spill to disk. JIT compiling the statement's few hundred expressions costs 0.1–0.2 s,
        # more than it saves on rows of cheap arithmetic (its cost estimate alone would always switch it on).
        # Local (the third argument): until the transaction ends.
        cursor.execute("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)")
        cursor.execute(_DAY_TABLE)
        with cursor.cursor.copy("COPY status_day FROM STDIN") as copy:  # psycopg's own cursor: Django's has no COPY
            hours: dict = {}
            copy.write("".join(day_line(row, buckets, hours) for row in days))
        cursor.execute("ANALYZE status_day")  # the planner's row counts for the joins below
        cursor.execute(
            _statement(buckets),
            {
                "device_ids": [d.device_id for d in devices],
                "device_desa": [d.desa_id for d in devices],
                "device_zone": [d.zone for d in devices],
                "desa_ids": list(desa_ids),
                "lo": date_from,
                "hi": date_to,
                "start": punches_from,
                "end": punches_to,
                "approved": RequestState.APPROVED.value,
                "fix_in": PunchKind.IN.value,
                "fix_out": PunchKind.OUT.value,
                "now": now,
            },
        )
        written, gone, moved_from = cursor.fetchone()
        cursor.execute("DROP TABLE status_day")  # a second recompute in the same transaction makes its own
    return written, gone, set(moved_from)
