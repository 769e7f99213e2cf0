"""Every migration written since the previous release (``portal.releases``) is safe to run on a populated
database, or says why it may be run anyway.

Read from the operations, without a database: a NOT NULL column added to an existing table without a default
(every existing row needs a value); a change of column type, NULL to NOT NULL, a foreign key or an index added by
``AlterField`` (PostgreSQL rewrites or scans the whole table, and holds writes meanwhile); an index or a constraint
added to an existing table (built or validated over every row); a column or a table dropped (its data go); code
(``RunPython``, ``RunSQL``), which no reading can judge, and code that cannot be undone. Each may still be right:
``REVIEWED`` below names it with the reason, which is what the release notes say about it. A finding that is not
named fails, and so does a name that matches nothing any more."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from portal.releases import RELEASES, previous_release

PREVIOUS = previous_release()

# (app, migration, finding) -> why it is safe, or what an upgrade must plan for.
REVIEWED: dict[tuple[str, str, str], str] = {
    ("attendance", "0008_pull_prefix_month_rollup", "code"): (
        "One INSERT … SELECT … GROUP BY over attendance_dailystatus into the rollup table this migration creates: "
        "one read of the statuses (about a second per million), nothing locked but the new table."
    ),
    ("attendance", "0008_pull_prefix_month_rollup", "no undo"): (
        "The backfill writes only the rollup table, which going back drops (the CreateModel before it): "
        "nothing left to undo, so the reverse is a no-op on purpose."
    ),
    ("attendance", "0009_punch_partitions", "code"): (
        "LONG on a large punch table: every punch is copied into the partitioned table under an ACCESS "
        "EXCLUSIVE lock (pulls and pushes wait; machines keep their punches and send them again). The release "
        "notes give the time per million punches (README, Upgrades); plan a quiet hour. Reversible (back to one "
        "table the same way). SQLite: nothing happens."
    ),
    ("monev", "0009_obligation_next_alert_index", "index"): (
        "A partial index on monev_obligation (rows with a next alert only): one row per desa, document type and "
        "period, about 15,000 a year at 474 desa, built in well under a second."
    ),
    ("portal", "0009_delivery_kecamatan_optional", "code"): (
        "Replaces one trigger function (portal_delivery_addressees_exist) so an empty kecamatan passes: no scan, "
        "a moment's lock. Going back files the empty kecamatan of install-wide notices as 0.2.0 did, one UPDATE "
        "per recipient (administrators only, a handful of rows)."
    ),
    ("portal", "0007_delivery_guards", "code"): (
        "Creates trigger functions and triggers (portal_delivery, portal_user, portal_kecamatan, portal_desa): "
        "no scan, each lock held for a moment. The rows were checked by the foreign keys being dropped."
    ),
}


@dataclass(frozen=True)
class Finding:
    app: str
    migration: str
    kind: str  # the key of REVIEWED: "not null", "alter", "index", "constraint", "drop", "code", "no undo"
    detail: str


def _field(state: ProjectState, app: str, model_name: str, name: str) -> models.Field:
    return state.models[app, model_name.lower()].fields[name]


def _needs_value(field: models.Field) -> bool:
    """NOT NULL with nothing to put into the existing rows (Django fills a blank text column with '')."""
    if field.many_to_many or field.null or field.has_default() or field.db_default is not models.NOT_PROVIDED:
        return False
    return not (field.blank and field.empty_strings_allowed)


def _column_type(field: models.Field) -> str:
    if field.remote_field:  # a relation's column takes its target key's type: it changes only with the target
        target = field.remote_field.model  # a label, or a model once an executor rendered these operations
        label = target.lower() if isinstance(target, str) else target._meta.label_lower
        return f"→ {label}.{tuple(field.to_fields)}"
    return field.db_type(connection)


def _alter_costs(old: models.Field, new: models.Field) -> list[str]:
    costs = []
    if _column_type(old) != _column_type(new):
        costs.append(f"column type {_column_type(old)} → {_column_type(new)}: the table is rewritten")
    if old.null and not new.null:
        costs.append("NULL → NOT NULL: every row is scanned under an exclusive lock")
    old_fk = bool(old.remote_field) and old.db_constraint
    if new.remote_field and new.db_constraint and not old_fk:
        costs.append("a foreign key constraint: validated over every row")
    if (new.db_index and not old.db_index) or (new.unique and not old.unique):
        costs.append("an index is built: writes wait while it is")
    return costs


def operation_findings(app: str, name: str, operations, state: ProjectState) -> list[Finding]:
    """What each operation costs a populated table, walking ``state`` (the schema before the migration) along."""
    found: list[Finding] = []
    tables_before = set(state.models)  # a table created by this migration has no rows yet

    def existing(model_name: str) -> bool:
        return (app, model_name.lower()) in tables_before

    def note(kind: str, detail: str) -> None:
        found.append(Finding(app, name, kind, detail))

    for op in operations:
        if isinstance(op, migrations.AddField) and existing(op.model_name) and _needs_value(op.field):
            note("not null", f"{op.describe()}: NOT NULL without a default on a table that has rows")
        elif isinstance(op, migrations.AlterField) and existing(op.model_name):
            for cost in _alter_costs(_field(state, app, op.model_name, op.name), op.field):
                note("alter", f"{op.describe()}: {cost}")
        elif isinstance(op, migrations.AddIndex) and existing(op.model_name):
            note("index", f"{op.describe()}: built over every row, writes wait")
        elif isinstance(op, migrations.AddConstraint) and existing(op.model_name):
            note("constraint", f"{op.describe()}: validated over every row")
        elif isinstance(op, migrations.AlterUniqueTogether | migrations.AlterIndexTogether):
            note("index", f"{op.describe()}: built over every row, writes wait")
        elif isinstance(op, migrations.RemoveField | migrations.DeleteModel):
            note("drop", f"{op.describe()}: its data are gone (a backup keeps them)")
        elif isinstance(op, migrations.RunPython | migrations.RunSQL):
            undo = op.reverse_code if isinstance(op, migrations.RunPython) else op.reverse_sql
            if undo is None:
                note("no undo", f"{op.describe()}: no reverse, the migration cannot be undone")
            elif undo in (migrations.RunPython.noop, migrations.RunSQL.noop):
                note("no undo", f"{op.describe()}: its reverse does nothing")
            note("code", f"{op.describe()}: code, reviewed by hand")
        op.state_forwards(app, state)
    return found


def migrations_since(loader: MigrationLoader, release) -> list[tuple[str, str]]:
    """The migrations an install of ``release`` runs on upgrade, in an order they can run in."""
    released = {node for head in release.targets() for node in loader.graph.forwards_plan(head)}
    order: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        order += [node for node in loader.graph.forwards_plan(leaf) if node not in released and node not in order]
    return order


def findings_since(release) -> list[Finding]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for app, name in migrations_since(loader, release):
        state = loader.project_state((app, name), at_end=False)
        found += operation_findings(app, name, loader.get_migration(app, name).operations, state)
    return found


# The tests -----------------------------------------------------------------------------------------------


def test_migrations_since_the_previous_release_are_safe_or_reviewed():
    found = findings_since(PREVIOUS)
    unreviewed = [
        f"{f.app}.{f.migration} [{f.kind}] {f.detail}" for f in found if (f.app, f.migration, f.kind) not in REVIEWED
    ]
    assert not unreviewed, "unsafe on a populated database, fix it or name it in REVIEWED:\n" + "\n".join(unreviewed)
    stale = set(REVIEWED) - {(f.app, f.migration, f.kind) for f in found}
    assert not stale, f"REVIEWED names what no migration does any more: {sorted(stale)}"


def test_the_release_record_names_real_migrations_of_every_app():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    apps_with_migrations = {app for app, _name in loader.graph.nodes}
    for release in RELEASES:
        for app, head in release.heads:
            assert (app, head) in loader.graph.nodes, f"{release.version}: {app}.{head} is not a migration"
    # An app with migrations missing from the previous release runs all its migrations on upgrade: only an app
    # that did not exist then may be missing.
    assert apps_with_migrations - {app for app, _head in PREVIOUS.heads} == set()


def test_the_version_is_the_one_pyproject_declares():
    import tomllib
    from pathlib import Path

    from portal import releases

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == releases.VERSION
    assert releases.VERSION not in {r.version for r in RELEASES}, "the code's version is not released yet"


# The check itself can fail: migrations an upgrade must not meet unannounced --------------------------------


@pytest.fixture
def state() -> ProjectState:
    return MigrationLoader(None, ignore_no_migrations=True).project_state()


def kinds(operations, state) -> list[str]:
    return [f.kind for f in operation_findings("attendance", "9999_probe", operations, state)]


def forward(apps, schema_editor):
    """A data migration (never run here)."""


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (migrations.AddField("device", "rack", models.CharField(max_length=10)), ["not null"]),
        (migrations.AddField("device", "rack", models.IntegerField()), ["not null"]),
        (migrations.AddField("device", "rack", models.IntegerField(default=0)), []),
        (migrations.AddField("device", "rack", models.IntegerField(null=True)), []),
        (migrations.AddField("device", "rack", models.CharField(max_length=10, blank=True)), []),
        (migrations.AlterField("device", "name", models.CharField("nama/lokasi", max_length=100)), []),
        (migrations.AlterField("device", "name", models.CharField(max_length=200)), ["alter"]),
        (migrations.AlterField("device", "name", models.TextField()), ["alter"]),
        (migrations.AlterField("device", "comm_key", models.PositiveIntegerField()), ["alter"]),
        (
            migrations.AlterField("device", "host", models.CharField(max_length=255, blank=True, db_index=True)),
            ["alter"],
        ),
        (migrations.AddIndex("device", models.Index(fields=["name"], name="device_name_probe")), ["index"]),
        (migrations.RemoveField("device", "firmware"), ["drop"]),
        (migrations.RunPython(forward), ["no undo", "code"]),
        (migrations.RunPython(forward, migrations.RunPython.noop), ["no undo", "code"]),
        (migrations.RunPython(forward, forward), ["code"]),
        (migrations.RunSQL("SELECT 1"), ["no undo", "code"]),
    ],
    ids=lambda value: value.describe() if hasattr(value, "describe") else repr(value),
)
def test_the_check_finds_what_a_populated_table_pays_for(state, operation, expected):
    assert kinds([operation], state) == expected


def test_a_table_created_in_the_same_migration_has_no_rows_to_pay(state):
    create = migrations.CreateModel("Probe", [("id", models.BigAutoField(primary_key=True))])
    add = migrations.AddField("probe", "size", models.IntegerField())
    index = migrations.AddIndex("probe", models.Index(fields=["size"], name="probe_size"))
    assert kinds([create, add, index], state) == []


def test_adding_a_foreign_key_constraint_is_found(state):
    # Punch.device has no database constraint (attendance 0002); giving it one validates every punch.
    field = models.ForeignKey("attendance.Device", on_delete=models.PROTECT, related_name="punches", db_index=False)
    assert kinds([migrations.AlterField("punch", "device", field)], state) == ["alter"]
