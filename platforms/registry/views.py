"""The public page of where continuing education may be taken: the notice asks that the list of approved
platforms (and so the free public-course policy) be published."""
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ce_portal.clock import business_today
from platforms.registry.selectors import active_training_bases, approved_platforms, platform_years
from records.hours.models import SubjectCategory


@require_GET
def providers(request):
    years = platform_years()
    today_year = business_today().year
    default = next((y for y in years if y <= today_year), years[0] if years else today_year)
    asked = request.GET.get("year", "")[:10]
    year = int(asked) if asked.isdigit() and int(asked) in years else default
    error = f"“{asked}”不是有认定平台的年度，已显示 {year} 年。" if asked and asked != str(year) else ""
    platforms = approved_platforms(year)
    return render(request, "platforms/providers.html", {
        "year": year, "years": years, "error": error, "bases": active_training_bases(),
        "public_platforms": platforms[SubjectCategory.PUBLIC],
        "professional_platforms": platforms[SubjectCategory.PROFESSIONAL],
    })
