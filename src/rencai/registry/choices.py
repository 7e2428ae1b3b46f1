"""Enumerations of the registry, with their Chinese labels (GLOSSARY names as values)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    ORG = "org", _("组织部")
    HRSS = "hrss", _("人力资源和社会保障局")
    EDUCATION = "education", _("教育局")
    HOUSING_FUND = "housing_fund", _("住房公积金中心")
    SCIENCE = "science", _("科技局")
    ECONOMY = "economy", _("经济和信息化局")
    FINANCE = "finance", _("财政局")
    SERVICE_CENTRE = "service_centre", _("行政服务中心")
    OTHER = "other", _("其他")


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("制造业")
    CHEMICALS = "chemicals", _("化工新材料")
    EQUIPMENT = "equipment", _("装备制造")
    ELECTRONICS = "electronics", _("电子信息")
    BIOMEDICINE = "biomedicine", _("生物医药")
    AGRICULTURE = "agriculture", _("现代农业")
    TOURISM = "tourism", _("文化旅游")
    SERVICES = "services", _("现代服务业")
    CONSTRUCTION = "construction", _("建筑业")
    EDUCATION = "education", _("教育科研")


class EnterpriseSize(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class PlatformKind(models.TextChoices):
    ENCLAVE = "enclave", _("人才飞地")
    ACADEMICIAN_STATION = "academician_station", _("院士专家工作站")
    DOCTORAL_STATION = "doctoral_station", _("博士（后）工作站")
    RECRUITING_STATION = "recruiting_station", _("人才工作站")
    OVERSEAS_STATION = "overseas_station", _("海内外人才工作站")
    RD_CENTER = "rd_center", _("科技研发中心")


class Team(models.TextChoices):
    PARTY_GOV = "party_gov", _("党政人才")
    ENTERPRISE_MGMT = "enterprise_mgmt", _("企业经营管理人才")
    PROFESSIONAL = "professional", _("专业技术人才")
    HIGH_SKILL = "high_skill", _("高技能人才")
    RURAL = "rural", _("农村实用人才")
    SOCIAL_WORK = "social_work", _("社会工作人才")


class Tier(models.TextChoices):
    A = "A", _("A类 顶尖人才")
    B = "B", _("B类 国家级领军人才")
    C = "C", _("C类 省级领军人才")
    D = "D", _("D类 市级高级人才")
    E = "E", _("E类 基础人才")


class TitleLevel(models.TextChoices):
    NONE = "", _("无")
    JUNIOR = "junior", _("初级")
    INTERMEDIATE = "intermediate", _("中级")
    DEPUTY_SENIOR = "deputy_senior", _("副高级")
    SENIOR = "senior", _("正高级")


class SkillLevel(models.IntegerChoices):
    NONE = 0, _("无")
    SENIOR_TECHNICIAN = 1, _("高级技师")
    TECHNICIAN = 2, _("技师")
    SENIOR_WORKER = 3, _("高级工")
    INTERMEDIATE_WORKER = 4, _("中级工")
    JUNIOR_WORKER = 5, _("初级工")


class Degree(models.TextChoices):
    NONE = "none", _("无")
    ASSOCIATE = "associate", _("专科")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士")
    DOCTOR = "doctor", _("博士")


DEGREE_LEVEL = {"none": 0, "associate": 1, "bachelor": 2, "master": 3, "doctor": 4}


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("全职")
    FLEXIBLE = "flexible", _("柔性引才")
    ENCLAVE = "enclave", _("飞地")


class IdKind(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class TalentStatus(models.TextChoices):
    ACTIVE = "active", _("在衢")
    DEPARTED = "departed", _("已离开")


class Programme(models.TextChoices):
    NATIONAL = "national_programme", _("国家级人才计划（国千）")
    PROVINCIAL = "provincial_programme", _("省级人才计划（省千）")
    CITY = "city_programme", _("市级人才计划")
    ACADEMICIAN = "academician", _("两院院士")
    CRAFTSMAN = "craftsman", _("工匠")
    CHIEF_TECH_OFFICER = "chief_tech_officer", _("企业首席技术官")


class ProgrammeLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    CITY = "city", _("市级")


class Academy(models.TextChoices):
    CAS = "cas", _("中国科学院")
    CAE = "cae", _("中国工程院")
    FOREIGN = "foreign", _("外国科学院")


class AchievementKind(models.TextChoices):
    """What a talent achieved (成果): patents, transfers, products, standards, awards, projects, and the tax
    paid by a talent's venture."""

    PATENT_GRANTED = "patent_granted", _("授权专利")
    PATENT_APPLIED = "patent_applied", _("申请专利")
    TECH_TRANSFER = "tech_transfer", _("成果转化")
    NEW_PRODUCT = "new_product", _("新产品")
    STANDARD = "standard", _("标准")
    AWARD = "award", _("奖项")
    PROJECT = "project", _("项目")
    VENTURE_TAX = "venture_tax", _("创业企业纳税")
