"""On PostgreSQL, two live bookings of one piece of equipment cannot overlap: an exclusion
constraint over (equipment, [starts_at, ends_at)) backs the service's row lock. SQLite serialises
writers, and the service's check under that lock is enough there."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE pilots_booking ADD CONSTRAINT pilot_booking_no_overlap
    EXCLUDE USING gist (equipment_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (is_active);
"""
DROP = "ALTER TABLE pilots_booking DROP CONSTRAINT IF EXISTS pilot_booking_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("pilots", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
