from django import forms

from audits.screening.models import ScreeningFlag
from audits.screening.rules import Rule
from audits.screening.services import Resolution

REASON_MAX = 500


class FlagFilterForm(forms.Form):
    rule = forms.ChoiceField(label="筛查规则", required=False, choices=[("", "全部"), *Rule.choices])
    status = forms.ChoiceField(label="处理状态", required=False, choices=[("", "全部"), *ScreeningFlag.Status.choices])

    def filters(self) -> dict:
        """The valid filters; an invalid one is reported on the page and ignored. Unfiltered: the open ones."""
        if not self.is_bound:
            return {"rule": "", "status": ScreeningFlag.Status.OPEN}
        self.is_valid()
        return {"rule": self.cleaned_data.get("rule", ""), "status": self.cleaned_data.get("status", "")}


class ResolveForm(forms.Form):
    action = forms.ChoiceField(label="处理方式", choices=Resolution.choices, widget=forms.RadioSelect,
                               error_messages={"required": "请选择处理方式：排除疑点或确认问题。",
                                               "invalid_choice": "请选择处理方式：排除疑点或确认问题。"})
    reason = forms.CharField(label="处理理由", required=False, max_length=REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"max_length": f"处理理由最多 {REASON_MAX} 字。"})
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("action") == Resolution.DISMISS and not data.get("reason", "").strip():
            self.add_error("reason", "排除疑点须填写理由。")
        return data
