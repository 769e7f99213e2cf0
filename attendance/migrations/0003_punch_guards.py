"""Database guards for raw punches on PostgreSQL: punches never change and are never deleted, every inserted
punch belongs to an existing device, and a device with punches cannot be deleted.

The foreign key on ``Punch.device`` was dropped in 0002 because PostgreSQL checks it row by row at commit
(a third of a 100,000-record pull). The statement-level trigger below checks the same thing once per
INSERT with one anti-join over the inserted rows. SQLite (the zero-config default) gets no triggers: its
test runs empty tables with DELETE, and Django's PROTECT still guards devices there."""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION attendance_punch_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'raw punches are immutable: % is not allowed on attendance_punch', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER attendance_punch_immutable BEFORE UPDATE OR DELETE ON attendance_punch
    FOR EACH ROW EXECUTE FUNCTION attendance_punch_immutable();

CREATE FUNCTION attendance_punch_device_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted i WHERE NOT EXISTS (SELECT 1 FROM attendance_device d WHERE d.id = i.device_id))
    THEN
        RAISE EXCEPTION 'punch for a device that does not exist' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER attendance_punch_device_exists AFTER INSERT ON attendance_punch
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION attendance_punch_device_exists();

CREATE FUNCTION attendance_device_keeps_punches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM attendance_punch WHERE device_id = OLD.id) THEN
        RAISE EXCEPTION 'device % has punches and cannot be deleted', OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER attendance_device_keeps_punches BEFORE DELETE ON attendance_device
    FOR EACH ROW EXECUTE FUNCTION attendance_device_keeps_punches();
"""

BACKWARD = r"""
DROP TRIGGER attendance_device_keeps_punches ON attendance_device;
DROP FUNCTION attendance_device_keeps_punches();
DROP TRIGGER attendance_punch_device_exists ON attendance_punch;
DROP FUNCTION attendance_punch_device_exists();
DROP TRIGGER attendance_punch_immutable ON attendance_punch;
DROP FUNCTION attendance_punch_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("attendance", "0002_punch_one_index")]
    operations = [migrations.RunPython(forward, backward)]
