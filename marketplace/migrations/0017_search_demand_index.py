"""A RUM index of the demands' search vectors (schema.RUM_DEMAND_INDEX), where the rum extension is
installed: schema.install is idempotent and adds it."""

from django.db import migrations


def forwards(apps, schema_editor):
    from marketplace.search import schema

    schema.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from marketplace.search import schema

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema.RUM_DEMAND_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0016_audit_history")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
