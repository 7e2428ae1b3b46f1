"""Demo target responsibility (`rencai demo_targets`): the 2017 sheets of the city, the six counties and the
demo departments walked through the whole year and locked, with the circular to the county secretaries and
organization heads; and this year's sheets issued, agreed and (for most) checked at mid-year, their
indicators measured live from the registry.

Everything is made THROUGH THE SERVICES, acting as the demo accounts (the city for setting and scoring, each
unit's own account for agreeing and self-assessing), so the data is consistent and audited. Baselines are
measured from the registry at the end of the year before; targets ask for growth on them. Idempotent: a
second run finds the 2017 sheets and changes nothing.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import Role, User
from rencai.accounts.two_factor import enrol_demo_authenticators
from rencai.coordination import circulars, scoring
from rencai.coordination.models import Circular, LeaderPost, Section, TargetItem, TargetSheet
from rencai.coordination.services import targets as services
from rencai.core.models import Region, RegionLevel
from rencai.registry import demo_data as d
from rencai.registry.demo import DEMO_PASSWORD, DemoRefused, demo_present
from rencai.registry.models import Department

PAST_YEAR = 2017
SEED = 2017
# The city's own departments under assessment, and Jiangshan's HRSS bureau (the `hrss` demo login)
CITY_DEPARTMENTS = ("hrss", "science", "education", "economy")
# (indicator code, title, points, growth asked of the baseline: a factor for counts — each unit is asked
# for a little more or less, drawn between the two bounds — or percentage points for shares)
INDICATORS = [
    ("talents_total", "人才总量增长", Decimal("20"), ("factor", (1.10, 1.30))),
    ("team_high_skill", "高技能人才总量增长", Decimal("15"), ("factor", (1.12, 1.35))),
    ("team_enterprise_mgmt_share", "企业经营管理人才占比提升", Decimal("15"), ("plus", (0.2, 0.5))),
]
DEPARTMENT_INDICATORS = [INDICATORS[0]]  # a department answers for the whole region's talent total
WORK = [  # title, points, requirement
    ("一把手抓第一资源：党委（党组）专题研究人才工作", Decimal("15"), "全年专题研究不少于2次，书记亲自部署"),
    ("建成运行人才驿站和人才之家", Decimal("20"), "年内建成并投入运行，服务人才不少于200人次"),
    ("梳理人才工作薄弱点、突破点、创新点", Decimal("15"), "形成清单并逐项推进，年底报送成效"),
]
DEPARTMENT_WORK = [
    ("落实部门人才工作职责清单", Decimal("40"), "职责清单事项按期办结率100%"),
    ("人才政策兑现提速", Decimal("40"), "人才政策兑现平均办理时限压缩20%"),
]
# demo logins made here: the four county organization departments the registry demo has none for, the
# units' officers of the city's departments, and each county's party secretary
COUNTY_LOGINS = {
    d.KECHENG: "kecheng",
    d.QUJIANG: "qujiang",
    d.CHANGSHAN: "changshan",
    d.KAIHUA: "kaihua",
    d.LONGYOU: "longyou",
    d.JIANGSHAN: "jiangshan",
}


@dataclass
class TargetsDemoReport:
    created: bool = False
    past: dict[str, str] = field(default_factory=dict)  # unit -> total
    current: dict[str, str] = field(default_factory=dict)  # unit -> state
    circular: str = ""
    told: int = 0
    logins: list[str] = field(default_factory=list)


def describe_demo() -> TargetsDemoReport:
    report = TargetsDemoReport()
    for sheet in TargetSheet.objects.filter(year=PAST_YEAR).select_related("region", "department"):
        report.past[sheet.unit_name] = str(sheet.total)
    year = timezone.localdate().year
    for sheet in TargetSheet.objects.filter(year=year).select_related("region", "department"):
        report.current[sheet.unit_name] = sheet.get_state_display()
    circular = Circular.objects.filter(year=PAST_YEAR).first()
    report.circular = circular.title if circular else ""
    return report


def load_demo_targets(today: dt.date | None = None) -> TargetsDemoReport:
    today = today or timezone.localdate()
    if not demo_present():
        raise DemoRefused("没有演示名录：请先运行 rencai demo", "No demo registry: run `rencai demo` first")
    if TargetSheet.objects.filter(year=PAST_YEAR).exists():
        return describe_demo()
    from rencai.analytics.standard import seed_standard_set

    seed_standard_set()  # the indicators the sheets measure (the analytics migration normally made them)
    city = User.objects.filter(username="city", role=Role.CITY_ORG_DEPT).first()
    if city is None:
        raise DemoRefused(
            "没有市委组织部演示账号：请先运行 rencai demo", "No city demo login: run `rencai demo`"
        )
    rng = random.Random(SEED)
    with transaction.atomic():
        units, logins = _units_and_logins(city)
        for unit in units:
            _past_year(city, unit, rng)
        report = describe_demo()
        circular = Circular.objects.get(year=PAST_YEAR)  # locking the sixth county issued it
        report.told = len(circulars.recipients(circular))
        for unit in units:
            _this_year(city, unit, rng, today)
    report = describe_demo()
    report.created = True
    report.told = len(circulars.recipients(Circular.objects.get(year=PAST_YEAR)))
    report.logins = logins
    return report


@dataclass
class Unit:
    region: Region | None
    department: Department | None
    officer: User  # who agrees and self-assesses


def _login(username: str, role: str, display_name: str, password: str, **placement) -> User:
    user, _created = User.objects.update_or_create(
        username=username,
        defaults={
            "role": role,
            "display_name": display_name,
            "password": password,
            "is_active": True,
            **placement,
        },
    )
    return user


def _units_and_logins(city: User) -> tuple[list[Unit], list[str]]:
    password = make_password(DEMO_PASSWORD)
    made: list[User] = []
    units = []
    for code, username in COUNTY_LOGINS.items():
        region = Region.objects.get(code=code)
        officer = User.objects.filter(username=username).first() or _login(
            username, Role.COUNTY_ORG_DEPT, f"{region.name}委组织部", password, region=region
        )
        secretary = _login(
            f"{username}_shuji", Role.COUNTY_ORG_DEPT, f"{region.name}委书记（演示）", password, region=region
        )
        made += [officer, secretary]
        circulars.leader_appoint(
            actor=city, region=region, post=LeaderPost.SECRETARY, user=secretary, name=f"{region.name}委书记"
        )
        circulars.leader_appoint(
            actor=city,
            region=region,
            post=LeaderPost.ORG_HEAD,
            user=officer,
            name=f"{region.name}委组织部部长",
        )
        units.append(Unit(region=region, department=None, officer=officer))
    city_region = Region.objects.get(code=d.CITY)
    # The city's own sheet: the city sets it for itself; the administrator stands for the city as the
    # assessed unit (the province assesses the city in life; no county or department account may)
    admin = User.objects.filter(username="admin", is_superuser=True).first()
    if admin is not None:
        units.insert(0, Unit(region=city_region, department=None, officer=admin))
    departments = [Department.objects.get(region=city_region, kind=kind) for kind in CITY_DEPARTMENTS]
    departments.append(Department.objects.get(region__code=d.JIANGSHAN, kind="hrss"))
    for department in departments:
        officer = User.objects.filter(role=Role.DEPARTMENT, department=department).first() or _login(
            f"shi_{department.kind}",
            Role.DEPARTMENT,
            department.name,
            password,
            region=department.region,
            department=department,
        )
        made.append(officer)
        circulars.leader_appoint(
            actor=city,
            region=department.region,
            department=department,
            post=LeaderPost.DEPT_HEAD,
            user=officer,
            name=f"{department.name}主要负责人",
        )
        units.append(Unit(region=None, department=department, officer=officer))
    enrol_demo_authenticators(made)
    # the counties last: locking the last county's sheet, with every other sheet of the year locked,
    # issues the circular, which then ranks the departments too
    units.sort(key=lambda unit: unit.region is not None and unit.region.level == RegionLevel.COUNTY)
    return units, sorted({user.username for user in made})


def _target(baseline: Decimal | None, growth: tuple[str, tuple[float, float]], rng: random.Random) -> Decimal:
    base = baseline or Decimal("0")
    how, (low, high) = growth
    amount = Decimal(str(round(rng.uniform(low, high), 2)))
    value = base * amount if how == "factor" else base + amount
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _new_sheet(city: User, unit: Unit, year: int, rng: random.Random) -> TargetSheet:
    sheet = services.sheet_create(actor=city, year=year, region=unit.region, department=unit.department)
    indicators = DEPARTMENT_INDICATORS if unit.department else INDICATORS
    work = DEPARTMENT_WORK if unit.department else WORK
    if unit.department:  # a department's 100: one indicator of 20 and two work items of 40
        indicators = [(code, title, Decimal("20"), growth) for code, title, _points, growth in indicators]
    region = unit.department.region if unit.department else unit.region
    for code, title, points, growth in indicators:
        baseline = scoring.measure(
            TargetItem(indicator_code=code), region=region, day=dt.date(year - 1, 12, 31)
        )
        services.item_add(
            actor=city,
            sheet=sheet,
            section=Section.INDICATORS,
            title=title,
            max_points=points,
            indicator_code=code,
            baseline=baseline or Decimal("0"),
            target_value=_target(baseline, growth, rng),
        )
    for title, points, requirement in work:
        services.item_add(
            actor=city,
            sheet=sheet,
            section=Section.TARGETS,
            title=title,
            max_points=points,
            description=requirement,
        )
    return sheet


def _past_year(city: User, unit: Unit, rng: random.Random) -> None:
    year_end = dt.date(PAST_YEAR, 12, 31)
    sheet = _new_sheet(city, unit, PAST_YEAR, rng)
    services.sheet_issue(actor=city, sheet=sheet, comment="请于1月底前确认")
    services.sheet_agree(actor=unit.officer, sheet=sheet, comment="同意")
    services.sheet_midyear(
        actor=city, sheet=sheet, note="上半年进度基本符合时序要求", today=dt.date(PAST_YEAR, 6, 30)
    )
    for item in sheet.items.filter(section=Section.TARGETS):
        claimed = (item.max_points * Decimal(rng.uniform(0.85, 1))).quantize(Decimal("0.5"))
        services.item_self_assess(
            actor=unit.officer,
            item=item,
            claimed_points=claimed,
            evidence=f"{item.title}：已按要求完成，附工作台账",
        )
    services.sheet_self_assess(actor=unit.officer, sheet=sheet, summary="全面完成年度人才工作目标任务")
    for item in sheet.items.filter(section=Section.TARGETS):
        assert item.claimed_points is not None
        points = max(Decimal("0"), item.claimed_points - Decimal(rng.choice([0, 0, 0.5, 1, 2])))
        services.item_score(actor=city, item=item, points=points, comment="经核实")
    if unit.region is not None and unit.region.code == d.LONGYOU:
        services.item_add(
            actor=city,
            sheet=sheet,
            section=Section.BONUS,
            title="出台县级人才新政",
            max_points="2",
            reason="2017年出台县级人才政策并配套目录",
        )
    if unit.region is not None and unit.region.code == d.CHANGSHAN:
        services.item_add(
            actor=city,
            sheet=sheet,
            section=Section.DEDUCTIONS,
            title="统计报表逾期报送",
            max_points="1",
            reason="两次逾期报送人才统计报表",
        )
    services.sheet_score(actor=city, sheet=sheet, comment="年终考核评分", today=year_end)
    services.sheet_lock(actor=city, sheet=sheet, comment="经市委人才工作领导小组审定")


def _this_year(city: User, unit: Unit, rng: random.Random, today: dt.date) -> None:
    sheet = _new_sheet(city, unit, today.year, rng)
    services.sheet_issue(actor=city, sheet=sheet)
    if unit.region is not None and unit.region.code == d.KAIHUA:
        return  # one county has not agreed yet
    services.sheet_agree(actor=unit.officer, sheet=sheet, comment="同意")
    if today.month >= 7 and unit.department is None:
        services.sheet_midyear(actor=city, sheet=sheet, note="年中检查：请加快重点任务进度", today=today)
