"""The Jinja2 fragments inside Django pages: {% jinja %} (ce_portal/templatetags/jinja.py) and the select macro."""
from types import SimpleNamespace

import pytest
from django.template import Context, Template, TemplateSyntaxError, engines
from jinja2 import UndefinedError


def row(**fields):
    return SimpleNamespace(**{
        "professional_id": 7, "name": "张爱丽", "id_number": "410402199001011234", "unit_name": "新华区第一医院",
        "region_name": "新华区", "public": "32.0", "professional": "64.0", "total": "96.0", "compliant": True, "no_record": False,
        "shortfall": "", **fields,
    })


def test_values_are_escaped_by_jinja_and_its_output_is_not_escaped_again():
    page = Template('{% load jinja %}<tbody>{% jinja "records/compliance_rows.html" rows=rows %}</tbody>')

    html = page.render(Context({"rows": [row(name='<script>alert("x")</script>', unit_name="A & B")]}))

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "<td>A &amp; B</td>" in html
    assert html.startswith('<tbody><tr data-professional="7" data-compliant="yes"><td>')


def test_an_attribute_the_fragment_needs_and_the_row_lacks_fails_loudly():
    page = Template('{% load jinja %}{% jinja "records/compliance_rows.html" rows=rows %}')
    incomplete = row()
    del incomplete.shortfall
    with pytest.raises(UndefinedError):
        page.render(Context({"rows": [incomplete]}))


@pytest.mark.parametrize("tag", ['{% jinja name %}', '{% jinja %}', '{% jinja "records/compliance_rows.html" rows %}'])
def test_the_tag_takes_a_literal_name_and_key_value_pairs(tag):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load jinja %}" + tag)


def test_select_marks_the_option_equal_as_text_and_escapes_labels():
    select = engines["jinja2"].from_string(
        '{% from "partials/forms.html" import select %}{{ select("unit", choices, selected, empty="全部") }}')

    html = select.render({"choices": [(1, "第一医院"), (2, "<华兴> & 公司")], "selected": 2})

    assert html == ('<select name="unit"><option value="">全部</option><option value="1">第一医院</option>'
                    '<option value="2" selected>&lt;华兴&gt; &amp; 公司</option></select>')
    assert 'value="" selected' in select.render({"choices": [(1, "第一医院")], "selected": None})
