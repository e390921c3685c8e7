from django import forms
from django.core.exceptions import ValidationError

from records.hours.models import SubjectCategory
from records.plans.rules import PlanAction, item_problems
from records.plans.services import PlanItemInput

_DATE = {"invalid": "请填写正确的日期，如 2026-03-16。"}


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           error_messages={"required": f"请填写{label}。", **_DATE})


class PlanCreateForm(forms.Form):
    filer = forms.ChoiceField(label="编制单位", error_messages={"required": "请选择编制单位。",
                                                            "invalid_choice": "请从列表中选择编制单位。"})
    year = forms.IntegerField(label="计划年度", min_value=2000, max_value=2100,
                              error_messages={"required": "请填写计划年度。", "invalid": "计划年度须为四位数字，如 2026。",
                                              "min_value": "计划年度须为四位数字，如 2026。",
                                              "max_value": "计划年度须为四位数字，如 2026。"})

    def __init__(self, *args, units, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.filers = {f"unit-{u.pk}": ("unit", u) for u in units} | {
            f"authority-{a.pk}": ("authority", a) for a in authorities}
        self.fields["filer"].choices = [(key, str(obj)) for key, (_, obj) in self.filers.items()]

    def filer_kwargs(self) -> dict:
        kind, obj = self.filers[self.cleaned_data["filer"]]
        return {kind: obj}


class PlanItemForm(forms.Form):
    title = forms.CharField(label="课程（项目）名称", max_length=200, error_messages={"required": "请填写课程名称。"})
    # A blank first choice: a browser posts a select's first option, which would make every blank row "changed".
    category = forms.ChoiceField(label="科目类别", choices=[("", "请选择"), *SubjectCategory.choices],
                                 error_messages={"required": "请选择科目类别。",
                                                 "invalid_choice": "科目类别只能是公需科目或专业科目。"})
    subject_area = forms.CharField(label="专业领域", max_length=100, error_messages={"required": "请填写专业领域。"})
    start_date = _date_field("计划开始日期")
    end_date = _date_field("计划结束日期")
    hours = forms.DecimalField(label="计划学时", max_digits=5, decimal_places=1,
                               widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
                               error_messages={"required": "请填写计划学时。", "invalid": "计划学时须为数字，如 8 或 3.5。",
                                               "max_digits": "计划学时过大。", "max_decimal_places": "计划学时最多一位小数。"})
    place = forms.CharField(label="培训地点", max_length=200, error_messages={"required": "请填写培训地点。"})
    provider = forms.CharField(label="授课教师或承办机构", max_length=200,
                               error_messages={"required": "请填写授课教师或承办机构。"})
    expected_participants = forms.IntegerField(label="预计参训人数", min_value=1,
                                               error_messages={"required": "请填写预计参训人数。",
                                                               "invalid": "预计参训人数须为整数。",
                                                               "min_value": "预计参训人数至少为 1。"})

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean(self):
        data = super().clean()
        for problem in item_problems(self.year, data.get("start_date"), data.get("end_date"), data.get("hours")):
            self.add_error(problem.field, ValidationError(problem.message, code=problem.code))
        return data

    def item_input(self) -> PlanItemInput:
        return PlanItemInput(**{name: self.cleaned_data[name] for name in PlanItemInput.__dataclass_fields__})


class _ItemFormSet(forms.BaseFormSet):
    def item_inputs(self) -> list[PlanItemInput]:
        """The items kept (those already there, unless marked for deletion) and the blank rows filled in."""
        return [form.item_input() for i, form in enumerate(self.forms)
                if (i < self.initial_form_count() or form.has_changed()) and not self._should_delete_form(form)]


PlanItemFormSet = forms.formset_factory(PlanItemForm, formset=_ItemFormSet, extra=2, can_delete=True)


class PlanDecisionForm(forms.Form):
    action = forms.ChoiceField(label="审核意见", choices=[(PlanAction.FILE, PlanAction.FILE.label),
                                                        (PlanAction.RETURN, PlanAction.RETURN.label)],
                               widget=forms.RadioSelect,
                               error_messages={"required": "请选择审核通过并备案，或退回修改。",
                                               "invalid_choice": "请选择审核通过并备案，或退回修改。"})
    reason = forms.CharField(label="退回原因", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="退回时必填，编制单位将看到该原因。")


_TIME = {"invalid": "请填写正确的时间，如 09:00。"}


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                           error_messages={"required": f"请填写{label}。", **_TIME})


class SessionForm(forms.Form):
    item = forms.ModelChoiceField(label="培训计划项目（已备案）", queryset=None,
                                  error_messages={"required": "请选择培训计划项目。",
                                                  "invalid_choice": "请从列表中选择已备案的培训计划项目。"})
    date = _date_field("培训日期")
    starts_at = _time_field("签到开始时间")
    ends_at = _time_field("签到结束时间")
    place = forms.CharField(label="培训地点", max_length=200, error_messages={"required": "请填写培训地点。"})
    hours = forms.DecimalField(label="本场学时", max_digits=4, decimal_places=1,
                               error_messages={"required": "请填写本场学时。", "invalid": "学时须为数字，如 4 或 3.5。",
                                               "max_digits": "学时最多 3 位整数、1 位小数。",
                                               "max_decimal_places": "学时最多保留 1 位小数。"})

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class SessionFileForm(forms.Form):
    prefix = "evidence"  # the session's page holds the roster's file field too
    file = forms.FileField(label="佐证材料（签到表、照片、课件：PDF、JPG、PNG、PPTX、MP4）",
                           error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"})


class RosterForm(forms.Form):
    prefix = "roster"
    file = forms.FileField(label="签到名单（.xlsx 或 .csv：身份证号码，可另加一列姓名）",
                           error_messages={"required": "请选择名单文件。", "empty": "上传的文件是空的。"})


class TickForm(forms.Form):
    professional = forms.TypedMultipleChoiceField(
        label="本单位人员", coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少勾选一人。", "invalid_choice": "勾选的人员不在本单位名单中，请刷新页面后重试。"})

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["professional"].choices = [(p.pk, p.name) for p in staff]


class SessionClaimForm(forms.Form):
    note = forms.CharField(label="补充说明（可不填）", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"max_length": "补充说明不能超过 1000 字。"})
