"""Drop the per-level deadline columns (records 0009 moved them to the claim's current-level deadline and
audits 0005 to each decision) and index the queues and the timers on the one deadline."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0009_claim_review_level_due"),
        ("audits", "0005_reviewdecision_due_on"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="claim", name="claim_unit_queue"),
        migrations.RemoveIndex(model_name="claim", name="claim_authority_queue"),
        migrations.RemoveIndex(model_name="claim", name="claim_region_queue"),
        migrations.RemoveIndex(model_name="claim", name="claim_pending_l1_due"),
        migrations.RemoveIndex(model_name="claim", name="claim_pending_l2_due"),
        migrations.RemoveField(model_name="claim", name="level1_due_on"),
        migrations.RemoveField(model_name="claim", name="level1_due_provisional"),
        migrations.RemoveField(model_name="claim", name="level2_due_on"),
        migrations.RemoveField(model_name="claim", name="level2_due_provisional"),
        migrations.RemoveField(model_name="claim", name="unit_approved_on"),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["unit", "status", "due_on"], name="claim_unit_queue_due"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["level2_authority", "status", "due_on"], name="claim_authority_queue_due"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["level2_region", "status", "due_on"], name="claim_region_queue_due"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["status", "due_on"], name="claim_waiting_due"),
        ),
    ]
