from django import template

from ce_portal.formatting import hours_text

register = template.Library()


@register.filter
def shortfall(assessment) -> str:
    """'公需科目 4 学时、专业科目 17.5 学时' — what is still missing, as a person reads it."""
    parts = []
    if assessment.public_short:
        parts.append(f"公需科目 {hours_text(assessment.public_short)} 学时")
    if assessment.professional_short:
        parts.append(f"专业科目 {hours_text(assessment.professional_short)} 学时")
    if assessment.any_subject_short:
        parts.append(f"任意科目 {hours_text(assessment.any_subject_short)} 学时")
    return "、".join(parts)
