from django.db import models


class SubjectCategory(models.TextChoices):
    PUBLIC = "public", "公需科目"
    PROFESSIONAL = "professional", "专业科目"


class Role(models.TextChoices):
    PROFESSIONAL = "professional", "专业技术人员"
    UNIT_REVIEWER = "unit_reviewer", "用人单位审核员"
    AUTHORITY_REVIEWER = "authority_reviewer", "行业主管部门审核员"
    COUNTY_HR = "county_hr", "县（市、区）人社局"
    CITY_HR = "city_hr", "市人社局"
