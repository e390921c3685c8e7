"""Each decision keeps the deadline it was judged against, now that the claim keeps only its current level's.

Filled for the decisions of each claim's latest round of review (made after its latest submission), whose
deadlines the claim still holds; an earlier round's deadline was overwritten at resubmission and stays
unknown (its `on_time` verdict is kept)."""
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def fill_decision_deadlines(apps, schema_editor):
    Claim = apps.get_model("records", "Claim")
    ReviewDecision = apps.get_model("audits", "ReviewDecision")
    for level, column in ((1, "level1_due_on"), (2, "level2_due_on")):
        ReviewDecision.objects.filter(level=level, at__gte=F("claim__submitted_at")).update(
            due_on=Subquery(Claim.objects.filter(pk=OuterRef("claim_id")).values(column)[:1])
        )


class Migration(migrations.Migration):

    dependencies = [
        ("audits", "0004_screening"),
        ("records", "0009_claim_review_level_due"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewdecision",
            name="due_on",
            field=models.DateField(blank=True, null=True, verbose_name="当时的审核期限"),
        ),
        migrations.RunPython(fill_decision_deadlines, migrations.RunPython.noop),
    ]
