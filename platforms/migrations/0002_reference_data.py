from django.db import migrations


def load(apps, schema_editor):
    from platforms.reference import load_reference_data

    load_reference_data(
        Region=apps.get_model("records", "Region"),
        LearningPlatform=apps.get_model("platforms", "LearningPlatform"),
        TrainingBase=apps.get_model("platforms", "TrainingBase"),
        RequirementPolicy=apps.get_model("records", "RequirementPolicy"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0001_initial"),
        ("records", "0001_initial"),
    ]
    # Reverse is a no-op: by then city_hr may have edited the rows, and they are not ours to delete.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
