"""The shortfall coach's messages (issue 14): what a person still lacks for the year and where to learn it,
and a unit's list of its staff who are behind. Pure: values in, text out; the shortfall itself is
`records.hours.rules.assess` (rule 1), worded as everywhere by `ce_portal.formatting.shortfall_text`.
"""
import datetime as dt
from typing import NamedTuple

from ce_portal.formatting import hours_text, shortfall_text
from records.hours.rules import Assessment, Requirement

# 1 September, 1 November and 1 December (the beat's "shortfall-coach" entry): four months before the filing
# close, while there is time to learn, then two months and one.
COACH_DAYS = ((9, 1), (11, 1), (12, 1))

# A unit's list names this many people; the rest are on its compliance list, one click away.
UNIT_LIST_MAX = 50


class Provider(NamedTuple):
    name: str
    url: str


class Providers(NamedTuple):
    """Where the year's hours may be earned: 附件1 platforms (public subjects), 附件2 platforms (professional
    subjects) and the CE bases of 附件3 (professional subjects, face to face)."""

    public: tuple[Provider, ...]
    professional: tuple[Provider, ...]
    bases: tuple[str, ...]


def person_text(*, year: int, today: dt.date, assessment: Assessment, requirement: Requirement,
                filing_close: dt.datetime, providers: Providers, providers_url: str) -> str:
    """The message to one person short of the year's requirement."""
    lines = [
        f"截至 {today:%Y-%m-%d}，您 {year} 年度的继续教育学时尚未达标：还差{shortfall_text(assessment)}，"
        f"合计还差 {hours_text(assessment.hours_needed)} 学时（年度要求：公需科目 {hours_text(requirement.public)} 学时、"
        f"专业科目 {hours_text(requirement.professional)} 学时、合计 {hours_text(requirement.total)} 学时）。"
    ]
    # Hours of either category fill what the total lacks beyond the two minimums.
    either = bool(assessment.any_subject_short)
    if assessment.public_short or either:
        lines.append("公需科目可在以下经认定的学习平台（附件1）学习，学时自动登记：")
        lines += _platform_lines(providers.public)
    if assessment.professional_short or either:
        lines.append("专业科目可在以下经认定的学习平台（附件2）学习，学时自动登记：")
        lines += _platform_lines(providers.professional)
        if providers.bases:
            lines.append(f"也可参加继续教育基地（附件3）的面授培训后申报：{'、'.join(providers.bases)}。")
    lines.append(f"经认定的全部学习平台和继续教育基地：{providers_url}")
    lines.append(f"请于 {filing_close:%Y年%m月%d日} 前完成学习和申报；学时只计入学习当年，不能结转。")
    return "\n".join(lines)


def _platform_lines(platforms: tuple[Provider, ...]) -> list[str]:
    if not platforms:
        return ["· 本年度暂无经认定的此类平台，请关注公布的名单。"]
    return [f"· {p.name}：{p.url}" for p in platforms]


def unit_text(*, year: int, today: dt.date, unit_name: str, behind: list[tuple[str, Assessment]],
              filing_close: dt.datetime) -> str:
    """A unit reviewer's list of the unit's staff short of the year's requirement, (name, assessment) in
    name order."""
    lines = [f"截至 {today:%Y-%m-%d}，{unit_name}有 {len(behind)} 名专业技术人员 {year} 年度继续教育学时尚未达标："]
    lines += [f"· {name}：还差{shortfall_text(assessment)}" for name, assessment in behind[:UNIT_LIST_MAX]]
    if len(behind) > UNIT_LIST_MAX:
        lines.append(f"……另有 {len(behind) - UNIT_LIST_MAX} 人，详见本单位的未达标名单。")
    lines.append(f"请督促他们于 {filing_close:%Y年%m月%d日} 前完成学习和申报；已开通账号的人员已各自收到一条提醒，"
                 "说明还差哪些学时、可在哪里学习。")
    return "\n".join(lines)
