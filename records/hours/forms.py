from django import forms
from django.core.exceptions import ValidationError

from platforms.registry.models import TrainingBase
from records.hours.models import ActivityKind, SubjectCategory
from records.hours.rules import (
    EVIDENCE_HELP, PLAN_ITEM_NOT_OWN, ClaimStatus, evidence_count_problem, evidence_problems, provider_problems,
    upload_size_problem,
)
from records.hours.selectors import RegisterFilters
from records.hours.services import ClaimInput, activity_problems, claim_plan_item_problems, upload_sniff
from records.people.selectors import current_employment
from records.plans.models import PlanItem
from records.plans.selectors import plan_items_for_claims


# What the browser's file picker offers; the content decides (records/hours/rules.py EVIDENCE_TYPES).
EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,.pptx,.mp4"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input multiple>; cleans to a list (empty when none was chosen)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        kwargs.setdefault("error_messages", {"empty": "所选文件中有空文件，请重新选择。"})
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


def _file_problems(upload) -> list:
    sniffed = upload_sniff(upload)
    return evidence_problems(upload.name, sniffed.head, upload.size, sniffed.zip_names)


_DATE_ERRORS = {"invalid": "请填写正确的日期，如 2025-09-22。"}


class ClaimForm(forms.Form):
    """A claim's content and new evidence. Every rule is checked by the same functions the services use."""

    kind = forms.ChoiceField(label="活动形式", choices=ActivityKind.choices,
                             error_messages={"required": "请选择活动形式。", "invalid_choice": "请从列表中选择活动形式。"})
    plan_item = forms.ModelChoiceField(
        label="所属培训计划项目", queryset=PlanItem.objects.none(), required=False,
        empty_label="（不是单位组织的培训，或单位未备案培训计划）",
        help_text="单位组织培训请选择本单位已备案年度培训计划中的对应项目；未选择的将由市人社局核查。",
        error_messages={"invalid_choice": PLAN_ITEM_NOT_OWN},
    )
    category = forms.ChoiceField(label="科目类别", choices=SubjectCategory.choices, widget=forms.RadioSelect,
                                 error_messages={"required": "请选择公需科目或专业科目。",
                                                 "invalid_choice": "科目类别只能是公需科目或专业科目。"})
    title = forms.CharField(label="活动名称", max_length=200, error_messages={"required": "请填写活动名称。"})
    content = forms.CharField(label="活动内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": "请填写活动内容（主要课程或专题）。"})
    provider_base = forms.ModelChoiceField(
        label="继续教育基地（附件3）", queryset=TrainingBase.objects.filter(active=True), required=False,
        empty_label="（不是继续教育基地，请在下方填写主办单位）",
        error_messages={"invalid_choice": "所选继续教育基地不存在或已停用。"},
    )
    provider_name = forms.CharField(label="其他主办单位", max_length=200, required=False)
    start_date = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 error_messages={"required": "请填写活动开始日期。", **_DATE_ERRORS})
    end_date = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               error_messages={"required": "请填写活动结束日期。", **_DATE_ERRORS})
    hours = forms.DecimalField(
        label="申报学时", widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
        help_text="以 0.5 学时为单位，每个活动日最多 10 学时。",
        error_messages={"required": "请填写申报学时。", "invalid": "申报学时须为数字，如 2 或 3.5。"},
    )
    result = forms.CharField(label="考试考核结果", max_length=200, help_text="如：合格、优秀、85 分。",
                             error_messages={"required": "请填写考试考核结果（如“合格”）。"})
    external_certificate_no = forms.CharField(label="证书编号（选填）", max_length=100, required=False)
    evidence = MultipleFileField(
        label="佐证材料", help_text=EVIDENCE_HELP,
    )

    def __init__(self, *args, professional, now, claim=None, existing_evidence: int = 0, submitting: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.professional, self.now, self.claim = professional, now, claim
        self.existing_evidence, self.submitting = existing_evidence, submitting
        employment = current_employment(professional)
        self.fields["plan_item"].queryset = plan_items_for_claims(employment and employment.unit_id)

    def clean_evidence(self):
        files = self.cleaned_data["evidence"]
        errors = [p.message for f in files for p in _file_problems(f)]
        for problem in (evidence_count_problem(self.existing_evidence, len(files)),
                        upload_size_problem([f.size for f in files])):
            if problem:
                errors.append(problem.message)
        if self.submitting and not files and not self.existing_evidence:
            errors.append("请至少上传一份佐证材料（证书、考勤记录、照片或课件）后再提交。")
        if errors:
            raise ValidationError(errors)
        return files

    def claim_input(self) -> ClaimInput:
        return ClaimInput(**{name: self.cleaned_data[name] for name in ClaimInput.__dataclass_fields__})

    def clean(self):
        """Each group of rules runs as soon as its own fields are readable, so one form shows every problem."""
        data = super().clean()
        problems = []
        if all(name in data for name in ("start_date", "end_date", "hours")):
            problems += activity_problems(professional=self.professional, start_date=data["start_date"],
                                          end_date=data["end_date"], hours=data["hours"], now=self.now,
                                          claim=self.claim)
        if data.get("plan_item") and "kind" in data and "start_date" in data:
            problems += claim_plan_item_problems(professional=self.professional, kind=data["kind"],
                                                 year=data["start_date"].year, plan_item=data["plan_item"])
        if "provider_base" in data and "provider_name" in data:
            problems += provider_problems(data["provider_base"] and data["provider_base"].pk, data["provider_name"])
        for problem in problems:
            self.add_error(problem.field, ValidationError(problem.message, code=problem.code))
        return data


class EvidenceCorrectionForm(forms.Form):
    """A corrected version of an evidence file that went out with a submission (the old one is kept)."""

    file = forms.FileField(label="更正后的文件", widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
                           error_messages={"required": "请选择更正后的文件。", "empty": "所选文件是空文件，请重新选择。"})


class RegisterFilterForm(forms.Form):
    """The unit register's filters (GET). An invalid one is reported on the page and ignored, never half-applied."""

    professional = forms.TypedChoiceField(label="人员", required=False, coerce=int, empty_value=None,
                                          error_messages={"invalid_choice": "所选人员不在本单位登记中。"})
    year = forms.TypedChoiceField(label="学时年度", required=False, coerce=int, empty_value=None,
                                  error_messages={"invalid_choice": "本单位登记中没有该年度的活动。"})
    kind = forms.ChoiceField(label="活动形式", required=False, choices=[("", "全部"), *ActivityKind.choices],
                             error_messages={"invalid_choice": "请从列表中选择活动形式。"})
    # A draft is the person's own business: the register never holds one.
    status = forms.ChoiceField(label="状态", required=False, error_messages={"invalid_choice": "请从列表中选择状态。"},
                               choices=[("", "全部"), *((value, label) for value, label in ClaimStatus.choices
                                                        if value != ClaimStatus.DRAFT)])

    def __init__(self, *args, people: list[tuple[int, str]], years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["professional"].choices = [("", "全部"), *people]
        self.fields["year"].choices = [("", "全部"), *((year, f"{year} 年") for year in years)]

    def filters(self) -> RegisterFilters:
        if not self.is_bound:
            return RegisterFilters()
        self.is_valid()
        data = self.cleaned_data
        return RegisterFilters(professional_id=data.get("professional"), year=data.get("year"),
                               kind=data.get("kind", ""), status=data.get("status", ""))
