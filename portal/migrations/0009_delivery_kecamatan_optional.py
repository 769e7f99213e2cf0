"""An install-wide notice to the administrators (``portal.notify.admins_notify``) belongs to no kecamatan.

Until now a delivery had to name one, so such notices were filed under the administrator's kecamatan or the
first one, where that kecamatan's staff saw them in their delivery log. ``Delivery.kecamatan`` may now be empty
(the log's scoping then shows the row to administrators only), and on PostgreSQL the guard of 0007 that proves
every inserted delivery's addressees exist accepts an empty kecamatan as it accepts an empty desa.

Safe on a populated table: dropping NOT NULL scans nothing, and replacing a trigger function takes its lock for
a moment. Going back files the empty ones as 0.2.0 did (the recipient's kecamatan, else the first) before NOT
NULL returns."""

import django.db.models.deletion
from django.db import migrations, models

GUARD = r"""
CREATE OR REPLACE FUNCTION portal_delivery_addressees_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM inserted i
        LEFT JOIN portal_user u ON u.id = i.recipient_id
        LEFT JOIN portal_kecamatan k ON k.id = i.kecamatan_id
        LEFT JOIN portal_desa d ON d.id = i.desa_id
        WHERE u.id IS NULL OR (i.kecamatan_id IS NOT NULL AND k.id IS NULL) OR (i.desa_id IS NOT NULL AND d.id IS NULL)
    ) THEN
        RAISE EXCEPTION 'delivery for a user, kecamatan or desa that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""

# 0007's function, as it was.
GUARD_BEFORE = GUARD.replace("(i.kecamatan_id IS NOT NULL AND k.id IS NULL)", "k.id IS NULL")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def backward(apps, schema_editor):
    Delivery = apps.get_model("portal", "Delivery")
    Kecamatan = apps.get_model("portal", "Kecamatan")
    User = apps.get_model("portal", "User")
    orphans = Delivery.objects.filter(kecamatan__isnull=True)
    postgresql = schema_editor.connection.vendor == "postgresql"
    if orphans.exists():
        if postgresql:  # 0007's guard refuses any change of a delivery's addressees: this one is the migration's
            schema_editor.execute("ALTER TABLE portal_delivery DISABLE TRIGGER portal_delivery_addressees_fixed")
        first = Kecamatan.objects.order_by("pk").values_list("pk", flat=True).first()
        own = dict(
            User.objects.filter(pk__in=orphans.values("recipient_id"), kecamatan__isnull=False).values_list(
                "pk", "kecamatan_id"
            )
        )
        for recipient_id in set(orphans.values_list("recipient_id", flat=True)):
            kecamatan_id = own.get(recipient_id, first)
            if kecamatan_id is None:
                raise RuntimeError("install-wide notices cannot be filed under a kecamatan: there is none")
            orphans.filter(recipient_id=recipient_id).update(kecamatan_id=kecamatan_id)
        if postgresql:
            schema_editor.execute("ALTER TABLE portal_delivery ENABLE TRIGGER portal_delivery_addressees_fixed")
    if postgresql:
        schema_editor.execute(GUARD_BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_notification_kind_system"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="kecamatan",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="portal.kecamatan",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
