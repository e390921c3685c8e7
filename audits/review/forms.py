from django import forms
from django.core.exceptions import ValidationError

from audits.review.rules import LEVELS, REASON_REQUIRED, REVIEW_WORKING_DAYS, Action, unit_standard_problems
from records.hours.models import ActivityKind, SubjectCategory
from records.hours.rules import StandardMethod, StandardRule

ACTION_CHOICES = [(Action.APPROVE.value, "审核通过"), (Action.REJECT.value, "审核不通过"), (Action.RETURN.value, "退回修改")]


ACTION_LABELS = dict(ACTION_CHOICES)


REASON_MAX = 500


class QueueFilterForm(forms.Form):
    due = forms.ChoiceField(label="期限", required=False, choices=[
        ("", "全部"), ("overdue", "已逾期"), ("soon", "1 个工作日内到期"),
    ])
    category = forms.ChoiceField(label="科目类别", required=False, choices=[("", "全部"), *SubjectCategory.choices])
    kind = forms.ChoiceField(label="活动形式", required=False, choices=[("", "全部"), *ActivityKind.choices])
    unit = forms.TypedChoiceField(label="单位", required=False, coerce=int, empty_value=None,
                                  error_messages={"invalid_choice": "所选单位不在您的待审核范围内。"})
    level = forms.TypedChoiceField(label="审核环节", required=False, coerce=int, empty_value=None, choices=[
        ("", "全部"), *((str(level.number), level.label) for level in LEVELS),
    ])

    def __init__(self, *args, units: list[tuple[int, str]], show_level: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "全部"), *units]
        if not show_level:
            del self.fields["level"]

    def filters(self) -> dict:
        """The valid filters (an invalid one is reported on the page and ignored, never half-applied)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {
            "due": data.get("due", ""), "category": data.get("category", ""), "kind": data.get("kind", ""),
            "unit_id": data.get("unit"), "level": data.get("level"),
        }


class ClaimIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(v) for v in value or []})
        except (TypeError, ValueError):
            raise ValidationError("所选申报编号无效，请刷新页面后重新勾选。", code="invalid")


class BatchForm(forms.Form):
    claim = ClaimIdsField(error_messages={"required": "请至少勾选一条申报。"})
    action = forms.ChoiceField(label="批量操作", choices=ACTION_CHOICES,
                               error_messages={"required": "请选择批量操作。", "invalid_choice": "请选择批量操作。"})
    reason = forms.CharField(label="理由", required=False, max_length=REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in REASON_REQUIRED and not data.get("reason", "").strip():
            self.add_error("reason", f"批量{ACTION_LABELS[action]}必须填写理由。")
        return data


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=ACTION_CHOICES, error_messages={"invalid_choice": "请选择审核操作。"})
    reason = forms.CharField(required=False, max_length=REASON_MAX)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class ReviewerAppointForm(forms.Form):
    """Which of the unit's staff (with an account) becomes its reviewer."""

    professional = forms.ModelChoiceField(
        label="指定审核员", queryset=None, empty_label="请选择本单位在职人员",
        error_messages={"required": "请选择要指定为审核员的人员。", "invalid_choice": "所选人员不是本单位在职且已开通账号的人员。"},
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["professional"].queryset = staff


class UnitStandardForm(forms.Form):
    """A unit's 学时认定标准: its review time limit, and per activity kind a way of counting with its number
    (both empty: no rule for that kind). Checked by the same rules the service refuses with."""

    review_working_days = forms.IntegerField(
        label="本单位审核时限（工作日）", min_value=1, max_value=REVIEW_WORKING_DAYS,
        help_text=f"自申报提交之日起，单位须在此期限内完成审核；通知规定不得超过 {REVIEW_WORKING_DAYS} 个工作日。",
        error_messages={
            "required": "请填写本单位审核时限（工作日）。", "invalid": "审核时限须为整数个工作日。",
            "min_value": "本单位审核时限至少为 1 个工作日。",
            "max_value": f"本单位审核时限不能超过 {REVIEW_WORKING_DAYS} 个工作日（通知规定的上限）。",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in ActivityKind.choices:
            self.fields[f"{kind}_method"] = forms.ChoiceField(
                label=f"{label}：认定方式", required=False, choices=[("", "不设标准"), *StandardMethod.choices],
                error_messages={"invalid_choice": f"{label}：请从列表中选择认定方式。"},
            )
            self.fields[f"{kind}_amount"] = forms.DecimalField(
                label=f"{label}：学时数", required=False, min_value=0, max_digits=5, decimal_places=1,
                widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
                error_messages={"invalid": f"{label}：学时数须为数字，如 4 或 2.5。",
                                "min_value": f"{label}：学时数须大于 0。",
                                "max_digits": f"{label}：学时数过大。",
                                "max_decimal_places": f"{label}：学时数须以 0.5 学时为单位。"},
            )

    def kind_rows(self):
        """(label, method field, amount field) per activity kind, for the template's table."""
        return [(label, self[f"{kind}_method"], self[f"{kind}_amount"]) for kind, label in ActivityKind.choices]

    def rules(self) -> list[StandardRule]:
        data = self.cleaned_data
        return [StandardRule(kind, data[f"{kind}_method"], data[f"{kind}_amount"])
                for kind, _ in ActivityKind.choices if data.get(f"{kind}_method")]

    def clean(self):
        data = super().clean()
        for kind, label in ActivityKind.choices:
            method, amount = data.get(f"{kind}_method"), data.get(f"{kind}_amount")
            if method and amount is None and f"{kind}_amount" not in self.errors:
                self.add_error(f"{kind}_amount", f"{label}：已选择认定方式，请填写学时数。")
            elif not method and amount is not None and f"{kind}_method" not in self.errors:
                self.add_error(f"{kind}_method", f"{label}：已填写学时数，请选择认定方式。")
        if not self.errors:
            for problem in unit_standard_problems(data.get("review_working_days"), self.rules(),
                                                  dict(ActivityKind.choices)):
                self.add_error(problem.field, ValidationError(problem.message, code=problem.code))
        return data

    @classmethod
    def initial_for(cls, standard) -> dict:
        if standard is None:
            return {"review_working_days": REVIEW_WORKING_DAYS}
        initial = {"review_working_days": standard.review_working_days}
        for item in standard.items.all():
            initial[f"{item.kind}_method"], initial[f"{item.kind}_amount"] = item.method, item.amount
        return initial
