"""Generate the reproducible demo Quzhou (`rencai demo`): reference data through the ORM, talents in bulk.

The structure follows the seed speech: 6 national-programme (国千) and 27 provincial-programme (省千)
talents whatever the size, enterprise-management talents under 13% of all, technicians and senior
technicians under 10% of high-skill talents, 25 academician stations with 30 academicians. The same seed
gives the same names, ID numbers and attributes; ciphertexts differ (random nonces), blind indexes do not.

Talents are written with COPY (PostgreSQL) or executemany (SQLite) in chunks, so a million takes minutes;
sealing personal data (AES-GCM + HMAC per ID number and phone) is the main per-row cost and is timed apart.
"""

import bisect
import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import SET_NULL, Model
from django.utils import timezone

from rencai.accounts.models import User
from rencai.accounts.two_factor import enrol_demo_authenticators
from rencai.core import audit
from rencai.core.bulk import bulk_insert
from rencai.core.errors import DomainError, ErrorCode
from rencai.core.pii import seal_id_number, seal_phone
from rencai.core.regions import ensure_quzhou_regions
from rencai.core.validators import CREDIT_ALPHABET, credit_check_char, id_check_char
from rencai.registry import demo_data as d
from rencai.registry.models import (
    Academician,
    Achievement,
    AchievementHolder,
    Department,
    Education,
    Employment,
    Enterprise,
    Honour,
    ImportBatch,
    PlatformMembership,
    StationCooperation,
    Talent,
    TalentPlatform,
    TierDefinition,
)

DEMO_SEED = 20170406  # the day of the speech
DEMO_PASSWORD = "Rencai-2017-demo"  # demo data only (meets the password rules of officers)
DEFAULT_TALENTS = 5_000
MIN_TALENTS = 200
REFERENCE_DATE = dt.date(2026, 10, 31)  # "today" of the demo world, fixed so the data is reproducible
CHUNK_SIZE = 25_000

NATIONAL_PROGRAMME_TALENTS = 6  # "产生了“国千”6人"
PROVINCIAL_PROGRAMME_TALENTS = 27  # "“省千”27人"
# "企业经营管理人才数量不及人才总量的13%": an exact quota, so every size shows it.
TEAM_SHARES = {
    "enterprise_mgmt": 0.126,
    "high_skill": 0.22,
    "rural": 0.11,
    "party_gov": 0.06,
    "social_work": 0.034,
}  # professional takes the rest (about 45%)
# "技师、高级技师占高技能人才的比例不到10%": quotas of high-skill talents at skill levels 1 and 2 (9%).
TECHNICIAN_SHARES = {1: 0.025, 2: 0.065}
DEPARTED_SHARE = 0.03

DEMO_ACCOUNTS = [  # username, role, display name (what README lists)
    ("city", "city_org_dept", "衢州市委组织部人才办"),
    ("jiangshan", "county_org_dept", "江山市委组织部"),
    ("longyou", "county_org_dept", "龙游县委组织部"),
    ("hrss", "department", "江山市人社局"),
    ("tianpeng", "enterprise", "江山天蓬集团"),
    ("talent", "talent", ""),
    ("reviewer", "reviewer", "评审专家（演示）"),
    ("provider", "provider", "衢州市人民医院（服务提供方）"),
    ("admin", "city_org_dept", "系统管理员"),
]

Progress = Callable[[str], None]


class DemoRefused(DomainError):
    def __init__(self, message_zh: str, message_en: str):
        super().__init__(ErrorCode.DEMO_REFUSED, message_zh, message_en)


@dataclass
class DemoReport:
    seed: int
    talents: int
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase


# --- drawing ------------------------------------------------------------------------------------------------


class Weighted:
    """Draw from weighted values with one uniform number (bisect over cumulative weights): fast in a loop."""

    __slots__ = ("cumulative", "total", "values")

    def __init__(self, pairs: Sequence[tuple]):
        self.values = [value for value, _ in pairs]
        self.cumulative, total = [], 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def draw(self, uniform: float):
        return self.values[bisect.bisect_right(self.cumulative, uniform * self.total)]


@dataclass(frozen=True)
class TeamProfile:
    male: float
    age_mode: float
    degrees: Weighted
    titles: Weighted
    employed_by_enterprise: float  # the rest work in public bodies, villages or elsewhere
    flexible: float = 0.0
    enclave: float = 0.0


W = Weighted
NO_TITLE = W([("", 1)])
PROFILES = {
    "professional": TeamProfile(
        male=0.55,
        age_mode=36,
        degrees=W([("doctor", 4), ("master", 20), ("bachelor", 55), ("associate", 18), ("none", 3)]),
        titles=W([("", 6), ("junior", 32), ("intermediate", 35), ("deputy_senior", 21), ("senior", 6)]),
        employed_by_enterprise=0.5,
        flexible=0.035,
        enclave=0.025,
    ),
    "enterprise_mgmt": TeamProfile(
        male=0.72,
        age_mode=42,
        degrees=W([("doctor", 1.5), ("master", 20), ("bachelor", 48), ("associate", 24), ("none", 6.5)]),
        titles=W([("", 55), ("junior", 5), ("intermediate", 22), ("deputy_senior", 15), ("senior", 3)]),
        employed_by_enterprise=1.0,
        flexible=0.02,
        enclave=0.02,
    ),
    "high_skill": TeamProfile(
        male=0.82,
        age_mode=38,
        degrees=W([("bachelor", 8), ("associate", 42), ("none", 50)]),
        titles=NO_TITLE,
        employed_by_enterprise=0.9,
    ),
    "party_gov": TeamProfile(
        male=0.6,
        age_mode=42,
        degrees=W([("doctor", 1.5), ("master", 30), ("bachelor", 63), ("associate", 5.5)]),
        titles=NO_TITLE,
        employed_by_enterprise=0.0,
    ),
    "rural": TeamProfile(
        male=0.68,
        age_mode=48,
        degrees=W([("bachelor", 4), ("associate", 21), ("none", 75)]),
        titles=W([("", 92), ("junior", 6), ("intermediate", 2)]),
        employed_by_enterprise=0.05,
    ),
    "social_work": TeamProfile(
        male=0.35,
        age_mode=36,
        degrees=W([("master", 8), ("bachelor", 50), ("associate", 36), ("none", 6)]),
        titles=W([("", 60), ("junior", 25), ("intermediate", 15)]),
        employed_by_enterprise=0.0,
    ),
}
# Tier by merit (3: doctor, senior title or senior technician … 0: none of these): most are E, D or none.
TIER_BY_MERIT = {
    3: W([("B", 0.3), ("C", 2.5), ("D", 55), ("E", 38), ("", 4.2)]),
    2: W([("D", 15), ("E", 60), ("", 25)]),
    1: W([("E", 45), ("", 55)]),
    0: W([("E", 10), ("", 90)]),
}
OVERSEAS_CHANCE = {"doctor": 0.15, "master": 0.06, "bachelor": 0.01}
DEGREE_LADDER = {
    "associate": ("associate",),
    "bachelor": ("bachelor",),
    "master": ("bachelor", "master"),
    "doctor": ("bachelor", "master", "doctor"),
}
GRADUATION_AGE = {"associate": 21, "bachelor": 22, "master": 25, "doctor": 29}
INSTITUTIONS = {
    "associate": d.JUNIOR_COLLEGES,
    "bachelor": d.COLLEGES,
    "master": d.UNIVERSITIES,
    "doctor": d.UNIVERSITIES_TOP,
}
# academician name -> (host of their station, start of the cooperation)
ACADEMICIAN_HOSTS = {
    person[0]: (host, person[4])
    for host, _region, _established, people in d.ACADEMICIAN_STATIONS
    for person in people
}
SURNAMES = W(d.SURNAMES)
FOREIGN_COUNTRIES = list(d.FOREIGN_NAMES)


def credit_code(rng: random.Random, region_code: str) -> str:
    """A GB 32100 code: 9 (market regulator) 1 (enterprise), region, 9-character body, check character."""
    if rng.random() < 0.6:  # registered after 2015: body starts with MA
        body = "MA" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(7))
    else:  # older enterprise: its former 8-digit organization code and check
        body = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice(CREDIT_ALPHABET)
    first17 = "91" + region_code + body
    return first17 + credit_check_char(first17)


def merit(draft: "Draft") -> int:
    """3: doctor, senior title or senior technician; 2: master, deputy senior or technician; 1: bachelor,
    intermediate title or senior worker; 0: none of these."""
    if draft.skill == 1 or draft.degree == "doctor" or draft.title == "senior":
        return 3
    if draft.skill == 2 or draft.degree == "master" or draft.title == "deputy_senior":
        return 2
    if draft.skill == 3 or draft.degree == "bachelor" or draft.title == "intermediate":
        return 1
    return 0


def quotas(total: int, shares: dict, rest: str) -> dict:
    counts = {key: round(total * share) for key, share in shares.items()}
    counts[rest] = total - sum(counts.values())
    return counts


# --- reference data (tens of rows: through the ORM) -------------------------------------------------------


def create_departments(regions: dict) -> dict[tuple[str, str], Department]:
    departments = {}
    for code in [d.CITY, *d.COUNTIES]:
        region = regions[code]
        for kind, template in d.DEPARTMENTS.items():
            name = template.format(c=region.name, s=region.name[:-1])
            if kind == "housing_fund" and code == d.CITY:
                name = d.CITY_HOUSING_FUND
            departments[code, kind], _ = Department.objects.get_or_create(
                region=region, kind=kind, defaults={"name": name}
            )
    return departments


def create_tiers(regions: dict) -> int:
    for code, catalogue in ((d.CITY, d.CITY_TIERS), (d.LONGYOU, d.LONGYOU_TIERS)):
        for tier, name, criteria in catalogue:
            TierDefinition.objects.update_or_create(
                region=regions[code], code=tier, defaults={"name": name, "criteria": criteria}
            )
    return len(d.CITY_TIERS) + len(d.LONGYOU_TIERS)


def create_enterprises(rng: random.Random, regions: dict) -> dict[str, Enterprise]:
    enterprises = [
        Enterprise(
            credit_code=credit_code(rng, county),
            name=name,
            region=regions[county],
            industry=industry,
            size=size,
            is_high_tech=high_tech,
            is_platform_enterprise=platform,
        )
        for county, name, _short, industry, size, high_tech, platform in d.ENTERPRISES
    ]
    Enterprise.objects.bulk_create(enterprises)  # sets primary keys on PostgreSQL and SQLite >= 3.35
    return {e.name: e for e in enterprises}


def create_platforms(regions: dict, enterprises: dict[str, Enterprise]) -> list[TalentPlatform]:
    short = {name: short_name for _c, name, short_name, *_ in d.ENTERPRISES}
    platforms = []
    for kind, name, region, location, host, institution, established, group in d.PLATFORMS:
        platforms.append(
            TalentPlatform.objects.create(
                kind=kind,
                name=name,
                region=regions[region],
                location=location,
                host_enterprise=enterprises.get(host),
                host_institution=institution,
                established_on=established,
                group_label=group,
            )
        )
    for host, institution_region, established, academicians in d.ACADEMICIAN_STATIONS:
        enterprise = enterprises.get(host)
        region = enterprise.region if enterprise else regions[institution_region]
        station = TalentPlatform.objects.create(
            kind="academician_station",
            name=f"{short.get(host, host)}院士专家工作站",
            region=region,
            location="本地",
            host_enterprise=enterprise,
            host_institution="" if enterprise else host,
            established_on=established,
        )
        platforms.append(station)
        for name, academy, research_field, affiliation, started, team_size in academicians:
            academician = Academician.objects.create(
                name=name, academy=academy, field=research_field, affiliation=affiliation, region=region
            )
            StationCooperation.objects.create(
                academician=academician, station=station, started_on=started, team_size=team_size
            )
    return platforms


def create_accounts(regions: dict, departments: dict, enterprises: dict[str, Enterprise]) -> dict[str, User]:
    """One account per role, all with the demo password (hashed once: PBKDF2 is slow on purpose)."""
    password = make_password(DEMO_PASSWORD)
    placement = {
        "city": {"region": regions[d.CITY]},
        "jiangshan": {"region": regions[d.JIANGSHAN]},
        "longyou": {"region": regions[d.LONGYOU]},
        "hrss": {"region": regions[d.JIANGSHAN], "department": departments[d.JIANGSHAN, "hrss"]},
        "tianpeng": {"enterprise": enterprises[d.TIANPENG]},
        "admin": {"region": regions[d.CITY], "is_superuser": True, "is_staff": True},
    }
    users = {}
    for username, role, display_name in DEMO_ACCOUNTS:
        values = {
            "role": role,
            "display_name": display_name,
            "password": password,
            "is_active": True,
            "region": None,
            "department": None,
            "enterprise": None,
            "is_superuser": False,
            "is_staff": False,
            **placement.get(username, {}),
        }
        users[username], _ = User.objects.update_or_create(username=username, defaults=values)
    enrol_demo_authenticators(users.values())  # the published demo secret (`rencai demo_totp`)
    return users


# --- talents (up to millions: plain tuples, bulk writes) ----------------------------------------------------


@dataclass
class PlatformRef:
    id: int
    kind: str
    region_code: str
    host_id: int | None
    established_on: dt.date


@dataclass
class EnterpriseRef:
    id: int
    name: str
    county: str
    industry: str
    is_high_tech: bool
    is_platform: bool
    weight: float
    platforms: list[PlatformRef] = field(default_factory=list)


class Draft:
    """One talent being drawn, before its personal data is sealed."""

    __slots__ = (
        "account_id",
        "arrival",
        "birth",
        "degree",
        "departed",
        "employer",
        "etype",
        "gender",
        "honours",
        "id_kind",
        "name",
        "nationality",
        "number",
        "overseas",
        "phone",
        "platforms",
        "region",
        "skill",
        "team",
        "tid",
        "tier",
        "title",
        "venture",
    )

    def __init__(self, tid: int, team: str):
        self.tid, self.team = tid, team
        self.id_kind, self.nationality, self.phone, self.name = "resident_id", "CN", "", ""
        self.tier = self.title = self.etype = ""
        self.skill, self.overseas, self.venture = 0, False, False
        self.employer: EnterpriseRef | None = None
        self.departed: dt.date | None = None
        self.account_id: int | None = None
        self.honours: list[tuple[str, str, int]] = []
        self.platforms: list[tuple[PlatformRef, dt.date]] = []


@dataclass
class Rows:
    talents: list = field(default_factory=list)
    educations: list = field(default_factory=list)
    employments: list = field(default_factory=list)
    honours: list = field(default_factory=list)
    memberships: list = field(default_factory=list)


TALENT_COLUMNS = (
    "id",
    "name",
    "id_kind",
    "id_number_ciphertext",
    "id_number_index",
    "id_number_tail_index",
    "id_number_masked",
    "phone_ciphertext",
    "phone_masked",
    "birth_date",
    "gender",
    "nationality",
    "region_id",
    "team",
    "tier",
    "title_level",
    "skill_level",
    "highest_degree",
    "current_employer_id",
    "employment_type",
    "arrival_date",
    "status",
    "departed_on",
    "is_researcher_venture",
    "account_id",
    "created_at",
    "updated_at",
)
CHILD_COLUMNS = {
    "educations": (
        "registry_education",
        ("talent_id", "degree", "field", "institution", "is_overseas", "graduated_on"),
    ),
    "employments": (
        "registry_employment",
        (
            "talent_id",
            "enterprise_id",
            "employer_name",
            "position",
            "employment_type",
            "started_on",
            "ended_on",
        ),
    ),
    "honours": ("registry_honour", ("talent_id", "programme", "level", "year")),
    "memberships": ("registry_platformmembership", ("talent_id", "platform_id", "joined_on")),
}


class TalentGenerator:
    """Draws talents in index order from one seeded generator: same seed and size, same registry."""

    def __init__(
        self,
        *,
        rng: random.Random,
        total: int,
        start_id: int,
        regions: dict,
        enterprises: list[EnterpriseRef],
        platforms: list[PlatformRef],
        account_id: int,
        reference: dt.date,
        created_at,
    ):
        self.rng, self.total, self.start_id, self.reference = rng, total, start_id, reference
        self.region_ids = {code: region.pk for code, region in regions.items()}
        self.created_at = created_at
        self.counties = Weighted([(code, share) for code, (_name, share) in d.COUNTIES.items()])
        self.enterprises = {e.name: e for e in enterprises}
        self.local_employers = {
            county: Weighted([(e, e.weight) for e in enterprises if e.county == county])
            for county in d.COUNTIES
        }
        self.any_employer = Weighted([(e, e.weight) for e in enterprises])
        self.farm_employers = Weighted([(e, e.weight) for e in enterprises if e.industry == "agriculture"])
        self.innovative_employers = Weighted(
            [(e, e.weight) for e in enterprises if e.is_high_tech or e.is_platform]
        )
        self.enclaves_by_region: dict[str, list[PlatformRef]] = {}
        for platform in platforms:
            if platform.kind == "enclave":
                self.enclaves_by_region.setdefault(platform.region_code, []).append(platform)
        self.city_doctoral = next(p for p in platforms if p.kind == "doctoral_station" and p.host_id is None)
        self.sequence: dict[tuple[str, int, bool], int] = {}
        self.passports = 0
        self.teams = self._team_order()
        self.skills = self._skill_order()
        self.specials = self._specials(account_id)
        self.seal_seconds = 0.0

    # quotas decided up front, so shares are exact at every size
    def _team_order(self) -> list[str]:
        counts = quotas(self.total, TEAM_SHARES, "professional")
        order = [team for team, count in counts.items() for _ in range(count)]
        self.rng.shuffle(order)
        return order

    def _skill_order(self) -> list[int]:
        high_skill = self.teams.count("high_skill")
        counts = {level: int(high_skill * share) for level, share in TECHNICIAN_SHARES.items()}
        levels = [level for level, count in counts.items() for _ in range(count)]
        levels += [3] * (high_skill - len(levels))
        self.rng.shuffle(levels)
        return levels

    def _specials(self, account_id: int) -> dict[int, tuple]:
        professionals = [i for i, team in enumerate(self.teams) if team == "professional"]
        kinds = (
            [("academician", name, county) for name, county in d.RESIDENT_ACADEMICIANS]
            + [("national",)] * NATIONAL_PROGRAMME_TALENTS
            + [("provincial",)] * PROVINCIAL_PROGRAMME_TALENTS
            + [("showcase", account_id)]
        )
        chosen = self.rng.sample(professionals, len(kinds))
        return dict(zip(chosen, kinds, strict=True))

    # one talent
    def draw(self, index: int) -> Draft:
        team = self.teams[index]
        draft = Draft(self.start_id + index, team)
        special = self.specials.get(index)
        if special is not None:
            getattr(self, f"_special_{special[0]}")(draft, *special[1:])
        else:
            self._ordinary(draft, PROFILES[team])
        self._identity(draft)
        return draft

    def _ordinary(self, draft: Draft, profile: TeamProfile) -> None:
        rnd = self.rng.random
        draft.region = self.counties.draw(rnd())
        draft.gender = "male" if rnd() < profile.male else "female"
        age = self.rng.triangular(22.01, 65.99, profile.age_mode)
        draft.birth = self._birth(age)
        degree = profile.degrees.draw(rnd())
        if degree == "doctor" and age < 30:
            degree = "master"
        if degree == "master" and age < 25:
            degree = "bachelor"
        draft.degree = degree
        draft.overseas = rnd() < OVERSEAS_CHANCE.get(degree, 0.0)
        title = profile.titles.draw(rnd())
        if (title == "senior" and age < 40) or (title == "deputy_senior" and age < 32):
            title = "intermediate"
        draft.title = title
        if draft.team == "high_skill":
            draft.skill = self.skills.pop()
        elif draft.team == "rural" and rnd() < 0.25:
            draft.skill = 4 if rnd() < 0.4 else 5
        self._employment(draft, profile)
        draft.tier = TIER_BY_MERIT[merit(draft)].draw(rnd())
        earliest = max(dt.date(2010, 1, 1).toordinal(), draft.birth.toordinal() + 7305)
        draft.arrival = dt.date.fromordinal(earliest + int(rnd() * (self.reference.toordinal() - earliest)))
        if rnd() < DEPARTED_SHARE:
            span = self.reference.toordinal() - draft.arrival.toordinal()
            draft.departed = dt.date.fromordinal(draft.arrival.toordinal() + int(rnd() * span))
        draft.venture = draft.team == "professional" and title in ("deputy_senior", "senior") and rnd() < 0.05
        if (
            draft.team in ("professional", "enterprise_mgmt")
            and degree in ("master", "doctor")
            and rnd() < 0.03
        ):
            draft.nationality = FOREIGN_COUNTRIES[int(rnd() * len(FOREIGN_COUNTRIES))]
            draft.id_kind = "passport"
        self._ordinary_honours(draft)
        self._ordinary_platforms(draft)

    def _employment(self, draft: Draft, profile: TeamProfile) -> None:
        rnd = self.rng.random
        if rnd() < profile.employed_by_enterprise:
            if draft.team == "rural":
                draft.employer = self.farm_employers.draw(rnd())
            elif rnd() < 0.85:
                draft.employer = self.local_employers[draft.region].draw(rnd())
            else:
                draft.employer = self.any_employer.draw(rnd())
        if draft.team == "rural" and rnd() < 0.7:
            draft.etype = ""
            return
        u = rnd()
        if u < profile.flexible:
            draft.etype = "flexible"
        elif u < profile.flexible + profile.enclave:
            draft.etype = "enclave"
        else:
            draft.etype = "full_time"

    def _ordinary_honours(self, draft: Draft) -> None:
        rnd = self.rng.random
        if draft.tier == "D" and rnd() < 0.15:
            draft.honours.append(("city_programme", "city", self._year_after(draft.arrival, 2026)))
        if draft.skill == 1 and rnd() < 0.4:
            draft.honours.append(
                ("craftsman", "city" if rnd() < 0.8 else "provincial", self._year_after(draft.arrival, 2026))
            )

    def _ordinary_platforms(self, draft: Draft) -> None:
        rnd = self.rng.random
        if draft.etype == "enclave":
            local = self.enclaves_by_region.get(draft.region)
            pool = local if local and rnd() < 0.5 else self.enclaves_by_region[d.CITY]
            self._join(draft, pool[int(rnd() * len(pool))])
        employer = draft.employer
        if (
            employer is not None
            and employer.platforms
            and draft.team == "professional"
            and (draft.degree in ("master", "doctor") or draft.title in ("deputy_senior", "senior"))
            and rnd() < 0.35
        ):
            self._join(draft, employer.platforms[int(rnd() * len(employer.platforms))])
        if draft.degree == "doctor" and not draft.platforms and rnd() < 0.2:
            self._join(draft, self.city_doctoral)

    def _join(self, draft: Draft, platform: PlatformRef, joined: dt.date | None = None) -> None:
        if any(p is platform for p, _ in draft.platforms):
            return
        joined = joined or max(draft.arrival, platform.established_on)
        draft.platforms.append((platform, min(joined, self.reference)))

    # the talents the seed speech counts
    def _special_academician(self, draft: Draft, name: str, county: str) -> None:
        host_name, started = ACADEMICIAN_HOSTS[name]
        host = self.enterprises[host_name]
        self._senior(
            draft,
            county=county,
            age=(60, 65.9),
            tier="A",
            overseas=False,
            employer=host,
            etype="flexible",
            arrival=started,
        )
        draft.name, draft.title = name, "senior"
        draft.honours.append(("academician", "national", started.year - self.rng.randint(2, 8)))
        station = next(p for p in host.platforms if p.kind == "academician_station")
        self._join(draft, station, started)

    def _special_national(self, draft: Draft) -> None:
        arrival = self._date_between(dt.date(2010, 1, 1), dt.date(2014, 12, 31))
        etype = Weighted([("full_time", 5), ("flexible", 3), ("enclave", 2)]).draw(self.rng.random())
        self._senior(
            draft,
            age=(38, 56),
            tier="B",
            overseas=self.rng.random() < 0.8,
            employer=self.innovative_employers.draw(self.rng.random()),
            etype=etype,
            arrival=arrival,
        )
        draft.title = "senior" if self.rng.random() < 0.5 else "deputy_senior"
        draft.honours.append(("national_programme", "national", self._year_after(arrival, 2016)))
        self._special_platforms(draft)

    def _special_provincial(self, draft: Draft) -> None:
        arrival = self._date_between(dt.date(2010, 1, 1), dt.date(2015, 12, 31))
        etype = Weighted([("full_time", 7), ("flexible", 2), ("enclave", 1)]).draw(self.rng.random())
        self._senior(
            draft,
            age=(32, 55),
            tier="C",
            overseas=self.rng.random() < 0.5,
            employer=self.innovative_employers.draw(self.rng.random()),
            etype=etype,
            arrival=arrival,
        )
        if self.rng.random() < 0.25:
            draft.degree = "master"
        draft.title = "senior" if self.rng.random() < 0.3 else "deputy_senior"
        draft.honours.append(("provincial_programme", "provincial", self._year_after(arrival, 2016)))
        self._special_platforms(draft)

    def _special_showcase(self, draft: Draft, account_id: int) -> None:
        """The demo `talent` account: a doctor at 天蓬 on its doctoral and academician stations."""
        tianpeng = self.enterprises[d.TIANPENG]
        self._senior(
            draft,
            county=d.JIANGSHAN,
            age=(33, 37.9),
            tier="D",
            overseas=False,
            employer=tianpeng,
            etype="full_time",
            arrival=dt.date(2016, 7, 11),
        )
        draft.title, draft.account_id = "intermediate", account_id
        draft.honours.append(("city_programme", "city", 2019))
        for platform in tianpeng.platforms:
            if platform.kind in ("doctoral_station", "academician_station"):
                self._join(draft, platform)

    def _senior(
        self,
        draft: Draft,
        *,
        age: tuple[float, float],
        tier: str,
        overseas: bool,
        employer: EnterpriseRef,
        etype: str,
        arrival: dt.date,
        county: str | None = None,
    ) -> None:
        draft.region = county or employer.county
        draft.gender = "male" if self.rng.random() < 0.8 else "female"
        draft.birth = self._birth(self.rng.uniform(*age))
        draft.degree, draft.overseas, draft.tier = "doctor", overseas, tier
        draft.employer, draft.etype, draft.arrival = employer, etype, arrival

    def _special_platforms(self, draft: Draft) -> None:
        if draft.etype == "enclave":
            pool = self.enclaves_by_region[d.CITY]
            self._join(draft, pool[int(self.rng.random() * len(pool))])
        research = [p for p in draft.employer.platforms if p.kind in ("academician_station", "rd_center")]
        if research:
            self._join(draft, research[int(self.rng.random() * len(research))])

    # identity: name, ID number or passport, phone
    def _identity(self, draft: Draft) -> None:
        rnd = self.rng.random
        if draft.id_kind == "passport":
            names = d.FOREIGN_NAMES[draft.nationality]
            draft.name = names[int(rnd() * len(names))]
            self.passports += 1
            draft.number = f"{draft.nationality}{8_000_000 + self.passports:08d}"
        else:
            if not draft.name:  # academicians come named
                draft.name = self._chinese_name(draft.gender)
            draft.number = self._id_number(draft)
        if rnd() < 0.96:
            prefix = d.MOBILE_PREFIXES[int(rnd() * len(d.MOBILE_PREFIXES))]
            draft.phone = f"{prefix}{int(rnd() * 100_000_000):08d}"

    def _chinese_name(self, gender: str) -> str:
        rnd = self.rng.random
        pool = d.GIVEN_MALE if gender == "male" else d.GIVEN_FEMALE
        given = pool[int(rnd() * len(pool))]
        if rnd() < 0.75:
            given += pool[int(rnd() * len(pool))]
        return SURNAMES.draw(rnd()) + given

    def _id_number(self, draft: Draft) -> str:
        """Region and birth date as the person's; the order code counts up per region, day and gender."""
        male = draft.gender == "male"
        while True:
            day = draft.birth.toordinal()
            key = (draft.region, day, male)
            taken = self.sequence.get(key, 0)
            if taken < 500:
                break
            draft.birth -= dt.timedelta(days=1)  # 500 people of one gender born that day here: the day before
        self.sequence[key] = taken + 1
        # 500 distinct codes of the right parity per key, starting somewhere in the range like real ones do
        order = 2 * ((day * 7919 + int(draft.region) + taken) % 500) + (1 if male else 0)
        first17 = f"{draft.region}{draft.birth:%Y%m%d}{order:03d}"
        return first17 + id_check_char(first17)

    def _birth(self, age: float) -> dt.date:
        return dt.date.fromordinal(self.reference.toordinal() - int(age * 365.2425))

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return dt.date.fromordinal(self.rng.randint(start.toordinal(), end.toordinal()))

    def _year_after(self, arrival: dt.date, last: int) -> int:
        return self.rng.randint(min(arrival.year + 1, last), last)

    # rows
    def chunk(self, start: int, stop: int) -> Rows:
        drafts = [self.draw(index) for index in range(start, stop)]
        began = time.perf_counter()
        sealed_ids = [seal_id_number(draft.number) for draft in drafts]
        sealed_phones = [seal_phone(draft.phone) if draft.phone else None for draft in drafts]
        self.seal_seconds += time.perf_counter() - began
        rows = Rows()
        for draft, sealed_id, sealed_phone in zip(drafts, sealed_ids, sealed_phones, strict=True):
            self._rows(draft, sealed_id, sealed_phone, rows)
        return rows

    def _rows(self, draft: Draft, sealed_id, sealed_phone, rows: Rows) -> None:
        tid, departed = draft.tid, draft.departed
        employer = draft.employer
        rows.talents.append(
            (
                tid,
                draft.name,
                draft.id_kind,
                sealed_id.ciphertext,
                sealed_id.index,
                sealed_id.tail_index,
                sealed_id.masked,
                sealed_phone.ciphertext if sealed_phone else "",
                sealed_phone.masked if sealed_phone else "",
                draft.birth,
                draft.gender,
                draft.nationality,
                self.region_ids[draft.region],
                draft.team,
                draft.tier,
                draft.title,
                draft.skill,
                draft.degree,
                employer.id if employer is not None and departed is None else None,
                draft.etype,
                draft.arrival,
                "departed" if departed else "active",
                departed,
                draft.venture,
                draft.account_id,
                self.created_at,
                self.created_at,
            )
        )
        self._education_rows(draft, rows.educations)
        self._employment_rows(draft, rows.employments)
        rows.honours.extend((tid, programme, level, year) for programme, level, year in draft.honours)
        rows.memberships.extend((tid, platform.id, joined) for platform, joined in draft.platforms)

    def _education_rows(self, draft: Draft, out: list) -> None:
        if draft.degree == "none":
            return
        rnd = self.rng.random
        fields = d.FIELDS[draft.team]
        subject = fields[int(rnd() * len(fields))]
        for degree in DEGREE_LADDER[draft.degree]:
            if degree == "master" and draft.degree == "doctor" and rnd() < 0.2:
                continue  # straight from bachelor to doctorate
            highest = degree == draft.degree
            overseas = highest and draft.overseas
            pool = d.OVERSEAS_UNIVERSITIES if overseas else INSTITUTIONS[degree]
            graduated = dt.date(draft.birth.year + GRADUATION_AGE[degree] + int(rnd() * 2), 7, 1)
            out.append(
                (
                    draft.tid,
                    degree,
                    subject,
                    pool[int(rnd() * len(pool))],
                    overseas,
                    min(graduated, self.reference),
                )
            )

    def _employment_rows(self, draft: Draft, out: list) -> None:
        rnd = self.rng.random
        positions = d.POSITIONS[draft.team]
        position = positions[int(rnd() * len(positions))]
        employer = draft.employer
        if employer is not None:
            name, employer_id = employer.name, employer.id
        else:
            templates = d.PUBLIC_EMPLOYERS.get(draft.team) or d.PUBLIC_EMPLOYERS["professional"]
            towns = d.TOWNS[draft.region]
            name = templates[int(rnd() * len(templates))].format(
                c=d.COUNTIES[draft.region][0], t=towns[int(rnd() * len(towns))], p=d.CROPS[draft.region]
            )
            employer_id = None
        etype = draft.etype or "full_time"
        out.append((draft.tid, employer_id, name, position, etype, draft.arrival, draft.departed))
        age_at_arrival = (draft.arrival - draft.birth).days // 365
        if age_at_arrival >= 30 and rnd() < 0.25:
            started = dt.date(draft.birth.year + 23, 8, 1)
            ended = draft.arrival - dt.timedelta(days=1)
            if ended > started:
                previous = d.PREVIOUS_EMPLOYERS[int(rnd() * len(d.PREVIOUS_EMPLOYERS))]
                out.append((draft.tid, None, previous, position, "full_time", started, ended))


# --- orchestration ------------------------------------------------------------------------------------------


def demo_present() -> bool:
    return Enterprise.objects.filter(name=d.TIANPENG).exists()


def load_demo(
    *,
    talents: int = DEFAULT_TALENTS,
    seed: int = DEMO_SEED,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> DemoReport | None:
    """Generate the demo Quzhou in one transaction; None if demo data is already there (idempotent)."""
    say = progress or (lambda message: None)
    if talents < MIN_TALENTS:
        raise DemoRefused(
            f"演示人才数不能少于 {MIN_TALENTS}", f"The demo needs at least {MIN_TALENTS} talents"
        )
    if demo_present():
        return None
    if Talent.objects.exists():
        raise DemoRefused(
            "人才库已有非演示数据；如需重建请使用 --reset",
            "The registry holds other talents; use --reset to wipe it first",
        )
    report = DemoReport(seed=seed, talents=talents)
    began = time.perf_counter()
    with transaction.atomic():
        _lock_talents()
        rng = random.Random(seed)
        regions = ensure_quzhou_regions()
        departments = create_departments(regions)
        report.counts["tier_definitions"] = create_tiers(regions)
        enterprises = create_enterprises(rng, regions)
        platforms = create_platforms(regions, enterprises)
        users = create_accounts(regions, departments, enterprises)
        report.counts.update(
            departments=len(departments),
            enterprises=len(enterprises),
            platforms=len(platforms),
            academicians=Academician.objects.count(),
            accounts=len(users),
        )
        report.timings["reference"] = time.perf_counter() - began
        say(f"参考数据完成 / reference data ready ({report.timings['reference']:.1f} s)")
        generator = TalentGenerator(
            rng=rng,
            total=talents,
            start_id=(Talent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1,
            regions=regions,
            enterprises=_enterprise_refs(enterprises, platforms),
            platforms=[_platform_ref(p) for p in platforms],
            account_id=users["talent"].pk,
            reference=min(REFERENCE_DATE, dt.date.today()),
            created_at=connection.ops.adapt_datetimefield_value(timezone.now()),
        )
        _write_talents(generator, talents, chunk_size, report, say, began)
        talent = Talent.objects.get(account=users["talent"])
        User.objects.filter(pk=users["talent"].pk).update(display_name=talent.name)
        report.counts["achievements"] = create_achievements(random.Random(seed + 1), talent)
        audit.record(
            actor=None,
            action="registry.demo",
            object_type="registry",
            region_code=d.CITY,
            detail={"seed": seed, "talents": talents, **report.counts},
        )
    started_analyze = time.perf_counter()
    _analyze()
    report.timings["analyze"] = time.perf_counter() - started_analyze
    report.timings["total"] = time.perf_counter() - began
    return report


# (kind, title, amount in yuan or None, level) of the demo achievements; the demo talent holds the first six
DEMO_ACHIEVEMENTS = [
    ("patent_granted", "一种含氟精细化学品的连续化制备方法", None, ""),
    ("patent_applied", "一种氟硅共聚材料及其应用", None, ""),
    ("tech_transfer", "含氟中间体生产技术转让", 1_200_000, ""),
    ("award", "衢州市科学技术进步奖二等奖", None, "city"),
    ("project", "省重点研发计划项目", 800_000, "provincial"),
    ("venture_tax", "创办企业年度纳税", 150_000, ""),
    ("new_product", "高性能氟橡胶新产品", None, "provincial"),
    ("standard", "含氟电子化学品团体标准", None, ""),
]


def create_achievements(rng: random.Random, demo_talent: Talent) -> int:
    """A few dozen achievements: the demo talent's own (patents, a transfer with its income, an award …),
    and some for the first employed talents of tier A to D, a colleague as second holder now and then."""
    employed = list(
        Talent.objects.filter(tier__in=["A", "B", "C", "D"], current_employer__isnull=False)
        .exclude(pk=demo_talent.pk)
        .order_by("id")
        .values_list("pk", "region_id", "current_employer_id", "arrival_date")[:40]
    )
    plan = [
        (demo_talent.pk, demo_talent.region_id, demo_talent.current_employer_id, kind) for kind in range(6)
    ]
    plan += [
        (pk, region, employer, rng.randrange(len(DEMO_ACHIEVEMENTS))) for pk, region, employer, _ in employed
    ]
    achievements, holders = [], []
    for number, (talent_id, region_id, employer_id, index) in enumerate(plan, start=1):
        kind, title, amount, level = DEMO_ACHIEVEMENTS[index]
        reference = (
            f"DEMO-{kind.upper()}-{number:04d}"
            if kind in ("patent_granted", "patent_applied", "standard")
            else ""
        )
        achieved_on = REFERENCE_DATE - dt.timedelta(days=rng.randrange(30, 1500))
        achievements.append(
            Achievement(
                kind=kind,
                title=title,
                reference=reference,
                achieved_on=min(achieved_on, dt.date.today()),
                amount=amount,
                level=level,
                enterprise_id=employer_id,
                region_id=region_id,
            )
        )
        second = employed[rng.randrange(len(employed))][0] if employed and rng.random() < 0.3 else None
        holders.append([talent_id] + ([second] if second not in (None, talent_id) else []))
    Achievement.objects.bulk_create(achievements)  # sets primary keys on PostgreSQL and SQLite >= 3.35
    AchievementHolder.objects.bulk_create(
        AchievementHolder(achievement=achievement, talent_id=talent_id, rank=rank)
        for achievement, talent_ids in zip(achievements, holders, strict=True)
        for rank, talent_id in enumerate(talent_ids, start=1)
    )
    return len(achievements)


def _enterprise_refs(
    enterprises: dict[str, Enterprise], platforms: list[TalentPlatform]
) -> list[EnterpriseRef]:
    refs = {
        e.pk: EnterpriseRef(
            e.pk,
            e.name,
            e.region.code,
            e.industry,
            e.is_high_tech,
            e.is_platform_enterprise,
            d.SIZE_WEIGHT[e.size],
        )
        for e in enterprises.values()
    }
    for platform in platforms:
        if platform.host_enterprise_id:
            refs[platform.host_enterprise_id].platforms.append(_platform_ref(platform))
    return [refs[e.pk] for e in enterprises.values()]


def _platform_ref(platform: TalentPlatform) -> PlatformRef:
    return PlatformRef(
        platform.pk, platform.kind, platform.region.code, platform.host_enterprise_id, platform.established_on
    )


def _write_talents(
    generator: TalentGenerator, total: int, chunk_size: int, report: DemoReport, say: Progress, began: float
) -> None:
    counts = dict.fromkeys(["talents", *CHILD_COLUMNS], 0)
    write_seconds = 0.0
    for start in range(0, total, chunk_size):
        rows = generator.chunk(start, min(start + chunk_size, total))
        written = time.perf_counter()
        counts["talents"] += bulk_insert("registry_talent", TALENT_COLUMNS, rows.talents)
        for name, (table, columns) in CHILD_COLUMNS.items():
            counts[name] += bulk_insert(table, columns, getattr(rows, name))
        write_seconds += time.perf_counter() - written
        done = min(start + chunk_size, total)
        say(
            f"人才 / talents {done:,}/{total:,} ({done * 100 // total}%)  {time.perf_counter() - began:.1f} s"
        )
    _reset_talent_sequence()
    report.counts.update(counts)
    report.timings.update(seal=generator.seal_seconds, write=write_seconds)


def _lock_talents() -> None:
    """Explicit talent ids are handed out from max(id)+1: nobody may insert talents meanwhile."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE registry_talent IN SHARE ROW EXCLUSIVE MODE")


def _reset_talent_sequence() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('registry_talent', 'id'), "
                "COALESCE((SELECT MAX(id) FROM registry_talent), 1))"
            )


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, and on PostgreSQL a visibility map too.

    VACUUM marks the new pages all-visible so counts of a filtered list (region + team over a million
    talents) are index-only scans: 7 ms instead of 170 ms. VACUUM cannot run inside a transaction (as in
    tests); there ANALYZE alone is run.
    """
    tables = [
        "registry_talent",
        *(table for table, _ in CHILD_COLUMNS.values()),
        "registry_enterprise",
        "registry_talentplatform",
    ]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
        elif connection.in_atomic_block:
            cursor.execute("ANALYZE " + ", ".join(tables))
        else:
            cursor.execute("VACUUM (ANALYZE) " + ", ".join(tables))


# --- reset --------------------------------------------------------------------------------------------------

REGISTRY_MODELS: list[type[Model]] = [
    AchievementHolder,
    Achievement,
    PlatformMembership,
    Employment,
    Honour,
    Education,
    Talent,
    StationCooperation,
    Academician,
    TalentPlatform,
    TierDefinition,
    ImportBatch,
    Department,
    Enterprise,
]


def _referencing(model: type[Model]) -> list[tuple[type[Model], str, object]]:
    """(model, column, on_delete) of every foreign key (including hidden ones) that points at `model`."""
    found = []
    for relation in model._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one):
            found.append((relation.related_model, relation.field.column, relation.on_delete))
    return found


def _wipe_set() -> tuple[list[type[Model]], list[tuple[type[Model], str]]]:
    """The registry's models plus everything that cascades from or protects them; SET_NULL columns apart."""
    wipe, frontier, nulled = list(REGISTRY_MODELS), list(REGISTRY_MODELS), []
    while frontier:
        for other, column, on_delete in _referencing(frontier.pop()):
            if other is User or other in wipe:
                continue
            if on_delete is SET_NULL:
                nulled.append((other, column))
                continue
            wipe.append(other)
            frontier.append(other)
    return wipe, [(m, c) for m, c in nulled if m not in wipe]


def _not_truncatable(wipe: list[type[Model]]) -> set[type[Model]]:
    """Models PostgreSQL would refuse to TRUNCATE with the rest: some table outside the truncated set still
    has a foreign key to them (even a SET_NULL one, e.g. a card-verification log pointing at gold cards),
    and so, transitively, whatever those models point at. They are deleted row by row instead."""
    truncatable = set(wipe)
    changed = True
    while changed:
        changed = False
        for model in list(truncatable):
            if any(other not in truncatable for other, _c, _d in _referencing(model)):
                truncatable.discard(model)
                changed = True
    return set(wipe) - truncatable


@transaction.atomic
def wipe_registry() -> dict[str, int]:
    """Delete all registry data, what depends on it, and the demo and enterprise/department accounts.

    PostgreSQL truncates the tables nothing outside the set refers to (a million talents in a second);
    the rest is deleted row by row. Regions, policies and other users stay.
    """
    wipe, nulled = _wipe_set()
    counts = {m._meta.label: m._default_manager.count() for m in wipe}
    outside_refs = _not_truncatable(wipe)
    with connection.cursor() as cursor:
        for model, column in nulled:
            cursor.execute(
                f'UPDATE "{model._meta.db_table}" SET "{column}" = NULL WHERE "{column}" IS NOT NULL'
            )
        truncatable = [m for m in wipe if m not in outside_refs]
        if connection.vendor == "postgresql" and truncatable:
            # TRUNCATE refuses tables with deferred foreign-key checks still pending in this transaction
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(f'"{m._meta.db_table}"' for m in truncatable))
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for model in truncatable:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
    usernames = [username for username, _r, _n in DEMO_ACCOUNTS]
    bound = User.objects.filter(enterprise__isnull=False) | User.objects.filter(department__isnull=False)
    counts["accounts.User"] = (User.objects.filter(username__in=usernames) | bound).count()
    (User.objects.filter(username__in=usernames) | bound).delete()
    with connection.cursor() as cursor:
        for model in wipe:
            if model in outside_refs:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
    audit.record(
        actor=None, action="registry.demo_reset", object_type="registry", region_code=d.CITY, detail=counts
    )
    return counts
