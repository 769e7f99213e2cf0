"""Database guards for deliveries on PostgreSQL instead of three foreign keys.

PostgreSQL checked ``Delivery.recipient``, ``kecamatan`` and ``desa`` row by row at commit: three lookups and
row locks per delivery, 46,320 of them on a province's deadline morning, a third of the alert pass (README,
Benchmarks). The same integrity, kept with one anti-join per INSERT statement instead:

* every inserted delivery's recipient, kecamatan and desa exist (statement-level trigger over the inserted
  rows);
* a delivery's recipient, kecamatan and desa never change (the alert and delivery code never changes them);
* a user, kecamatan or desa with deliveries cannot be deleted. The DELETE first takes a SHARE lock on
  ``portal_delivery``: it waits for the transactions writing deliveries to end and keeps new ones out until it
  ends itself, so its check sees every delivery that can refer to the row (what the foreign key's row lock did;
  under READ COMMITTED, Django's level, each check reads with a fresh snapshot). Deleting such a row is a rare
  admin act; Django's PROTECT refuses it before it reaches the database anyway.

Not guarded, as with punches (attendance 0003): TRUNCATE of the referenced tables. SQLite (the zero-config
default) gets no triggers; Django's PROTECT guards deletes there.

Safe on a populated table: dropping a constraint or an index and creating a trigger scan nothing and hold their
lock for a moment; the existing rows were checked by the foreign keys being dropped. The desa index goes with
its constraint: nothing reads deliveries by desa (see ``portal.models.Delivery``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = r"""
CREATE FUNCTION portal_delivery_addressees_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM inserted i
        LEFT JOIN portal_user u ON u.id = i.recipient_id
        LEFT JOIN portal_kecamatan k ON k.id = i.kecamatan_id
        LEFT JOIN portal_desa d ON d.id = i.desa_id
        WHERE u.id IS NULL OR k.id IS NULL OR (i.desa_id IS NOT NULL AND d.id IS NULL)
    ) THEN
        RAISE EXCEPTION 'delivery for a user, kecamatan or desa that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER portal_delivery_addressees_exist AFTER INSERT ON portal_delivery
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION portal_delivery_addressees_exist();

CREATE FUNCTION portal_delivery_addressees_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the recipient, kecamatan and desa of a delivery never change'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER portal_delivery_addressees_fixed BEFORE UPDATE OF recipient_id, kecamatan_id, desa_id
    ON portal_delivery FOR EACH ROW
    WHEN (OLD.recipient_id IS DISTINCT FROM NEW.recipient_id OR OLD.kecamatan_id IS DISTINCT FROM NEW.kecamatan_id
          OR OLD.desa_id IS DISTINCT FROM NEW.desa_id)
    EXECUTE FUNCTION portal_delivery_addressees_fixed();

CREATE FUNCTION portal_delivery_lock_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE portal_delivery IN SHARE MODE;
    RETURN NULL;
END $$;

CREATE FUNCTION portal_delivery_keeps_addressee() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referred boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM portal_delivery WHERE %I = $1)', TG_ARGV[0]) INTO referred USING OLD.id;
    IF referred THEN
        RAISE EXCEPTION '% % has deliveries and cannot be deleted', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;
"""

REFERENCED = (("portal_user", "recipient_id"), ("portal_kecamatan", "kecamatan_id"), ("portal_desa", "desa_id"))

FORWARD += "".join(
    f"CREATE TRIGGER {table}_delivery_lock_out BEFORE DELETE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION portal_delivery_lock_out();\n"
    f"CREATE TRIGGER {table}_keeps_deliveries BEFORE DELETE ON {table} "
    f"FOR EACH ROW EXECUTE FUNCTION portal_delivery_keeps_addressee('{column}');\n"
    for table, column in REFERENCED
)

BACKWARD = (
    "".join(
        f"DROP TRIGGER {table}_keeps_deliveries ON {table};\nDROP TRIGGER {table}_delivery_lock_out ON {table};\n"
        for table, _column in REFERENCED
    )
    + r"""
DROP FUNCTION portal_delivery_keeps_addressee();
DROP FUNCTION portal_delivery_lock_out();
DROP TRIGGER portal_delivery_addressees_fixed ON portal_delivery;
DROP FUNCTION portal_delivery_addressees_fixed();
DROP TRIGGER portal_delivery_addressees_exist ON portal_delivery;
DROP FUNCTION portal_delivery_addressees_exist();
"""
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_user_nip"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="desa",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="portal.desa",
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="kecamatan",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="portal.kecamatan",
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="recipient",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deliveries",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
