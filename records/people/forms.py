"""Forms for getting people in: log-in, password reset by mail, self-registration, one's own phone and e-mail,
staff import and entry, 调入 and its refusal, new units."""
import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from ce_portal.errors import add_domain_error
from records.people.models import IndustryAuthority, Professional, Region, Unit
from records.people.rules import (
    StaffRowInvalid, clean_staff_row, normalize_credit_code, normalize_id_number, validate_credit_code,
    validate_id_number, validate_mobile,
)
from records.people.selectors import login_username, registration_rejection_reason


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入（密码区分大小写）。",
        "inactive": "您的账号正在等待用人单位审核，审核通过后即可登录。",
    }

    def clean_username(self):
        # Before authenticate(): the lock-out's records then hold the digest, never a typed ID number.
        return login_username(self.cleaned_data["username"])

    def confirm_login_allowed(self, user):
        if not user.is_active:
            reason = registration_rejection_reason(user)
            if reason is not None:
                raise forms.ValidationError(
                    f"您的注册申请未通过用人单位审核，原因：{reason}。请核对后重新注册（可选择正确的单位），或联系单位。",
                    code="rejected",
                )
            raise forms.ValidationError(self.error_messages["inactive"], code="inactive")


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset by e-mail: its `get_users` finds the accounts by the address on file (a professional,
    whose account name is a digest, resets with their e-mail); the mail itself goes through
    `records/people/services.py` `password_reset_request`."""

    email = forms.EmailField(label="电子邮箱", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                             error_messages={"required": "请填写您在平台登记的电子邮箱。",
                                             "invalid": "电子邮箱格式不正确，请检查后重新输入。"})


class MobileField(forms.CharField):
    """A mainland mobile number; the spaces and hyphens people type between groups go before it is checked."""

    default_validators = [validate_mobile]

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "手机号码")
        kwargs.setdefault("error_messages", {"required": "请填写手机号码。"})
        super().__init__(max_length=20, **kwargs)

    def to_python(self, value):
        return super().to_python(value).replace(" ", "").replace("-", "")


class ContactForm(forms.Form):
    """A professional's own phone (required: the unit calls people on it) and e-mail (optional: without one,
    a forgotten password is reset by the unit)."""

    phone = MobileField()
    email = forms.EmailField(label="电子邮箱", max_length=254, required=False,
                             help_text="用于找回密码；不填写则忘记密码时只能请单位重置。",
                             error_messages={"invalid": "电子邮箱格式不正确，请检查后重新输入。"})


class _IdentifierField(forms.CharField):
    """Spaces and a lower-case x are forgiven before the checksum is checked (subclasses say how)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=24, **kwargs)

    def to_python(self, value):
        return self.normalize(super().to_python(value))


class IdNumberField(_IdentifierField):
    default_validators = [validate_id_number]
    normalize = staticmethod(normalize_id_number)

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "身份证号码")
        kwargs.setdefault("error_messages", {"required": "请填写身份证号码。"})
        super().__init__(**kwargs)


class IdNumberFindForm(forms.Form):
    """A look-up by a whole ID number, posted so that the number stays out of the address."""

    id_number = IdNumberField()


class CreditCodeField(_IdentifierField):
    default_validators = [validate_credit_code]
    normalize = staticmethod(normalize_credit_code)


class RegistrationForm(forms.Form):
    id_number = IdNumberField(help_text="身份证号码即登录用户名。")
    name = forms.CharField(label="姓名", max_length=64, error_messages={"required": "请填写姓名。"})
    phone = MobileField()
    password1 = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput,
                                error_messages={"required": "请设置密码。"})
    password2 = forms.CharField(label="确认密码", strip=False, widget=forms.PasswordInput,
                                error_messages={"required": "请再次输入密码。"})
    q = forms.CharField(label="查找单位", required=False, max_length=64)
    unit = forms.ModelChoiceField(
        label="所在单位", queryset=Unit.objects.all(),
        error_messages={"required": "请先查找并选择您所在的单位。", "invalid_choice": "所选单位不存在，请重新查找。"},
    )

    def clean(self):
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", ValidationError("两次输入的密码不一致。", code="password_mismatch"))
        elif password1:
            candidate = get_user_model()(username=data.get("id_number", ""), first_name=data.get("name", ""))
            try:
                validate_password(password1, user=candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RejectRegistrationForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写退回原因，申请人登录时会看到。"})


class UnitReviewerForm(forms.Form):
    """A form a unit reviewer fills for one of their units; with a single unit the choice is implicit."""

    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.none(),
                                  error_messages={"required": "请选择单位。", "invalid_choice": "请选择您负责的单位。"})

    def __init__(self, *args, units, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["unit"].queryset = units
        if len(units) == 1:
            # Their only unit: nothing to choose, and nothing a tampered post could change.
            self.fields["unit"].initial = units[0].pk
            self.fields["unit"].disabled = True
            self.fields["unit"].widget = forms.HiddenInput()


class StaffImportForm(UnitReviewerForm):
    file = forms.FileField(label="人员名单文件（.xlsx 或 .csv）",
                           error_messages={"required": "请选择要导入的文件。", "empty": "文件是空的。"})


class StaffAddForm(UnitReviewerForm):
    name = forms.CharField(label="姓名", required=False)
    id_number = forms.CharField(label="身份证号码", required=False)
    specialty = forms.CharField(label="专业", required=False)
    title_level = forms.ChoiceField(label="职称等级", choices=Professional.TitleLevel.choices,
                                    initial=Professional.TitleLevel.NONE)
    phone = forms.CharField(label="手机号码", required=False)
    started_on = forms.DateField(label="入职日期（不填为今天）", required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 error_messages={"invalid": "请填写正确的日期，如 2024-03-01。"})

    def clean(self):
        data = super().clean()
        try:
            self.row = clean_staff_row(today=self.today, **{
                key: data.get(key) for key in ("name", "id_number", "specialty", "title_level", "phone", "started_on")
            })
        except StaffRowInvalid as exc:
            add_domain_error(self, exc)
        return data


class TransferForm(UnitReviewerForm):
    id_number = IdNumberField()
    name = forms.CharField(label="姓名", max_length=64, error_messages={"required": "请填写姓名。"},
                           help_text="须与该人员登记的姓名一致。")
    on = forms.DateField(label="调入日期", widget=forms.DateInput(attrs={"type": "date"}),
                         error_messages={"required": "请填写调入日期。",
                                         "invalid": "请填写正确的日期，如 2024-03-01。"})

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > self.today:
            raise ValidationError("调入日期不能晚于今天。", code="transfer_in_future")
        return on


class TransferRefuseForm(forms.Form):
    reason = forms.CharField(label="拒绝原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写拒绝原因，调入单位会看到。"})


class UnitForm(forms.Form):
    name = forms.CharField(label="单位名称", max_length=128, error_messages={"required": "请填写单位名称。"})
    credit_code = CreditCodeField(label="统一社会信用代码", error_messages={"required": "请填写统一社会信用代码。"})
    kind = forms.ChoiceField(label="单位类型", choices=Unit.Kind.choices)
    region = forms.ModelChoiceField(label="所属区域", queryset=Region.objects.none(), required=False)
    authority = forms.ModelChoiceField(
        label="行业主管部门", queryset=IndustryAuthority.objects.select_related("region"), required=False,
        help_text="无行业主管部门的单位由所在县（市、区）人社局进行二级审核。",
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        if len(regions) == 1:
            self.fields["region"].initial = regions[0].pk
