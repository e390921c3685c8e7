"""Pages of the registry: log-in, passwords (one's own, reset by mail, a unit's one-time password) and one's
contact details, the role homes (desks), a person's page, self-registration and the unit's review of it, staff
import, 调入 requests and each party's decision, new units; and the navigation context every page reads.
"""
import hashlib
from functools import partial

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from audits.monitor.selectors import city_table
from audits.review.selectors import unread_notification_count, units_without_reviewer
from audits.screening.selectors import open_flag_counts
from ce_portal.clock import business_today
from ce_portal.errors import DomainError, refusal_as_message, refusal_on_form
from ce_portal.http import client_ip, over_limit, rate_limited
from records.hours.selectors import recent_year_hours, year_end_notice
from records.people import services
from records.people.access import may_see_full_id_number, role_homes, role_required, scope_for
from records.people.forms import (
    ContactForm,
    IdNumberFindForm,
    LoginForm,
    PasswordResetForm,
    RegistrationForm,
    RejectRegistrationForm,
    StaffAddForm,
    StaffImportForm,
    TransferForm,
    TransferRefuseForm,
    UnitForm,
)
from records.people.models import Role, TransferRequest
from records.people.rules import MAX_ROWS, read_staff_file, template_csv, template_xlsx
from records.people.selectors import (
    county_list,
    creatable_regions,
    current_employment,
    professional_get,
    record_claim_pending_get,
    record_claims_pending,
    registration_pending_get,
    registration_pending_list,
    reviewer_units,
    staff_list,
    transfer_party,
    transfer_requested_get,
    transfer_to_decide_get,
    transfers_requested,
    transfers_to_decide,
    unit_choices,
    unit_list,
    unit_staff,
    unit_staff_get,
)

PAGE_SIZE = 50


# A person's page shows their recent years' hours: what a reviewer checks before title evaluation.
PERSON_YEARS_SHOWN = 3


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every user changes their own password (old one first); the change is audited, the session kept. An
    account on a unit's one-time password is held here until it does (records/people/middleware.py), then
    goes on to its home."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            forced=self.request.session.get(services.MUST_CHANGE_PASSWORD_SESSION_KEY, False), **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=self.request.user, ip=client_ip(self.request))
        if self.request.session.pop(services.MUST_CHANGE_PASSWORD_SESSION_KEY, False):
            messages.success(self.request, "密码已修改，今后请用新密码登录。")
            return redirect("home")
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


# Per client address and per address typed, in an hour: someone who lost a password asks once or twice; more is
# someone filling another's mailbox, or probing. Counted whether or not the address is on file, so being
# refused tells nothing either.
PASSWORD_RESET_RATE_PER_HOUR = 5


PASSWORD_RESET_RATE_MESSAGE = (f"找回密码的请求过于频繁（同一电子邮箱或同一网络每小时最多 {PASSWORD_RESET_RATE_PER_HOUR} 次），"
                               "本次没有发送邮件，请一小时后再试，或请所在单位重置密码。")


def _password_reset_limited(request, email: str) -> bool:
    # Both counted on every try (no short cut); the address typed only as a digest, never in clear in Redis.
    typed = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    by_client = over_limit("password-reset-client", client_ip(request) or "", limit=PASSWORD_RESET_RATE_PER_HOUR,
                           window_seconds=3600)
    by_email = over_limit("password-reset-email", typed, limit=PASSWORD_RESET_RATE_PER_HOUR, window_seconds=3600)
    return by_client or by_email


class PasswordResetView(auth_views.PasswordResetView):
    """A reset link by mail to the accounts filed under the address typed (Django's choice of them, the form's
    `get_users`). Every well-formed request reads the same, and as fast, whether or not any account has the
    address: the page must not tell a stranger who is registered."""

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetForm

    def form_valid(self, form):
        if _password_reset_limited(self.request, form.cleaned_data["email"]):
            form.add_error(None, PASSWORD_RESET_RATE_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        services.password_reset_request(
            users=list(form.get_users(form.cleaned_data["email"])), domain=get_current_site(self.request).domain,
            use_https=self.request.is_secure(), ip=client_ip(self.request),
        )
        return redirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(reset_hours=services.password_reset_hours(), **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_completed(user=form.user, ip=client_ip(self.request))
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


@never_cache
@role_required(Role.UNIT_REVIEWER)
def staff_password_reset(request, pk: int):
    """A confirmation page, then the one-time password shown once: rendered in the answer to the POST, never
    redirected to (it would have to be kept somewhere to be shown), never cached."""
    professional = unit_staff_get(request.user, pk)
    if request.method == "POST":
        with refusal_as_message(request, "未重置密码："):
            password = services.password_one_time_set(professional=professional, actor=request.user,
                                                      ip=client_ip(request))
            return render(request, "records/staff_password_done.html",
                          {"professional": professional, "password": password})
        return redirect("records:professional_detail", pk=pk)
    return render(request, "records/staff_password_confirm.html", {"professional": professional})


@role_required(Role.PROFESSIONAL)
def my_account(request):
    """我的账户: one's phone and e-mail, editable; name and ID number shown, changed only through the unit."""
    professional = request.user.professional
    form = ContactForm(_posted(request)[0], initial={"phone": professional.phone, "email": request.user.email})
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            changed = services.contact_update(professional=professional, phone=form.cleaned_data["phone"],
                                              email=form.cleaned_data["email"], actor=request.user,
                                              ip=client_ip(request))
            messages.success(request, "联系方式已保存。" if changed else "联系方式没有变化，未作修改。")
            return redirect("records:my_account")
    return render(request, "records/my_account.html", {
        "form": form, "professional": professional, "employment": current_employment(professional),
    })


@login_required
def home(request):
    homes = role_homes(scope_for(request.user))
    if homes:
        return redirect(homes[0][2])
    return render(request, "records/no_role.html")


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(Role.UNIT_REVIEWER)
@require_POST
def staff_find(request):
    """A whole ID number, posted (never in the address, docs/personal-data.md), opens that person's page."""
    form = IdNumberFindForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(form.errors["id_number"]))
        return redirect("records:unit_home")
    found = staff_list(request.user, unit_ids=request.scope.unit_ids, id_number=form.cleaned_data["id_number"])
    person = found.values_list("professional_id", flat=True).first()
    if person is None:
        messages.error(request, "本单位在职人员中没有该身份证号码。")
        return redirect("records:unit_home")
    return redirect("records:professional_detail", pk=person)


@role_required(Role.UNIT_REVIEWER)
def unit_home(request):
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user).filter(pk__in=request.scope.unit_ids)
    staff = staff_list(request.user, unit_ids=request.scope.unit_ids, search=search)
    return render(request, "records/unit_home.html", {
        "units": units, "page": _page(request, staff), "q": search,
        "pending": registration_pending_list(request.user), "claims": record_claims_pending(request.user),
        "transfers_outgoing": transfers_to_decide(request.user, TransferRequest.Party.RELEASING_UNIT),
        "transfers_requested": transfers_requested(request.user),
    })


@role_required(Role.AUTHORITY_REVIEWER)
def authority_home(request):
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user, search=search).filter(authority_id__in=request.scope.authority_ids)
    return render(request, "records/units_overview.html", {
        "title": "行业主管部门工作台", "scope_names": [m.authority for m in request.scope.memberships if m.authority],
        "page": _page(request, units), "q": search,
    })


# The county desk lists the units nobody reviews, the most waiting claims first; the rest are in the table.
WITHOUT_REVIEWER_SHOWN = 50


@role_required(Role.COUNTY_HR)
def county_home(request):
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user, search=search).filter(region_id__in=request.scope.region_ids)
    return render(request, "records/units_overview.html", {
        "title": "县（市、区）人社局工作台",
        "scope_names": [m.region for m in request.scope.memberships if m.role == Role.COUNTY_HR],
        "page": _page(request, units), "q": search,
        "transfers": transfers_to_decide(request.user, TransferRequest.Party.HR_BUREAU),
        "without_reviewer": units_without_reviewer(request.user)[:WITHOUT_REVIEWER_SHOWN],
        "manage_reviewers": True,
    })


@role_required(Role.CITY_HR)
def city_home(request):
    region_id = request.GET.get("region") or None
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user, region_id=region_id, search=search)
    return render(request, "records/city_home.html", {
        # The desk leads with what needs the city's eye: open screening flags and the city's overdue reviews.
        "open_flags": sum(open_flag_counts(request.user).values()),
        "monitor": city_table(today=business_today()).totals,
        "counties": county_list(), "page": _page(request, units), "q": search, "region_id": region_id,
        "transfers": transfers_to_decide(request.user, TransferRequest.Party.HR_BUREAU),
        "manage_reviewers": True,
    })


@login_required
def professional_detail(request, pk: int):
    professional = professional_get(request.user, pk)
    return render(request, "records/professional_detail.html", {
        "professional": professional,
        "years": recent_year_hours(professional, current_year=business_today().year, years=PERSON_YEARS_SHOWN),
        "employments": professional.employments.select_related("unit").order_by("-started_on"),
        "show_full_id": may_see_full_id_number(request.user, professional),
        "may_reset_password": unit_staff(request.user).filter(pk=pk).exists(),
    })


# Per client address and minute: far above what a person filling in the form does.
REGISTER_RATE_PER_MINUTE = 10


# What every well-formed registration is told, whatever the registry holds under the number (a new person, a
# claim on a record a unit entered, a number whose account is in use): a difference would tell a stranger
# whether a number is registered, under which name, at which unit.
REGISTERED_MESSAGE = ("注册申请已提交，请等待单位审核；审核通过后即可用身份证号码登录。"
                      "如该身份证号码已有账号，请直接登录，忘记密码请联系单位。")


REGISTER_RATE_MESSAGE = f"注册提交过于频繁（每分钟最多 {REGISTER_RATE_PER_MINUTE} 次），请稍后再试；已填写的内容未保存。"


UNIT_SEARCH_RATE_PER_MINUTE = 60


UNIT_SEARCH_RATE_MESSAGE = f"查询过于频繁（每分钟最多 {UNIT_SEARCH_RATE_PER_MINUTE} 次），请稍后再试。"


def register(request):
    form = RegistrationForm(_posted(request)[0])
    if request.method == "POST" and rate_limited(request, "register", REGISTER_RATE_PER_MINUTE):
        # Each try may put an application on a unit's desk and costs a password hash: not at machine speed.
        # What was typed stays (but the passwords), and nothing is saved.
        messages.error(request, REGISTER_RATE_MESSAGE)
        form = RegistrationForm(initial={k: v for k, v in request.POST.items() if not k.startswith("password")})
        return _register_page(request, form, status=429)
    if request.method == "POST" and "find" in request.POST:
        # Without JavaScript the search button posts the form: show the matches, keep what was typed.
        form = RegistrationForm(initial=request.POST.dict())
    elif form.is_valid():
        data = form.cleaned_data
        with refusal_on_form(form):
            try:
                services.professional_register(
                    id_number=data["id_number"], name=data["name"], phone=data["phone"], password=data["password1"],
                    unit=data["unit"], today=business_today(),
                )
            except IntegrityError:
                # The same number registered a moment ago in another request (the unique username caught it):
                # this one changed nothing, as when the account already existed, and is told the same.
                pass
            messages.success(request, REGISTERED_MESSAGE)
            return redirect("login")
    return _register_page(request, form)


def _register_page(request, form, status: int = 200):
    query, selected = form["q"].value() or "", str(form["unit"].value() or "")
    return render(request, "records/register.html", {
        "form": form, "units": unit_choices(query, selected), "q": query, "selected": selected,
    }, status=status)


@require_GET
def register_units(request):
    """The unit choices fragment the registration page's search box swaps in."""
    if rate_limited(request, "register-units", UNIT_SEARCH_RATE_PER_MINUTE):
        return render(request, "partials/alert.html", {"message": UNIT_SEARCH_RATE_MESSAGE}, status=429)
    query, selected = request.GET.get("q", ""), request.GET.get("selected", "")
    return render(request, "records/partials/unit_choices.html", {
        "units": unit_choices(query, selected), "q": query, "selected": selected,
    })


@require_POST
@role_required(Role.UNIT_REVIEWER)
def registration_approve(request, pk: int):
    professional = registration_pending_get(request.user, pk)
    with refusal_as_message(request):  # another reviewer decided it a moment ago
        services.registration_approve(professional=professional, actor=request.user)
        messages.success(request, f"已通过 {professional.name} 的注册申请，其账号已启用。")
    return redirect("records:unit_home")


@require_POST
@role_required(Role.UNIT_REVIEWER)
def registration_reject(request, pk: int):
    professional = registration_pending_get(request.user, pk)
    return _reject_with_reason(
        request, name=professional.name, done=f"已退回 {professional.name} 的注册申请。",
        reject=partial(services.registration_reject, professional=professional, actor=request.user))


@require_POST
@role_required(Role.UNIT_REVIEWER)
def record_claim_approve(request, pk: int):
    claim = record_claim_pending_get(request.user, pk)
    with refusal_as_message(request, f"未通过 {claim.name} 的认领申请："):
        services.record_claim_approve(claim=claim, actor=request.user, today=business_today())
        messages.success(request, f"已通过 {claim.name} 的认领申请：其账号已与本单位登记的人员关联并启用。")
    return redirect("records:unit_home")


@require_POST
@role_required(Role.UNIT_REVIEWER)
def record_claim_reject(request, pk: int):
    claim = record_claim_pending_get(request.user, pk)
    return _reject_with_reason(
        request, name=claim.name, done=f"已退回 {claim.name} 的认领申请，单位登记的信息未作任何改动。",
        reject=partial(services.record_claim_reject, claim=claim, actor=request.user))


def _reject_with_reason(request, *, name: str, done: str, reject):
    """A unit's refusal of a registration or a claim on a record: a reason is required; the desk again."""
    form = RejectRegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未退回 {name} 的申请：{form.errors['reason'][0]}")
        return redirect("records:unit_home")
    with refusal_as_message(request):
        reject(reason=form.cleaned_data["reason"])
        messages.success(request, done)
    return redirect("records:unit_home")


def _posted(request):
    """The form's data on a POST (even an empty one, which must show "required"), else unbound."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _unit_form(form_class, request):
    return form_class(*_posted(request), units=reviewer_units(request.user), today=business_today())


@role_required(Role.UNIT_REVIEWER)
def staff_import(request):
    form = _unit_form(StaffImportForm, request)
    report = None
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            try:
                rows = read_staff_file(form.cleaned_data["file"])
                report = services.staff_import(unit=form.cleaned_data["unit"], rows=rows, actor=request.user,
                                               today=form.today)
            except IntegrityError:
                # Someone registered one of these people while the import ran: nothing was saved, just retry.
                raise DomainError("导入期间有人员信息发生变化，本次导入未保存任何数据，请重新导入。",
                                  code="changed_meanwhile") from None
    return render(request, "records/staff_import.html", {"form": form, "report": report, "max_rows": MAX_ROWS})


@require_GET
@role_required(Role.UNIT_REVIEWER)
def staff_import_template(request, fmt: str):
    if fmt == "xlsx":
        content = template_xlsx()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        content, content_type = template_csv(), "text/csv; charset=utf-8"
    else:
        raise Http404("未找到。")
    return HttpResponse(content, content_type=content_type, headers={
        "Content-Disposition": content_disposition_header(as_attachment=True, filename=f"人员导入模板.{fmt}"),
    })


def _form_page(request, form, act, *, title: str, submit: str, intro: str):
    """One form on records/form_page.html. A valid POST runs `act()`, which calls the service and returns
    what to tell the user and where to go next; a refusal is shown on the form, by the field it is about."""
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            message, next_page = act()
            messages.success(request, message)
            return redirect(next_page)
    return render(request, "records/form_page.html", {"form": form, "title": title, "submit": submit, "intro": intro})


@role_required(Role.UNIT_REVIEWER)
def staff_add(request):
    form = _unit_form(StaffAddForm, request)

    def add():
        professional = services.professional_enrol(unit=form.cleaned_data["unit"], row=form.row, actor=request.user)
        return (f"已添加 {professional.name}。本人以身份证号码自助注册后，其申请会出现在本单位的“认领已有人员的申请”中，"
                "核对通过后即可登录。", "records:unit_home")

    return _form_page(
        request, form, add, title="添加本单位人员", submit="添加",
        intro="添加后本人暂无登录账号。本人以身份证号码自助注册后，须经本单位核对通过（认领已有人员的申请）才能登录；"
              "本单位登记的信息不会因注册而改变。",
    )


@role_required(Role.UNIT_REVIEWER)
def staff_transfer(request):
    form = _unit_form(TransferForm, request)

    def ask():
        data = form.cleaned_data
        transfer = services.transfer_request(id_number=data["id_number"], name=data["name"], to_unit=data["unit"],
                                             on=data["on"], actor=request.user, today=form.today)
        return (f"已提交 {transfer.professional.name} 的调入申请（{transfer.professional.masked_id_number}，调入日期 "
                f"{transfer.on:%Y-%m-%d}），本人在平台确认或原单位同意后生效。", "records:unit_home")

    return _form_page(
        request, form, ask, title="调入人员", submit="提交调入申请",
        intro="输入在其他单位任职的人员的身份证号码、姓名和调入日期。调入须经本人在平台确认，或经原单位（或原单位所在地人社局）"
              "同意，在此之前人员不作任何变动，本单位也看不到其完整信息；生效后原单位任职截至调入日期前一天，本人已有的学时记录全部保留。",
    )


# Where each party decides, and goes back to.
TRANSFER_DESKS = {
    TransferRequest.Party.PERSON: "records:my_home",
    TransferRequest.Party.RELEASING_UNIT: "records:unit_home",
    TransferRequest.Party.HR_BUREAU: "home",
}


@require_POST
@login_required
def transfer_approve(request, pk: int):
    transfer = transfer_to_decide_get(request.user, pk)
    party = transfer_party(transfer, request.user)
    with refusal_as_message(request, "未办理："):
        services.transfer_approve(request=transfer, actor=request.user)
        done = "已确认调入" if party == TransferRequest.Party.PERSON else "已同意调出"
        messages.success(request, f"{done}：{transfer.professional.name} 自 {transfer.on:%Y-%m-%d} 起在"
                                  f"{transfer.to_unit.name}任职，原有学时记录全部保留。")
    return redirect(TRANSFER_DESKS[party])


@require_POST
@login_required
def transfer_refuse(request, pk: int):
    transfer = transfer_to_decide_get(request.user, pk)
    party = transfer_party(transfer, request.user)
    form = TransferRefuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未拒绝：{form.errors['reason'][0]}")
        return redirect(TRANSFER_DESKS[party])
    with refusal_as_message(request, "未拒绝："):
        services.transfer_refuse(request=transfer, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"已拒绝{transfer.to_unit.name}调入 {transfer.professional.name} 的申请，人员信息未作变动。")
    return redirect(TRANSFER_DESKS[party])


@require_POST
@role_required(Role.UNIT_REVIEWER)
def transfer_withdraw(request, pk: int):
    transfer = transfer_requested_get(request.user, pk)
    with refusal_as_message(request, "未撤回："):
        services.transfer_withdraw(request=transfer, actor=request.user)
        messages.success(request, f"已撤回 {transfer.professional.name} 的调入申请。")
    return redirect("records:unit_home")


@role_required(Role.COUNTY_HR, Role.CITY_HR)
def unit_create(request):
    form = UnitForm(_posted(request)[0], regions=creatable_regions(request.user))

    def create():
        unit = services.unit_create(actor=request.user, **form.cleaned_data)
        return f"已添加单位：{unit.name}。", "home"

    return _form_page(
        request, form, create, title="添加用人单位", submit="添加",
        intro="统一社会信用代码须校验正确且未登记过；县（市、区）人社局只能在本县区添加单位。",
    )


def nav_context(request):
    """The roles the signed-in user holds (the navigation's role switcher), whether they watch a review
    monitor, their unread notifications, and the year's closes near the year's end."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    homes = role_homes(scope)
    return {
        "role_homes": homes,
        # A desk needs no way back to itself; every other page links to the first desk (templates/base.html).
        "on_role_home": request.path in {url for _, _, url in homes},
        "help_url": reverse("records:help_role", args=[homes[0][0]]) if homes else reverse("records:help"),
        "sees_monitor": bool(scope.is_city or scope.region_ids or scope.authority_ids),
        "has_account_page": scope.has(Role.PROFESSIONAL),
        "unread_notifications": partial(unread_notification_count, user.pk),  # lazy: read if shown
        # Every role files or reviews claims (the HR bureaus at level 2, or standing in for a unit): from
        # 1 December each of their pages shows the year's two closes.
        "year_end": partial(year_end_notice, business_today()) if scope.roles else None,
    }
