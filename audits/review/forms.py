from django import forms
from django.core.exceptions import ValidationError

from audits.review.rules import LEVELS, REASON_REQUIRED, Action
from records.hours.models import ActivityKind, SubjectCategory

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
