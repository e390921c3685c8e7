from django import forms

from records.compliance.selectors import Filters
from records.people.forms import IdNumberFindForm

SEARCH_MAX = 30


COMPLIANT_CHOICES = [("", "全部"), ("yes", "达标"), ("no", "未达标"), ("none", "无记录")]


def _id_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=1,
                              error_messages={"invalid": f"请选择正确的{label}。", "min_value": f"请选择正确的{label}。"})


class ComplianceFilterForm(forms.Form):
    """The list's filters, from the page's query string or the export button's form. Units, regions and
    authorities are checked against the user's scope by the selector (outside it: 404)."""

    year = forms.TypedChoiceField(label="年度", coerce=int, required=False,
                                  error_messages={"invalid_choice": "请选择正确的年度：%(value)s 年没有学时要求或尚未开始。"})
    compliant = forms.ChoiceField(label="是否达标", required=False, choices=COMPLIANT_CHOICES,
                                  error_messages={"invalid_choice": "“是否达标”只能选全部、达标、未达标或无记录。"})
    region = _id_field("县（市、区）")
    authority = _id_field("行业主管部门")
    unit = _id_field("单位")
    q = forms.CharField(label="姓名", required=False, max_length=SEARCH_MAX,
                        error_messages={"max_length": f"查询内容最多 {SEARCH_MAX} 个字。"})
    person = _id_field("人员")

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y} 年") for y in years]
        self.default_year = years[0]

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            year=data["year"] or self.default_year, unit_id=data["unit"], region_id=data["region"],
            authority_id=data["authority"], compliant={"yes": True, "no": False}.get(data["compliant"]),
            no_record=data["compliant"] == "none",
            search=data["q"].strip(), person=data["person"],
        )


class PersonFindForm(IdNumberFindForm):
    """A whole ID number on the list of a year (the list's year; the latest when none is given)."""

    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None,
                                  error_messages={"invalid_choice": "请选择正确的年度。"})

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y} 年") for y in years]
        self.default_year = years[0]

    def chosen_year(self) -> int:
        """The year asked for if it was a valid one, whatever became of the number."""
        return self.cleaned_data.get("year") or self.default_year
