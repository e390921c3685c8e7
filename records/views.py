from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from .access import role_required
from .choices import Role
from .forms import LoginForm
from .roles import role_homes
from .scoping import may_see_full_id_number, scope_for
from .selectors import (
    county_list, current_employment, person_years, professional_get, recent_year_hours, staff_list, unit_list,
    year_overview,
)
from .selectors_people import registration_pending_list
from .timeutil import business_today

PAGE_SIZE = 50
# A person's page shows their recent years' hours: what a reviewer checks before title evaluation.
PERSON_YEARS_SHOWN = 3


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request):
    homes = role_homes(scope_for(request.user))
    if homes:
        return redirect(homes[0][2])
    return render(request, "records/no_role.html")


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(Role.PROFESSIONAL)
def my_home(request):
    """This year at a glance: progress against the year's policy, what is credited, pending, or waiting on me."""
    professional = request.user.professional
    year = business_today().year
    return render(request, "records/my_home.html", {
        "professional": professional,
        "employment": current_employment(professional),
        "overview": year_overview(professional, year),
        "past_years": person_years(professional, before=year),
    })


@role_required(Role.UNIT_REVIEWER)
def unit_home(request):
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user).filter(pk__in=request.scope.unit_ids)
    staff = staff_list(request.user, unit_ids=request.scope.unit_ids, search=search)
    return render(request, "records/unit_home.html", {
        "units": units, "page": _page(request, staff), "q": search,
        "pending": registration_pending_list(request.user),
    })


@role_required(Role.AUTHORITY_REVIEWER)
def authority_home(request):
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user, search=search).filter(authority_id__in=request.scope.authority_ids)
    return render(request, "records/units_overview.html", {
        "title": "行业主管部门工作台", "scope_names": [m.authority for m in request.scope.memberships if m.authority],
        "page": _page(request, units), "q": search,
    })


@role_required(Role.COUNTY_HR)
def county_home(request):
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user, search=search).filter(region_id__in=request.scope.region_ids)
    return render(request, "records/units_overview.html", {
        "title": "县（市、区）人社局工作台",
        "scope_names": [m.region for m in request.scope.memberships if m.role == Role.COUNTY_HR],
        "page": _page(request, units), "q": search,
    })


@role_required(Role.CITY_HR)
def city_home(request):
    region_id = request.GET.get("region") or None
    search = request.GET.get("q", "").strip()
    units = unit_list(request.user, region_id=region_id, search=search)
    return render(request, "records/city_home.html", {
        "counties": county_list(), "page": _page(request, units), "q": search, "region_id": region_id,
    })


@login_required
def professional_detail(request, pk: int):
    professional = professional_get(request.user, pk)
    return render(request, "records/professional_detail.html", {
        "professional": professional,
        "years": recent_year_hours(professional, current_year=business_today().year, years=PERSON_YEARS_SHOWN),
        "employments": professional.employments.select_related("unit").order_by("-started_on"),
        "show_full_id": may_see_full_id_number(request.user, professional),
    })
