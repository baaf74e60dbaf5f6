"""The matcher's corpus statistics: on SQLite an fts5vocab table over the search index (schema.install
is idempotent and adds it); on PostgreSQL the TermStatistic table of 0008, filled from ts_stat."""

from django.db import migrations


def forwards(apps, schema_editor):
    from marketplace.search import schema

    schema.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0008_matching")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
