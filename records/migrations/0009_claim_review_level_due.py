"""One deadline for the level a claim waits on (due_on, due_provisional, review_started_on), instead of a pair
of columns per level, so that the review levels are data (audits.review.rules.LEVELS). This step adds the new
columns and fills them from the old ones; audits 0005 keeps each decision's deadline; records 0010 then drops
the old columns and their indexes."""
from django.db import migrations, models
from django.db.models import F


def fill_generic_deadline(apps, schema_editor):
    Claim = apps.get_model("records", "Claim")
    waiting_at_level_2 = Claim.objects.filter(status="unit_approved")
    waiting_at_level_2.update(review_started_on=F("unit_approved_on"), due_on=F("level2_due_on"),
                              due_provisional=F("level2_due_provisional"))
    # Every other claim that was ever submitted keeps the deadline of the last level it reached.
    reached_level_2 = Claim.objects.exclude(status="unit_approved").filter(level2_due_on__isnull=False)
    reached_level_2.update(review_started_on=F("unit_approved_on"), due_on=F("level2_due_on"),
                           due_provisional=F("level2_due_provisional"))
    Claim.objects.filter(due_on__isnull=True, level1_due_on__isnull=False).update(
        review_started_on=F("filed_on"), due_on=F("level1_due_on"), due_provisional=F("level1_due_provisional"))


def fill_level_deadlines(apps, schema_editor):
    Claim = apps.get_model("records", "Claim")
    Claim.objects.filter(status="unit_approved").update(
        unit_approved_on=F("review_started_on"), level2_due_on=F("due_on"), level2_due_provisional=F("due_provisional"))
    Claim.objects.filter(status="submitted").update(level1_due_on=F("due_on"), level1_due_provisional=F("due_provisional"))


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0008_download_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="due_on",
            field=models.DateField(blank=True, null=True, verbose_name="本级审核期限"),
        ),
        migrations.AddField(
            model_name="claim",
            name="due_provisional",
            field=models.BooleanField(default=False, verbose_name="审核期限为暂定"),
        ),
        migrations.AddField(
            model_name="claim",
            name="review_started_on",
            field=models.DateField(blank=True, null=True, verbose_name="本级审核起算日期"),
        ),
        migrations.RunPython(fill_generic_deadline, fill_level_deadlines),
    ]
