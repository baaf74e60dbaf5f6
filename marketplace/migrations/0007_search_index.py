"""The database's own full-text index over SearchDocument's token columns (see marketplace.search.schema):
PostgreSQL, a trigger-kept weighted tsvector with a RUM index (GIN when the rum extension is missing)
and a pg_trgm index on titles; SQLite, an FTS5 table kept by triggers."""

from django.db import migrations


def forwards(apps, schema_editor):
    from marketplace.search import schema

    schema.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from marketplace.search import schema

    schema.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    # The extension and index statements run one by one, each in its own savepoint when it may fail.
    atomic = True

    dependencies = [("marketplace", "0006_search")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
