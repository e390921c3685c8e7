"""Every page can be used without a mouse or sight (issue 14, accessibility): a skip link to the main content,
and every visible input of the desks' search forms has a label (a placeholder is not one)."""
from html.parser import HTMLParser

import pytest
from django.urls import reverse


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.labelled_ids, self.inputs, self.skip_link, self.main_id = set(), [], False, None
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if attrs.get("for"):
                self.labelled_ids.add(attrs["for"])
        elif tag == "input" and attrs.get("type", "text") not in ("hidden", "submit", "checkbox", "radio"):
            self.inputs.append({**attrs, "wrapped": self.in_label > 0})
        elif tag == "a" and "skip-link" in attrs.get("class", ""):
            self.skip_link = attrs.get("href")
        elif tag == "main":
            self.main_id = attrs.get("id")

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1


def _unlabelled(html: str) -> tuple[list[str], _Inputs]:
    page = _Inputs()
    page.feed(html)
    missing = [i.get("name", "?") for i in page.inputs
               if not i["wrapped"] and i.get("id") not in page.labelled_ids and not i.get("aria-label")]
    return missing, page


@pytest.mark.django_db
@pytest.mark.parametrize("who, url", [
    ("cheng", "records:city_home"), ("xin", "records:county_home"), ("ada", "records:unit_home"),
])
def test_the_desks_search_boxes_have_labels_and_the_page_a_skip_link(client, request, who, url, alice):
    client.force_login(request.getfixturevalue(who))
    missing, page = _unlabelled(client.get(reverse(url)).content.decode())
    assert missing == []
    assert page.skip_link == "#main" and page.main_id == "main"
