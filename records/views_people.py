"""Getting people in: self-registration, the unit's review of it, staff import, 调入, new units."""
from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from ce_portal.errors import DomainError
from ce_portal.http import rate_limited

from . import services
from .access import role_required
from .choices import Role
from .forms import (
    RegistrationForm, RejectRegistrationForm, StaffAddForm, StaffImportForm, TransferForm, UnitForm,
    add_domain_error,
)
from .selectors_people import creatable_regions, registration_pending_get, reviewer_units, unit_choices
from .staff_import import MAX_ROWS, ImportFileError, read_staff_file, template_csv, template_xlsx
from .timeutil import business_today

# Per client address and minute: far above what a person filling in the form does.
REGISTER_RATE_PER_MINUTE = 10
REGISTER_RATE_MESSAGE = f"注册提交过于频繁（每分钟最多 {REGISTER_RATE_PER_MINUTE} 次），请稍后再试；已填写的内容未保存。"
UNIT_SEARCH_RATE_PER_MINUTE = 60
UNIT_SEARCH_RATE_MESSAGE = f"查询过于频繁（每分钟最多 {UNIT_SEARCH_RATE_PER_MINUTE} 次），请稍后再试。"


def register(request):
    form = RegistrationForm(_posted(request)[0])
    if request.method == "POST" and rate_limited(request, "register", REGISTER_RATE_PER_MINUTE):
        # Each try tells whether an ID number is already registered: not at machine speed. What was typed
        # stays (but the passwords), and nothing is saved.
        messages.error(request, REGISTER_RATE_MESSAGE)
        form = RegistrationForm(initial={k: v for k, v in request.POST.items() if not k.startswith("password")})
        return _register_page(request, form, status=429)
    if request.method == "POST" and "find" in request.POST:
        # Without JavaScript the search button posts the form: show the matches, keep what was typed.
        form = RegistrationForm(initial=request.POST.dict())
    elif form.is_valid():
        data = form.cleaned_data
        try:
            result = services.professional_register(
                id_number=data["id_number"], name=data["name"], phone=data["phone"], password=data["password1"],
                unit=data["unit"], today=business_today(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        except IntegrityError:
            # The same ID number registered a moment ago in another request: the unique username caught it.
            form.add_error("id_number", services.ALREADY_REGISTERED)
        else:
            if result.activated:
                messages.success(request, "注册成功：已与单位登记的信息关联，账号已启用，请用身份证号码登录。")
            else:
                messages.success(request, "注册成功，请等待单位审核；审核通过后即可用身份证号码登录。")
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
        return HttpResponse(f'<p class="errors" role="alert">{UNIT_SEARCH_RATE_MESSAGE}</p>', status=429)
    query, selected = request.GET.get("q", ""), request.GET.get("selected", "")
    return render(request, "records/partials/unit_choices.html", {
        "units": unit_choices(query, selected), "q": query, "selected": selected,
    })


@require_POST
@role_required(Role.UNIT_REVIEWER)
def registration_approve(request, pk: int):
    professional = registration_pending_get(request.user, pk)
    try:
        services.registration_approve(professional=professional, actor=request.user)
    except DomainError as exc:  # another reviewer decided it a moment ago
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已通过 {professional.name} 的注册申请，其账号已启用。")
    return redirect("records:unit_home")


@require_POST
@role_required(Role.UNIT_REVIEWER)
def registration_reject(request, pk: int):
    professional = registration_pending_get(request.user, pk)
    form = RejectRegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"未退回 {professional.name} 的申请：{form.errors['reason'][0]}")
        return redirect("records:unit_home")
    try:
        services.registration_reject(professional=professional, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已退回 {professional.name} 的注册申请。")
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
        try:
            rows = read_staff_file(form.cleaned_data["file"])
            report = services.staff_import(unit=form.cleaned_data["unit"], rows=rows, actor=request.user,
                                           today=form.today)
        except ImportFileError as exc:
            add_domain_error(form, exc)
        except IntegrityError:
            # Someone registered one of these people while the import ran: nothing was saved, just retry.
            form.add_error(None, "导入期间有人员信息发生变化，本次导入未保存任何数据，请重新导入。")
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


@role_required(Role.UNIT_REVIEWER)
def staff_add(request):
    form = _unit_form(StaffAddForm, request)
    if request.method == "POST" and form.is_valid():
        try:
            professional = services.professional_enrol(unit=form.cleaned_data["unit"], row=form.row,
                                                       actor=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已添加 {professional.name}。本人自助注册并选择本单位后，账号立即启用。")
            return redirect("records:unit_home")
    return render(request, "records/form_page.html", {
        "form": form, "title": "添加本单位人员", "submit": "添加",
        "intro": "添加后本人暂无登录账号；本人以身份证号码自助注册并选择本单位后，账号立即启用，无需再次审核。",
    })


@role_required(Role.UNIT_REVIEWER)
def staff_transfer(request):
    form = _unit_form(TransferForm, request)
    if request.method == "POST" and form.is_valid():
        try:
            services.professional_transfer(professional=form.professional, to_unit=form.cleaned_data["unit"],
                                           on=form.cleaned_data["on"], actor=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{form.professional.name} 已于 {form.cleaned_data['on']:%Y-%m-%d} 调入本单位，"
                                      f"其原有学时记录全部保留。")
            return redirect("records:unit_home")
    return render(request, "records/form_page.html", {
        "form": form, "title": "调入人员", "submit": "办理调入",
        "intro": "输入在其他单位任职的人员的身份证号码和调入日期："
                 "原单位任职截至调入日期前一天，本人已有的学时记录全部保留。",
    })


@role_required(Role.COUNTY_HR, Role.CITY_HR)
def unit_create(request):
    form = UnitForm(_posted(request)[0], regions=creatable_regions(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已添加单位：{unit.name}。")
            return redirect("home")
    return render(request, "records/form_page.html", {
        "form": form, "title": "添加用人单位", "submit": "添加",
        "intro": "统一社会信用代码须校验正确且未登记过；县（市、区）人社局只能在本县区添加单位。",
    })
