"""Shapes of the registry API: what goes out (masked personal data only) and what comes in."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Schema

from rencai.core.schemas import Day, ErrorOut, ProblemOut, declared, text_schema
from rencai.registry import choices as c
from rencai.registry.models import Achievement, Enterprise, Talent

__all__ = ["ErrorOut", "ProblemOut"]  # the one error shape, re-exported for the registry's callers

# Out -------------------------------------------------------------------------------------------


class RegionRef(Schema):
    code: str
    name: str


class EnterpriseRef(Schema):
    id: int
    name: str
    credit_code: str


class TalentOut(Schema):
    """One talent as a list shows it: the ID number and phone masked, the birth date as its year only (with
    the county and gender a full birth date would leave too few candidates for the ID number, see
    `core.masking`); the full values only through the audited reveal."""

    id: int
    name: str
    id_kind: str
    id_number_masked: str
    phone_masked: str
    gender: str
    birth_year: int
    region: RegionRef
    team: str
    tier: str
    title_level: str
    skill_level: int
    highest_degree: str
    employer: EnterpriseRef | None
    employment_type: str
    arrival_date: dt.date
    status: str
    departed_on: dt.date | None

    @staticmethod
    def resolve_employer(obj):
        return obj["current_employer"] if isinstance(obj, dict) else obj.current_employer

    @staticmethod
    def resolve_birth_year(obj) -> int:
        return (obj["birth_date"] if isinstance(obj, dict) else obj.birth_date).year


class EducationOut(Schema):
    degree: str
    field: str
    institution: str
    is_overseas: bool
    graduated_on: dt.date | None


class HonourOut(Schema):
    programme: str
    level: str
    year: int


class EmploymentOut(Schema):
    employer_name: str
    enterprise_id: int | None
    position: str
    employment_type: str
    started_on: dt.date
    ended_on: dt.date | None


class PlatformRef(Schema):
    id: int
    name: str
    kind: str


class MembershipOut(Schema):
    platform: PlatformRef
    joined_on: dt.date


class TalentDetailOut(TalentOut):
    nationality: str
    is_researcher_venture: bool
    educations: list[EducationOut]
    honours: list[HonourOut]
    employments: list[EmploymentOut]
    platforms: list[MembershipOut]


class TalentPage(Schema):
    items: list[TalentOut]
    next_cursor: str | None


class EnterpriseOut(Schema):
    id: int
    credit_code: str
    name: str
    region: RegionRef
    industry: str
    size: str
    is_high_tech: bool
    is_platform_enterprise: bool


class EnterpriseDetailOut(EnterpriseOut):
    talent_count: int
    platforms: list[PlatformRef]


class EnterprisePage(Schema):
    items: list[EnterpriseOut]
    next_cursor: str | None


class PlatformOut(Schema):
    id: int
    kind: str
    name: str
    region: RegionRef
    location: str
    host_enterprise: EnterpriseRef | None
    host_institution: str
    established_on: dt.date
    group_label: str


class AcademicianRef(Schema):
    id: int
    name: str


class CooperationOut(Schema):
    academician: AcademicianRef
    station: PlatformRef
    started_on: dt.date
    ended_on: dt.date | None
    team_size: int


class PlatformDetailOut(PlatformOut):
    member_count: int
    cooperations: list[CooperationOut]


class PlatformPage(Schema):
    items: list[PlatformOut]
    next_cursor: str | None


class AcademicianOut(Schema):
    id: int
    name: str
    academy: str
    field: str
    affiliation: str
    region: RegionRef


class AcademicianDetailOut(AcademicianOut):
    cooperations: list[CooperationOut]


class AcademicianPage(Schema):
    items: list[AcademicianOut]
    next_cursor: str | None


class RevealedOut(Schema):
    field: str
    value: str


# In --------------------------------------------------------------------------------------------


# What the server accepts, declared in the OpenAPI document but enforced by the services' one input path
# (`clean_talent`, `clean_enterprise`), which lists every problem at once in both languages: choices as
# enums, codes in their shapes, names not blank, without NUL and within their columns. What a schema cannot
# say stays theirs alone (422): an ID number's check digit and birth date, a region or employer that must
# exist in the caller's scope, an arrival date not after today, a passport holder's birth date and gender.
SPACE = r"[\s\x1c-\x1f]*"  # what the services strip; \x1c-\x1f are whitespace to Python only
ID_NUMBER = rf"^{SPACE}[0-9A-Za-z]{{5,20}}{SPACE}$"  # 18 characters for a resident ID, 5-20 for a passport
REGION_CODE = rf"^{SPACE}[0-9]{{6,12}}{SPACE}$"
CREDIT_CODE = rf"^{SPACE}[0-9A-Za-z]{{18}}{SPACE}$"
# the services drop spaces and hyphens, then want 7-17 digits, or + and 8-17 digits
PHONE = r"^$|^[\s\x1c-\x1f-]*(\+[\s\x1c-\x1f-]*([0-9][\s\x1c-\x1f-]*){8,17}|([0-9][\s\x1c-\x1f-]*){7,17})$"
NAME_MAX = Talent._meta.get_field("name").max_length or 100
ENTERPRISE_NAME_MAX = Enterprise._meta.get_field("name").max_length or 200


def _choices(choices: type[c.models.Choices], *, blank: bool = False) -> list:
    return [*([""] if blank and "" not in choices.values else []), *choices.values]


TalentName = Annotated[str, declared(text_schema(NAME_MAX))]
IdNumber = Annotated[str, declared(pattern=ID_NUMBER)]
RegionCode = Annotated[str, declared(pattern=REGION_CODE)]


class TalentIn(Schema):
    """A talent to register. `region` is a region code (e.g. 330881), the employer a credit code."""

    name: TalentName
    id_number: IdNumber
    id_kind: Annotated[str, declared(enum=_choices(c.IdKind))] = c.IdKind.RESIDENT_ID
    region: RegionCode
    team: Annotated[str, declared(enum=_choices(c.Team))]
    arrival_date: Day
    phone: Annotated[str, declared(pattern=PHONE)] = ""
    nationality: str = "CN"
    tier: Annotated[str, declared(enum=_choices(c.Tier, blank=True))] = ""
    title_level: Annotated[str, declared(enum=_choices(c.TitleLevel))] = ""
    skill_level: Annotated[int, declared(enum=_choices(c.SkillLevel))] = 0
    highest_degree: Annotated[str, declared(enum=_choices(c.Degree))] = c.Degree.NONE
    employer_credit_code: Annotated[str, declared(pattern=f"^$|{CREDIT_CODE}")] = ""
    employment_type: Annotated[str, declared(enum=_choices(c.EmploymentType, blank=True))] = ""
    is_researcher_venture: bool = False
    birth_date: Day | None = None  # passports only
    gender: str = ""  # passports only


class TalentPatch(Schema):
    """The fields to change; any field left out keeps its value."""

    name: TalentName | None = None
    id_number: IdNumber | None = None
    id_kind: Annotated[str, declared(enum=_choices(c.IdKind))] | None = None
    region: RegionCode | None = None
    team: Annotated[str, declared(enum=_choices(c.Team))] | None = None
    arrival_date: Day | None = None
    phone: Annotated[str, declared(pattern=PHONE)] | None = None
    nationality: str | None = None
    tier: Annotated[str, declared(enum=_choices(c.Tier, blank=True))] | None = None
    title_level: Annotated[str, declared(enum=_choices(c.TitleLevel))] | None = None
    skill_level: Annotated[int, declared(enum=_choices(c.SkillLevel))] | None = None
    highest_degree: Annotated[str, declared(enum=_choices(c.Degree))] | None = None
    employer_credit_code: Annotated[str, declared(pattern=f"^$|{CREDIT_CODE}")] | None = None
    employment_type: Annotated[str, declared(enum=_choices(c.EmploymentType, blank=True))] | None = None
    is_researcher_venture: bool | None = None
    birth_date: Day | None = None
    gender: str | None = None


class TalentTransferIn(Schema):
    """Where a talent's record moves (a region code, e.g. 330825) and why."""

    region: RegionCode
    reason: Annotated[str, declared(text_schema(None))]


class EnterpriseIn(Schema):
    credit_code: Annotated[str, declared(pattern=CREDIT_CODE)]
    name: Annotated[str, declared(text_schema(ENTERPRISE_NAME_MAX))]
    region: RegionCode
    industry: Annotated[str, declared(enum=_choices(c.Industry))]
    size: Annotated[str, declared(enum=_choices(c.EnterpriseSize))]
    is_high_tech: bool = False
    is_platform_enterprise: bool = False


# Achievements ----------------------------------------------------------------------------------


class HolderOut(Schema):
    """A holder of an achievement the caller may see (a co-holder out of scope is left out)."""

    talent_id: int
    name: str
    rank: int

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.talent.name


class AchievementOut(Schema):
    id: int
    kind: str
    title: str
    reference: str
    achieved_on: dt.date
    amount: Decimal | None
    level: str
    region: RegionRef
    enterprise: EnterpriseRef | None  # null also when the employer is outside the caller's scope
    holders: list[HolderOut]

    @staticmethod
    def resolve_enterprise(obj):
        return obj.enterprise if getattr(obj, "enterprise_shown", False) else None

    @staticmethod
    def resolve_holders(obj) -> list:
        return list(getattr(obj, "visible_holders", []))


class AchievementPage(Schema):
    items: list[AchievementOut]
    next_cursor: str | None


ACHIEVEMENT_TITLE_MAX = Achievement._meta.get_field("title").max_length or 200
ACHIEVEMENT_REFERENCE_MAX = Achievement._meta.get_field("reference").max_length or 64


class AchievementIn(Schema):
    """An achievement to record. `holders` are ID numbers or talent numbers (the `id` of a talent), first
    holder first, each a talent the caller may see; `region` (a region code) defaults to the first
    holder's; `amount` is in yuan."""

    kind: Annotated[str, declared(enum=_choices(c.AchievementKind))]
    title: Annotated[str, declared(text_schema(ACHIEVEMENT_TITLE_MAX))]
    achieved_on: Day
    holders: Annotated[list[str | int], declared(minItems=1, maxItems=50)]
    reference: Annotated[str, declared(pattern=r"^[^\x00]*$", maxLength=ACHIEVEMENT_REFERENCE_MAX)] = ""
    amount: Annotated[Decimal, declared(minimum=0, maximum=999_999_999_999.99)] | None = None
    level: Annotated[str, declared(enum=_choices(c.ProgrammeLevel, blank=True))] = ""
    enterprise_credit_code: Annotated[str, declared(pattern=f"^$|{CREDIT_CODE}")] = ""
    region: Annotated[str, declared(pattern=f"^$|{REGION_CODE}")] = ""
