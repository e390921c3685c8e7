"""通知公告 pages: city_hr posts, edits and withdraws announcements; every signed-in user reads the current ones."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from ce_portal.clock import business_now, business_today
from ce_portal.errors import NotFound, refusal_as_message, refusal_on_form
from ce_portal.http import client_ip
from records.announcements import services
from records.announcements.forms import AnnouncementForm
from records.announcements.rules import announcement_state, attachment_download_name
from records.announcements.selectors import announcement_get, announcement_list
from records.people.access import role_required, scope_for
from records.people.models import Role
from records.people.views import _posted

PAGE_SIZE = 20


def _get(request, pk: int):
    try:
        return announcement_get(request.user, pk, business_today())
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _state(announcement, today):
    return announcement_state(publish_on=announcement.publish_on, expires_on=announcement.expires_on,
                              withdrawn=announcement.withdrawn_at is not None, today=today)


@login_required
def announcement_list_page(request):
    """The current announcements for everyone; city_hr's list holds all of them, with their state and actions."""
    today = business_today()
    page = Paginator(announcement_list(request.user, today), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "records/announcements/list.html", {
        "page": page, "rows": [(a, _state(a, today)) for a in page], "manage": scope_for(request.user).is_city,
    })


def _form_page(request, form, act, *, title: str, submit: str):
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            announcement = act()
            messages.success(request, f"已保存公告：{announcement.title}。")
            return redirect("records:announcement", pk=announcement.pk)
    return render(request, "records/announcements/form.html", {"form": form, "title": title, "submit": submit})


@role_required(Role.CITY_HR)
def announcement_create(request):
    form = AnnouncementForm(*_posted(request), initial={"publish_on": business_today()})

    def create():
        return services.announcement_create(actor=request.user, data=form.data_input,
                                            upload=form.cleaned_data["attachment"], now=business_now(),
                                            ip=client_ip(request))

    return _form_page(request, form, create, title="发布通知公告", submit="发布")


@role_required(Role.CITY_HR)
def announcement_edit(request, pk: int):
    announcement = _get(request, pk)
    if announcement.withdrawn_at is not None:
        messages.error(request, "该公告已撤回，不能再修改。")
        return redirect("records:announcement", pk=pk)
    form = AnnouncementForm(*_posted(request), has_attachment=bool(announcement.attachment), initial={
        "title": announcement.title, "body": announcement.body, "publish_on": announcement.publish_on,
        "expires_on": announcement.expires_on,
    })

    def edit():
        return services.announcement_edit(
            actor=request.user, announcement_id=pk, data=form.data_input, upload=form.cleaned_data["attachment"],
            remove_attachment=form.cleaned_data.get("remove_attachment", False), now=business_now(),
            ip=client_ip(request),
        )

    return _form_page(request, form, edit, title=f"修改公告：{announcement.title}", submit="保存修改")


@role_required(Role.CITY_HR)
def announcement_withdraw(request, pk: int):
    """GET asks for confirmation; POST takes the announcement off every home page."""
    announcement = _get(request, pk)
    if request.method == "POST":
        with refusal_as_message(request, "未撤回："):
            services.announcement_withdraw(actor=request.user, announcement_id=pk, now=business_now(),
                                           ip=client_ip(request))
            messages.success(request, f"已撤回公告：{announcement.title}。")
            return redirect("records:announcements")
        return redirect("records:announcement", pk=pk)
    return render(request, "records/announcements/withdraw_confirm.html", {"announcement": announcement})


@login_required
def announcement_detail(request, pk: int):
    announcement = _get(request, pk)
    return render(request, "records/announcements/detail.html", {
        "announcement": announcement, "state": _state(announcement, business_today()),
        "manage": scope_for(request.user).is_city,
    })


@login_required
@require_GET
def announcement_attachment(request, pk: int):
    """The attachment of an announcement the user may read (the same check as its page), as a download."""
    announcement = _get(request, pk)
    if not announcement.attachment:
        raise Http404("该公告没有附件。")
    response = FileResponse(
        announcement.attachment.open("rb"), content_type=announcement.attachment_type, as_attachment=True,
        filename=attachment_download_name(announcement.attachment_name, announcement.attachment_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
