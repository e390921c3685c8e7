"""`{% jinja "name.html" key=value … %}`: a Jinja2 template (templates/jinja2/) inside a Django page.

The Jinja2 template is compiled once, when the Django template that names it is (Django keeps compiled
templates for the life of the process), and rendered with only the values named in the tag. Its output is
inserted as it is: Jinja2 has already escaped every value (autoescape, ce_portal/settings.py).
"""
from django import template
from django.template import engines
from django.template.base import token_kwargs

register = template.Library()


class JinjaNode(template.Node):
    def __init__(self, jinja_template, values: dict):
        self.jinja_template = jinja_template
        self.values = values

    def render(self, context) -> str:
        return self.jinja_template.render({name: value.resolve(context) for name, value in self.values.items()})


@register.tag
def jinja(parser, token):
    bits = token.split_contents()
    name = bits[1] if len(bits) > 1 else ""
    # A literal name only: what is compiled once must not depend on the page's context.
    if len(name) < 3 or name[0] != name[-1] or name[0] not in "'\"":
        raise template.TemplateSyntaxError(f"{bits[0]} takes a quoted template name, then key=value pairs.")
    values = token_kwargs(bits[2:], parser, support_legacy=False)
    if len(values) != len(bits) - 2:
        raise template.TemplateSyntaxError(f"{bits[0]} {name}: after the name, only key=value pairs.")
    return JinjaNode(engines["jinja2"].get_template(name[1:-1]), values)
