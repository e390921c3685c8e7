"""Reference data from 平人社办〔2023〕130号 and its annexes, loaded idempotently.

The loader takes the model classes so a data migration can pass its historical models. It only creates
what is missing and never overwrites a row: city_hr's later edits (a platform deactivated, a year added)
survive every reload.
"""
from records.hours.rules import NOTICE_REQUIREMENT

CITY = ("410400", "平顶山市")
COUNTIES = [
    ("410402", "新华区"),
    ("410403", "卫东区"),
    ("410404", "石龙区"),
    ("410411", "湛河区"),
    ("410421", "宝丰县"),
    ("410422", "叶县"),
    ("410423", "鲁山县"),
    ("410425", "郏县"),
    ("410481", "舞钢市"),
    ("410482", "汝州市"),
    ("410471", "高新区"),
    ("410472", "城乡一体化示范区"),
]

# 附件1: 2023 年度公需科目免费学习平台 (the notice gives the site, not a separate operator).
PUBLIC_PLATFORMS = [
    ("河南省继续教育学会", "河南省继续教育学会", "https://www.jxjyedu.org.cn/", ""),
    ("河南专技在线", "河南高辉教育科技有限公司", "hnzj.ghlearning.com", ""),
    ("中原工学院华豫专技", "中原工学院", "http://www.huayuzj.com/", ""),
    ("河南省专业技术人员继续教育网", "河南省专业技术人员继续教育网", "https://hnzj.chinahrt.com/", ""),
    ("河南科技大学", "河南科技大学", "http://hngc.hnkjdx.org.cn/", ""),
    ("河南工业职业技术学院", "河南工业职业技术学院", "http://hnpihn.newzhihui.cn/", ""),
    ("河南省专业技术人员学习公社", "河南省专业技术人员学习公社", "https://www.ttcdw.cn/h/spec/hnsjsxx/", ""),
]
# 附件2: 2023 年度市级专业科目学习平台 (site name, operator, URL, service phone).
PROFESSIONAL_PLATFORMS = [
    ("平顶山市专业技术人员在线学习平台", "平顶山市技师学院", "http://pds.hnjxedu.org.cn/", "0371-53616065"),
    ("河南省继续教育学会在线学习平台", "河南省继续教育学会", "www.jxjyedu.org.cn", "4001501519"),
    ("河南专技在线", "河南高辉教育科技有限公司", "https://hnzyk.ghlearning.com/", "0371-55133858、0371-55967517"),
]
# 附件3: 继续教育基地.
TRAINING_BASES = [
    ("平顶山工业职业技术学院", "provincial"),
    ("平顶山学院", "city"),
    ("河南质量工程职业学院", "city"),
    ("平顶山财经（干部）学校", "city"),
    ("平顶山技师学院", "city"),
]
NOTICE_YEAR = 2023
# The year the notice was issued for gets the notice's requirement; later years inherit it (RequirementPolicy).
POLICY = {"total_hours": NOTICE_REQUIREMENT.total, "public_hours": NOTICE_REQUIREMENT.public,
          "professional_hours": NOTICE_REQUIREMENT.professional}


def load_reference_data(*, Region, LearningPlatform, TrainingBase, RequirementPolicy) -> dict[str, int]:
    """Create the missing reference rows; return how many of each kind were created."""
    created = {"regions": 0, "platforms": 0, "bases": 0, "policies": 0}

    city, made = Region.objects.get_or_create(code=CITY[0], defaults={"name": CITY[1], "level": "city"})
    created["regions"] += made
    for code, name in COUNTIES:
        _, made = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": "county", "parent": city}
        )
        created["regions"] += made

    for category, rows in (("public", PUBLIC_PLATFORMS), ("professional", PROFESSIONAL_PLATFORMS)):
        for name, operator, url, phone in rows:
            _, made = LearningPlatform.objects.get_or_create(
                name=name,
                category=category,
                defaults={
                    "operator": operator,
                    "url": url,
                    "phone": phone,
                    "level": "provincial" if category == "public" else "city",
                    "years_approved": [NOTICE_YEAR],
                    "active": True,
                },
            )
            created["platforms"] += made

    for name, level in TRAINING_BASES:
        _, made = TrainingBase.objects.get_or_create(name=name, defaults={"level": level})
        created["bases"] += made

    # "From 2023 onward": later years inherit these numbers (RequirementPolicy.objects.for_year).
    _, made = RequirementPolicy.objects.get_or_create(year=NOTICE_YEAR, defaults=POLICY)
    created["policies"] += made
    return created
