"""The demo work lists (职责清单与工作台账), first secretaries' projects and a consultation on a draft.

For 2017 (the seed's year) and the current year: the lists of the city's and each county's organization
department, human-resources bureau and science bureau, with duties, weak points, breakthroughs and
innovations and work items whose milestones fall on working days (2017's mostly done, a few left overdue);
a first secretary's project in each county; and two rounds of consultation on Jiangshan's draft talent
policy (`policies.demo`), the first answered and closed, the second open. Idempotent: what exists is kept.
Everything goes through the services, so it is audited like an officer's work.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.coordination.models import (
    AnswerOutcome,
    Consultation,
    FocusKind,
    ItemStatus,
    SecretaryProject,
    WorkList,
)
from rencai.coordination.services import consultation as consulting
from rencai.coordination.services import worklists as service
from rencai.core.errors import DomainError, ErrorCode
from rencai.core.models import Region, RegionLevel
from rencai.policies import services as policies
from rencai.policies.models import PolicyVersion, VersionStatus
from rencai.registry.models import Department

KINDS = ("org", "hrss", "science")
DUTIES = {
    "org": [
        "牵头抓总全市（县）人才工作，统筹人才政策制定和督查落实",
        "组织实施目标责任制考核和一把手抓第一资源述职",
    ],
    "hrss": ["负责专业技术人才和高技能人才队伍建设", "落实人才公寓、社保等服务事项“最多跑一次”"],
    "science": ["负责院士专家工作站、博士后工作站等创新平台建设", "组织科技成果转化和企业首席技术官评价"],
}
FOCUS = {
    FocusKind.WEAK_POINT: ("高层次人才总量偏少", "国家级、省级领军人才数量与杭州、宁波差距较大"),
    FocusKind.BREAKTHROUGH: ("人才飞地招引", "在杭州、上海人才飞地引进研发团队"),
    FocusKind.INNOVATION: ("政策兑现免申即享", "依托人才名录主动兑现政策红利"),
}
ITEMS = {
    "org": [("修订人才新政配套办法", "人才科科长"), ("组织人才工作述职评议", "干部科科长")],
    "hrss": [
        ("开展高技能人才专项培训", "职业能力建设科科长"),
        ("人才服务窗口“最多跑一次”改革", "人才服务中心主任"),
    ],
    "science": [("新建院士专家工作站", "平台科科长"), ("举办科技成果对接会", "成果转化科科长")],
}
# (month, day) of each item's two milestones; dates on holidays move to the next working day
MILESTONE_DAYS = [((3, 31), (6, 30)), ((5, 1), (10, 8))]
PROJECTS = ["“一把手”招引高层次人才团队", "建设人才创业园", "打造人才飞地"]


@dataclass
class WorklistDemoReport:
    worklists: int = 0
    items: int = 0
    milestones: int = 0
    projects: int = 0
    consultations: list[str] = field(default_factory=list)


class DemoRefused(DomainError):
    def __init__(self, message_zh: str, message_en: str):
        super().__init__(ErrorCode.DEMO_REFUSED, message_zh, message_en)


def _user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise DemoRefused(
            f"缺少演示账户：{username}（请先运行 rencai demo）",
            f"Demo account missing: {username} (run `rencai demo`)",
        )
    return user


@transaction.atomic
def load_demo_worklists(today: dt.date | None = None) -> WorklistDemoReport:
    today = today or timezone.localdate()
    admin = _user("admin")
    report = WorklistDemoReport()
    keepers = {u.region_id: u for u in User.objects.filter(username__in=["city", "jiangshan", "longyou"])}
    regions = list(Region.objects.exclude(level=RegionLevel.PROVINCE).order_by("path"))
    for year in sorted({2017, today.year}):
        for region in regions:
            for department in Department.objects.filter(region=region, kind__in=KINDS).order_by("kind"):
                _worklist(report, admin, department, year, today, keepers.get(region.pk))
            if region.level == RegionLevel.COUNTY:
                _project(report, admin, region, year, today, keepers.get(region.pk))
    _consultation(report, today)
    return report


def _worklist(report, admin: User, department: Department, year: int, today: dt.date, keeper) -> None:
    if WorkList.objects.filter(department=department, year=year).exists():
        return
    worklist = service.worklist_create(
        actor=admin, department=department, year=year, lead_officer="分管副部长"
    )
    report.worklists += 1
    for text in DUTIES[department.kind]:
        service.duty_add(actor=admin, worklist=worklist, text=text, lead_officer="分管领导")
    for kind, (title, detail) in FOCUS.items():
        service.focus_add(actor=admin, worklist=worklist, kind=kind, title=title, detail=detail)
    owner = keeper if department.kind == "org" else None
    for (title, responsible), days in zip(ITEMS[department.kind], MILESTONE_DAYS, strict=True):
        item = service.work_item_create(
            actor=admin, worklist=worklist, title=title, responsible=responsible, owner=owner or admin
        )
        report.items += 1
        _milestones(report, admin, item, year, days, today)


def _milestones(report, admin: User, tracked, year: int, days, today: dt.date) -> None:
    for number, (month, day) in enumerate(days, start=1):
        asked = dt.date(year, month, day)
        if year == today.year:  # this year: spread around today so the page has something due soon
            asked = today + dt.timedelta(days=(-10 if number == 1 else 20) + tracked.pk % 5)
        milestone = service.milestone_add(
            actor=admin, tracked=tracked, title=f"第{number}阶段目标", due_on=asked, today=today
        )
        report.milestones += 1
        # 2017: done on time, except the second milestone of every third row, left overdue
        if milestone.due_on < today and not (number == 2 and tracked.pk % 3 == 0):
            service.milestone_complete(actor=admin, milestone=milestone, done_on=milestone.due_on)
        service.progress_add(
            actor=admin,
            tracked=tracked,
            text=f"第{number}阶段工作已部署推进",
            evidence="工作例会纪要",
            milestone=milestone,
        )
    if year < today.year and not tracked.milestones.filter(done_on__isnull=True).exists():
        service.tracked_set_status(actor=admin, tracked=tracked, status=ItemStatus.DONE)


def _project(report, admin: User, region: Region, year: int, today: dt.date, keeper) -> None:
    title = f"{region.name}{PROJECTS[region.pk % len(PROJECTS)]}"
    if SecretaryProject.objects.filter(region=region, year=year, title=title).exists():
        return
    project = service.project_create(
        actor=admin,
        region=region,
        year=year,
        title=title,
        leader_name=f"{region.name}委书记",
        description="县（市、区）委书记亲自挂帅，每季度专题研究一次。",
        responsible=f"{region.name}委组织部部长",
        owner=keeper or admin,
    )
    report.projects += 1
    _milestones(report, admin, project, year, MILESTONE_DAYS[0], today)


def _consultation(report, today: dt.date) -> None:
    """Two rounds on Jiangshan's draft: the first with comments answered and closed, then a revised draft
    put out again and still open."""
    version = (
        PolicyVersion.objects.filter(policy__code="jiangshan-new-deal-draft", status=VersionStatus.DRAFT)
        .select_related("policy")
        .first()
    )
    if version is None or Consultation.objects.filter(version=version).exists():
        return
    drafter, hrss, tianpeng = _user("jiangshan"), _user("hrss"), _user("tianpeng")
    departments = list(
        Department.objects.filter(region=version.policy.region, kind__in=["hrss", "science", "finance"])
    )
    enterprises = [tianpeng.enterprise] if tianpeng.enterprise is not None else []
    first = consulting.consultation_open(
        actor=drafter,
        version=version,
        deadline=today + dt.timedelta(days=14),
        today=today,
        departments=departments,
        enterprises=enterprises,
    )
    answers = [
        (
            hrss,
            "金额规则",
            "博士补贴标准建议与柯城区持平，提高至25万元。",
            AnswerOutcome.PARTLY,
            "提高至22万元，与财力相适应。",
        ),
        (
            hrss,
            "资格规则",
            "年龄上限50周岁偏高，建议45周岁。",
            AnswerOutcome.NOT_ADOPTED,
            "为吸引成熟人才，保留50周岁。",
        ),
        (tianpeng, "", "建议将企业柔性引进的人才纳入适用范围。", AnswerOutcome.ADOPTED, ""),
    ]
    for author, clause, body, outcome, reason in answers:
        comment = consulting.comment_add(
            actor=author, consultation=first, body=body, clause=clause, today=today
        )
        consulting.comment_answer(actor=drafter, comment=comment, outcome=outcome, reason=reason)
    consulting.consultation_close(actor=drafter, consultation=first)
    policies.update_draft(
        actor=drafter,
        version=version,
        eligibility_rule=version.eligibility_rule,
        amount_rule='talent.degree == "doctor" ? 220000 : 50000',
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        note="根据第一轮征求意见修改：提高博士补贴标准。",
    )
    second = consulting.consultation_open(
        actor=drafter,
        version=version,
        deadline=today + dt.timedelta(days=10),
        today=today,
        departments=departments,
        enterprises=enterprises,
    )
    consulting.comment_add(
        actor=tianpeng, consultation=second, body="修改后的标准企业表示支持。", today=today
    )
    report.consultations = [f"{version.policy.name} 第{c.round_number}轮" for c in (first, second)]
