"""Demo stage (ce_portal/demo/seed.py STAGES): the demo unit with an industry authority has filed this year's
training plan through the notice's chain: demo_unit drafts and submits it, demo_authority approves it, which
files it with the HR bureau of the authority's level (新华区). Through the real services, so the steps, the
due date and the audit trail are real. Runs once: a plan of the unit for the year means it is done.
"""
import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from ce_portal.clock import SHANGHAI
from ce_portal.demo.registry import Seeding, _demo_units
from records.plans.models import TrainingPlan
from records.plans.services import PlanItemInput, plan_create, plan_decide, plan_items_save, plan_submit

# (title, category, subject area, (month, day) start, days, hours, place, provider, participants)
ITEMS = [
    ("专业技术人员职业道德与法律法规", "public", "公需科目", (3, 10), 1, "8", "本单位学术报告厅", "平顶山学院", 60),
    ("本专业新技术、新规范专题培训", "professional", "本专业", (5, 19), 2, "16", "本单位学术报告厅",
     "本单位技术委员会", 40),
    ("安全生产与应急处置实训", "professional", "安全生产", (9, 15), 1, "8", "本单位实训基地", "平顶山市应急管理培训中心", 35),
]


def seed_training_plan(run: Seeding) -> None:
    unit, _ = _demo_units()
    year = run.today.year
    if unit is None or TrainingPlan.objects.filter(unit=unit, year=year).exists():
        return
    User = get_user_model()
    clerk, authority = User.objects.get(username="demo_unit"), User.objects.get(username="demo_authority")
    # Filed early in the year, before its first session.
    submitted = dt.datetime(year, 2, 24, 9, 30, tzinfo=SHANGHAI)
    now = min(submitted, dt.datetime.combine(run.today, dt.time(9, 30), tzinfo=SHANGHAI))
    plan = plan_create(actor=clerk, unit=unit, year=year, now=now)
    plan_items_save(actor=clerk, plan_id=plan.pk, now=now, items=[
        PlanItemInput(title=title, category=category, subject_area=area, start_date=dt.date(year, *start),
                      end_date=dt.date(year, *start) + dt.timedelta(days=days - 1), hours=Decimal(hours),
                      place=place, provider=provider, expected_participants=participants)
        for title, category, area, start, days, hours, place, provider, participants in ITEMS
    ])
    plan_submit(actor=clerk, plan_id=plan.pk, now=now)
    plan_decide(actor=authority, plan_id=plan.pk, action="file", now=now + dt.timedelta(days=1))
    run.stats["training_plans"] += 1
