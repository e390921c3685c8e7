"""帮助: one page per role, step by step with links to the real pages, and an index for everyone, signed in or
not (a newcomer reads it before they have an account). Nothing here is personal, so the pages are public."""
from django.http import Http404
from django.shortcuts import render

from records.people.access import role_homes, scope_for
from records.people.models import Role


def help_index(request):
    return render(request, "records/help/index.html", {
        "roles": Role.choices, "mine": [code for code, _, _ in role_homes(scope_for(request.user))],
    })


def help_role(request, role: str):
    if role not in Role.values:
        raise Http404("没有这个角色的帮助。")
    mine = {code for code, _, _ in role_homes(scope_for(request.user))}
    # Its pages as links for whoever holds the role; for anyone else their names only (they would answer 404).
    return render(request, f"records/help/{role}.html", {"role_label": Role(role).label, "linked": role in mine})
