"""How numbers read in the portal's pages, exports and messages: one wording everywhere."""


def hours_text(value) -> str:
    """8, 1.5, 17.5 — hours as people write them (no trailing .0)."""
    return f"{value.normalize():f}"


def shortfall_text(assessment) -> str:
    """'公需科目 4 学时、专业科目 17.5 学时' — what is still missing, as a person reads it."""
    parts = []
    if assessment.public_short:
        parts.append(f"公需科目 {hours_text(assessment.public_short)} 学时")
    if assessment.professional_short:
        parts.append(f"专业科目 {hours_text(assessment.professional_short)} 学时")
    if assessment.any_subject_short:
        parts.append(f"任意科目 {hours_text(assessment.any_subject_short)} 学时")
    return "、".join(parts)
