"""Reference data every deployment needs: GB/T 2260 regions, the industry-field taxonomy,
and the bureau's staff groups."""

from django.db import migrations


def load(apps, schema_editor):
    from marketplace.reference_data import ensure_staff_groups, load_industry_fields, load_regions

    load_regions(apps.get_model("marketplace", "Region"))
    load_industry_fields(apps.get_model("marketplace", "IndustryField"))
    ensure_staff_groups(apps.get_model("auth", "Group"))


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
