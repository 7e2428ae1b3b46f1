"""Shapes of the registry API: what goes out (masked personal data only) and what comes in."""

import datetime as dt

from ninja import Schema

from rencai.registry import choices as c

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


class ProblemOut(Schema):
    field: str
    message_zh: str
    message_en: str


class ErrorOut(Schema):
    """Every refusal: a stable code, the message in the request's language, both languages, details."""

    code: str
    message: str
    message_zh: str
    message_en: str
    details: list[ProblemOut]


# In --------------------------------------------------------------------------------------------


class TalentIn(Schema):
    """A talent to register. `region` is a region code (e.g. 330881), the employer a credit code."""

    name: str
    id_number: str
    id_kind: str = c.IdKind.RESIDENT_ID
    region: str
    team: str
    arrival_date: dt.date
    phone: str = ""
    nationality: str = "CN"
    tier: str = ""
    title_level: str = ""
    skill_level: int = 0
    highest_degree: str = c.Degree.NONE
    employer_credit_code: str = ""
    employment_type: str = ""
    is_researcher_venture: bool = False
    birth_date: dt.date | None = None  # passports only
    gender: str = ""  # passports only


class TalentPatch(Schema):
    """The fields to change; any field left out keeps its value."""

    name: str | None = None
    id_number: str | None = None
    id_kind: str | None = None
    region: str | None = None
    team: str | None = None
    arrival_date: dt.date | None = None
    phone: str | None = None
    nationality: str | None = None
    tier: str | None = None
    title_level: str | None = None
    skill_level: int | None = None
    highest_degree: str | None = None
    employer_credit_code: str | None = None
    employment_type: str | None = None
    is_researcher_venture: bool | None = None
    birth_date: dt.date | None = None
    gender: str | None = None


class TalentTransferIn(Schema):
    """Where a talent's record moves (a region code, e.g. 330825) and why."""

    region: str
    reason: str


class EnterpriseIn(Schema):
    credit_code: str
    name: str
    region: str
    industry: str
    size: str
    is_high_tech: bool = False
    is_platform_enterprise: bool = False
