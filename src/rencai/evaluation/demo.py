"""Demo evaluation for Quzhou (`rencai demo_evaluation`): schemes, an expert pool of about 300, talent-
recognition and CTO rounds with cases in every state, a few real conflicts of interest.

Everything is made THROUGH THE SERVICES, acting as the demo accounts, so the data is consistent and
audited. Dates are real: a stage that must be over (a deadline, a notice period) is replayed on the working
day it happened, counted back from today on the calendar (`as_of`), in a round opened months ago; nothing
writes a date onto a row by hand. Idempotent: a second run finds the demo schemes and changes nothing.
"""

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import Role, User
from rencai.accounts.two_factor import enrol_demo_authenticators
from rencai.core.calendar import add_working_days_or_estimate
from rencai.core.models import Region
from rencai.core.validators import id_check_char
from rencai.evaluation.choices import (
    CaseState,
    EvaluatorKind,
    IndicatorSource,
    ObjectionPoint,
    Purpose,
    SeatStatus,
)
from rencai.evaluation.conflicts import conflicts_for_case
from rencai.evaluation.models import Case, CtoAppointment, Expert, Objection, Panel, Round, Scheme, Seat
from rencai.evaluation.services import cases as case_services
from rencai.evaluation.services import cto, experts, integrity, notices, outcomes, panels, rounds, works
from rencai.evaluation.services.schemes import IndicatorInput, SchemeInput, scheme_draft_save
from rencai.registry import demo_data as d
from rencai.registry.choices import Industry
from rencai.registry.demo import DEMO_PASSWORD, DEMO_SEED, DemoRefused, demo_present
from rencai.registry.models import AchievementHolder, Enterprise, PlatformMembership, Talent, TalentPlatform

RECOGNITION_CODE = "qz-talent-recognition"
CTO_CODE = "qz-chief-tech-officer"
ANNUAL_CODE = "qz-staged-annual"
EXPERT_COUNT = 300
# The fields of the cases that reach a panel: the experts with demo logins review them, so that their
# panels can score (an expert scores through their own login)
PANEL_FIELDS = (Industry.CHEMICALS, Industry.ELECTRONICS)

# Enterprises that apply for their employees, confirm as employer and nominate CTOs (天蓬 is `tianpeng`)
ENTERPRISE_ACCOUNTS = [  # username, enterprise, display name
    ("fugui", "衢州氟硅新材料股份有限公司", "衢州氟硅新材料（用人单位）"),
    ("liyuan", "衢州锂源新能源材料有限公司", "衢州锂源新能源（用人单位）"),
    ("huaneng", "江山华能电气设备有限公司", "江山华能电气（用人单位）"),
    ("hengshun", "龙游恒顺特种纸业股份有限公司", "龙游恒顺特种纸业（用人单位）"),
]
# The demo `reviewer` and eleven more experts sign in; the other experts of the pool have no login here
EXPERT_LOGINS = ["reviewer", *(f"zhuanjia{n:02d}" for n in range(1, 12))]
OFFICER_OF_COUNTY = {d.JIANGSHAN: "jiangshan", d.LONGYOU: "longyou"}  # other counties: the city reviews

GOVERNMENT_BODIES = [
    "衢州市科学技术局",
    "衢州市经济和信息化局",
    "衢州市人力资源和社会保障局",
    "衢州市农业农村局",
    "衢州市市场监督管理局",
    "衢州市发展和改革委员会",
    "衢州市文化广电旅游局",
    "衢州市住房和城乡建设局",
]
PROFESSIONAL_BODIES = [
    "衢州学院",
    "浙江大学衢州研究院",
    "衢州职业技术学院",
    "浙江工业大学衢州研究院",
    "中国计量大学",
    "浙江省化工研究院",
    "电子科技大学长三角研究院（衢州）",
    "衢州市科学技术协会",
    "衢州市农业科学研究院",
    "浙江省建筑设计研究院",
]
TITLES = {
    EvaluatorKind.GOVERNMENT: ["二级调研员", "高级工程师", "正高级经济师", "科长"],
    EvaluatorKind.MARKET: ["总工程师", "技术总监", "研发中心主任", "正高级工程师", "高级工程师"],
    EvaluatorKind.PROFESSIONAL_BODY: ["教授", "研究员", "副教授", "副研究员", "正高级工程师"],
}

RECOGNITION_INDICATORS = [
    IndicatorInput(
        "ip",
        "知识产权创造与应用",
        IndicatorSource.COMPUTED,
        12,
        rule="talent.patents_granted * 30 + talent.patents_applied * 10 + talent.standards * 20",
    ),
    IndicatorInput(
        "transfer",
        "科技成果转化",
        IndicatorSource.COMPUTED,
        9,
        rule="talent.tech_transfers * 30 + talent.transfer_income_3y / 20000 + talent.new_products * 20",
    ),
    IndicatorInput(
        "platform",
        "创新平台与项目贡献",
        IndicatorSource.COMPUTED,
        9,
        rule="size(talent.platform_kinds) * 40 + talent.projects * 20 + talent.awards * 20",
    ),
    IndicatorInput(
        "innovation",
        "创新能力与实绩贡献",
        IndicatorSource.SCORED,
        40,
        rubric="代表作的创新水平、解决关键技术问题的实绩（0–100分）",
    ),
    IndicatorInput(
        "impact", "行业影响与团队建设", IndicatorSource.SCORED, 20, rubric="行业认可度、带动团队和产业的作用"
    ),
    IndicatorInput(
        "potential", "发展潜力", IndicatorSource.SCORED, 10, rubric="未来三年在衢创新创业的预期贡献"
    ),
]
CTO_INDICATORS = [
    IndicatorInput(
        "results",
        "成果转化与知识产权",
        IndicatorSource.COMPUTED,
        30,
        rule="talent.patents_granted * 25 + talent.tech_transfers * 25 + talent.new_products * 25",
    ),
    IndicatorInput("technology", "技术创新能力", IndicatorSource.SCORED, 40, rubric="主持研发的技术水平"),
    IndicatorInput(
        "contribution", "对企业的技术贡献", IndicatorSource.SCORED, 30, rubric="新产品、新工艺的效益"
    ),
]
ANNUAL_INDICATORS = [
    IndicatorInput(
        "output",
        "年度成果产出",
        IndicatorSource.COMPUTED,
        40,
        rule="talent.patents_applied * 20 + talent.projects * 30 + talent.new_products * 30",
    ),
    IndicatorInput("goals", "年度目标完成情况", IndicatorSource.SCORED, 60, rubric="对照引进协议的年度目标"),
]


# -- the clock ----------------------------------------------------------------------------------------------


@contextmanager
def as_of(day: dt.date) -> Iterator[None]:
    """Run the services as on `day`: every service asks `django.utils.timezone.localdate()` for today, so a
    past stage replayed here is counted by the services themselves (deadlines, notice periods, the
    conflict window). Only the date moves: timestamps (`timezone.now`) stay the true time of writing."""
    real = timezone.localdate

    def localdate(*args: Any, **kwargs: Any) -> dt.date:
        return real(*args, **kwargs) if args or kwargs.get("value") is not None else day

    timezone.localdate = localdate
    try:
        yield
    finally:
        timezone.localdate = real


# -- the report ---------------------------------------------------------------------------------------------


@dataclass
class EvaluationDemoReport:
    created: bool
    schemes: int = 0
    experts: int = 0
    logins: list[str] = field(default_factory=list)
    # round name -> {case state: count}
    rounds: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # expert name -> conflict kinds
    reviewer_cases: int = 0
    appointments: list[str] = field(default_factory=list)  # certificate numbers


def describe_demo() -> EvaluationDemoReport:
    """What the demo holds now (after a run, or instead of a second one)."""
    report = EvaluationDemoReport(created=False)
    report.schemes = Scheme.objects.filter(code__in=[RECOGNITION_CODE, CTO_CODE, ANNUAL_CODE]).count()
    report.experts = Expert.objects.count()
    report.logins = sorted(
        Expert.objects.filter(account__isnull=False).values_list("account__username", flat=True)
    )
    for round_ in Round.objects.order_by("opens_on", "pk"):
        states = Counter(round_.cases.values_list("state", flat=True))
        report.rounds[round_.name] = {state: states[state] for state in CaseState.values if states[state]}
    for panel in Panel.objects.order_by("pk"):
        names = dict(
            Expert.objects.filter(pk__in=[int(pk) for pk in panel.draw["excluded"]]).values_list("pk", "name")
        )
        for pk, kinds in panel.draw["excluded"].items():
            report.conflicts[names[int(pk)]] = kinds
    report.reviewer_cases = Seat.objects.filter(
        expert__account__username="reviewer", status=SeatStatus.ACTIVE
    ).count()
    report.appointments = list(
        CtoAppointment.objects.order_by("pk").values_list("certificate_number", flat=True)
    )
    return report


def load_demo_evaluation() -> EvaluationDemoReport:
    """Build the demo evaluation once (needs `rencai demo`); a second run changes nothing."""
    if not demo_present():
        raise DemoRefused(
            "人才库尚无演示数据，请先运行 rencai demo（及 rencai demo_policies）",
            "The registry demo is missing: run `rencai demo` (and `rencai demo_policies`) first",
        )
    if Scheme.objects.filter(code=RECOGNITION_CODE).exists():
        return describe_demo()
    with transaction.atomic():
        EvaluationDemo(timezone.localdate()).build()
    report = describe_demo()
    report.created = True
    return report


# -- building -----------------------------------------------------------------------------------------------


class EvaluationDemo:
    """One run of the demo: the accounts, the schemes, the pool, then each round's story."""

    def __init__(self, today: dt.date):
        self.today = today
        self.rng = random.Random(DEMO_SEED + 14)
        self.users: dict[str, User] = {}
        self.regions = {r.code: r for r in Region.objects.all()}
        self.enterprises = {e.name: e for e in Enterprise.objects.all()}
        self.employer_user: dict[int | None, User] = {}
        self.login_experts: set[int] = set()
        self.reviewer_expert: Expert | None = None
        self.used: Counter[int] = Counter()
        self.objectors = 0

    def day(self, working_days: int) -> dt.date:
        """`working_days` working days from today (negative: back), on the calendar."""
        return add_working_days_or_estimate(self.today, working_days).day

    def build(self) -> None:
        self.accounts()
        self.recognition, self.cto_scheme = self.schemes()
        self.pool()
        self.decided_round()
        self.reviewing_round()
        self.taking_applications()
        self.cto_rounds()

    # -- accounts, schemes, experts --------------------------------------------------------------------

    def accounts(self) -> None:
        """The demo officers, and enterprise and expert logins with the demo password (hashed once)."""
        wanted = ["city", "jiangshan", "longyou", "tianpeng", "talent", "reviewer"]
        self.users = {u.username: u for u in User.objects.filter(username__in=wanted)}
        missing = sorted(set(wanted) - set(self.users))
        if missing:
            raise DemoRefused(
                f"缺少演示账户：{'、'.join(missing)}（请先运行 rencai demo）",
                f"Demo accounts missing: {', '.join(missing)} (run `rencai demo` first)",
            )
        password = make_password(DEMO_PASSWORD)
        for username, name, display in ENTERPRISE_ACCOUNTS:
            enterprise = self.enterprises[name]
            self.users[username], _ = User.objects.update_or_create(
                username=username,
                defaults={"role": Role.ENTERPRISE, "enterprise": enterprise, "display_name": display},
            )
            User.objects.filter(pk=self.users[username].pk).update(password=password, is_active=True)
        for username in EXPERT_LOGINS[1:]:
            self.users[username], _ = User.objects.update_or_create(
                username=username, defaults={"role": Role.REVIEWER, "password": password, "is_active": True}
            )
        self.employer_user = {
            user.enterprise_id: user for user in self.users.values() if user.enterprise_id is not None
        }
        enrol_demo_authenticators([self.users[u] for u in EXPERT_LOGINS])

    def schemes(self) -> tuple[Scheme, Scheme]:
        city, actor = self.regions[d.CITY], self.users["city"]
        starts = dt.date(self.day(-90).year, 1, 1)

        def publish(code, name, purpose, indicators, weights, **fields) -> Scheme:
            data = SchemeInput(
                code=code, name=name, region=city, purpose=purpose, effective_from=starts, **fields
            )
            return scheme_draft_save(
                actor=actor, data=data, indicators=indicators, weights=weights, publish=True
            )

        recognition = publish(
            RECOGNITION_CODE,
            "衢州市人才认定评价方案（以实绩论英雄）",
            Purpose.RECOGNITION,
            RECOGNITION_INDICATORS,
            {"government": 30, "market": 30, "professional_body": 25, "employer": 15},
            tier_thresholds={"B": Decimal(92), "C": Decimal(85), "D": Decimal(75), "E": Decimal(60)},
            description="克服唯学历、唯资历、唯论文：按知识产权、成果转化和创新平台贡献计算，专家按代表作评分。",
        )
        cto_scheme = publish(
            CTO_CODE,
            "衢州市企业首席技术官评价方案",
            Purpose.CHIEF_TECH_OFFICER,
            CTO_INDICATORS,
            {"government": 30, "market": 40, "professional_body": 30},
            pass_score=Decimal(70),
            description="企业推荐、县级初审、专家评审、公示后认定，任期三年，每年考核。",
        )
        publish(
            ANNUAL_CODE,
            "衢州市人才政策分期兑现年度考核方案",
            Purpose.ANNUAL,
            ANNUAL_INDICATORS,
            {"government": 40, "market": 30, "employer": 30},
            description="阶段性评价：政策红利分期兑现，每期以当年考核通过为条件。",
        )
        return recognition, cto_scheme

    def pool(self) -> None:
        """About 300 experts across the fields and evaluator kinds, twelve of them with logins."""
        actor, rng = self.users["city"], self.rng
        kinds = (
            [EvaluatorKind.MARKET] * 4
            + [EvaluatorKind.PROFESSIONAL_BODY] * 4
            + [EvaluatorKind.GOVERNMENT] * 2
        )
        fields = list(Industry.values)
        outside = [e for e in self.enterprises.values() if e.pk not in self.employer_user]
        counties = [code for code in d.COUNTIES if code in self.regions]
        for n in range(EXPERT_COUNT - 8):  # and eight in conflict, added with the round they conflict with
            kind = kinds[n % len(kinds)]
            login = EXPERT_LOGINS[n] if n < len(EXPERT_LOGINS) else ""
            chosen: list[str] = [*PANEL_FIELDS, Industry.EQUIPMENT] if login else [fields[n % len(fields)]]
            if not login and rng.random() < 0.35:
                chosen.append(rng.choice(fields))
            employer = rng.choice([e for e in outside if e.industry in chosen] or outside)
            employer_name = {
                EvaluatorKind.MARKET: employer.name,
                EvaluatorKind.PROFESSIONAL_BODY: rng.choice(PROFESSIONAL_BODIES),
                EvaluatorKind.GOVERNMENT: rng.choice(GOVERNMENT_BODIES),
            }[kind]
            region = self.regions[d.CITY] if rng.random() < 0.8 else self.regions[rng.choice(counties)]
            expert = experts.expert_create(
                actor=actor,
                data=experts.ExpertInput(
                    name=self.person_name(),
                    region_id=region.pk,
                    evaluator_kind=kind,
                    employer_name=employer_name,
                    employer_id=employer.pk if kind == EvaluatorKind.MARKET else None,
                    title=rng.choice(TITLES[kind]),
                    fields=tuple(dict.fromkeys(chosen)),
                ),
            )
            if login:
                experts.expert_link_account(actor=actor, expert=expert, username=login)
                self.login_experts.add(expert.pk)
                if login == "reviewer":
                    self.reviewer_expert = expert

    def person_name(self) -> str:
        given = d.GIVEN_MALE if self.rng.random() < 0.6 else d.GIVEN_FEMALE
        surname = self.rng.choices([s for s, _ in d.SURNAMES], weights=[w for _, w in d.SURNAMES])[0]
        return surname + "".join(self.rng.choice(given) for _ in range(self.rng.choice((1, 2))))

    def conflicted_experts(self, candidates: list[Talent], field_name: str) -> None:
        """Four experts of `field_name`, each in a real conflict with one of `candidates` (computed from the
        registry, or declared): the candidate's employer, a platform, a shared achievement, a relation."""
        actor = self.users["city"]
        first, second, third, fourth = (candidates * 4)[:4]
        city = self.regions[d.CITY].pk

        def add(name: str, **links: Any) -> Expert:
            data = experts.ExpertInput(
                name=name,
                region_id=city,
                evaluator_kind=links.pop("kind", EvaluatorKind.MARKET),
                employer_name=links.pop("employer_name", ""),
                title="高级工程师",
                fields=(field_name,),
                **links,
            )
            return experts.expert_create(actor=actor, data=data)

        employer = first.current_employer
        assert employer is not None  # candidates are employees of the enterprises with logins
        add(self.person_name(), employer_id=employer.pk, employer_name=employer.name)
        platform = self.platform_of(second)
        if platform is not None:
            add(
                self.person_name(),
                kind=EvaluatorKind.PROFESSIONAL_BODY,
                employer_name=platform.host_institution or "浙江大学衢州研究院",
                platform_ids=(platform.pk,),
            )
        colleague = self.coauthor_for(third)
        add(
            colleague.name,
            kind=EvaluatorKind.PROFESSIONAL_BODY,
            employer_name="衢州学院",
            talent_id=colleague.pk,
        )
        add(
            self.person_name(),
            kind=EvaluatorKind.GOVERNMENT,
            employer_name=GOVERNMENT_BODIES[0],
            relations=(experts.RelationInput(fourth.pk, "申报人的博士生导师"),),
        )

    def platform_of(self, talent: Talent) -> TalentPlatform | None:
        member = PlatformMembership.objects.filter(talent=talent).select_related("platform").first()
        if member is not None:
            return member.platform
        return (
            TalentPlatform.objects.filter(host_enterprise_id=talent.current_employer_id)
            .order_by("pk")
            .first()
        )

    def coauthor_for(self, candidate: Talent) -> Talent:
        """A registry talent of another employer who holds an achievement together with `candidate`: an
        existing shared one if the registry has it, otherwise a joint patent recorded now by the city."""
        from rencai.registry.achievements import AchievementInput, achievement_create

        theirs = AchievementHolder.objects.filter(achievement__holders__talent=candidate).exclude(
            talent=candidate
        )
        for holding in theirs.select_related("talent"):
            if holding.talent.current_employer_id != candidate.current_employer_id and not hasattr(
                holding.talent, "expert"
            ):
                return holding.talent
        colleague = (
            Talent.objects.filter(status="active", expert__isnull=True, tier__in=["B", "C"])
            .exclude(current_employer_id__in=[candidate.current_employer_id, *self.employer_user])
            .exclude(pk__in=list(self.used))
            .order_by("pk")
            .first()
        )
        assert colleague is not None  # the registry demo has dozens of B and C talents
        achievement_create(
            actor=self.users["city"],
            data=AchievementInput(
                kind="patent_granted",
                title="一种高纯电子级化学品的提纯装置",
                achieved_on=self.day(-300),
                holders=[str(candidate.pk), str(colleague.pk)],
                reference=f"ZL2025DEMO{candidate.pk:06d}",
            ),
        )
        return colleague

    # -- candidates -------------------------------------------------------------------------------------

    def candidates(self, count: int, *, region: str = "", avoid: set[int] | None = None) -> list[Talent]:
        """`count` employees of the enterprises with logins (spread over them, the least used first)."""
        queryset = Talent.objects.filter(
            current_employer_id__in=list(self.employer_user), status="active", account__isnull=True
        ).select_related("current_employer", "region")
        if region:
            queryset = queryset.filter(region__code=region)
        avoid = avoid or set()
        talents = sorted(
            queryset.exclude(pk__in=avoid), key=lambda t: (self.used[t.pk], t.current_employer_id, t.pk)
        )
        by_employer: dict[int | None, list[Talent]] = {}
        for talent in talents:
            by_employer.setdefault(talent.current_employer_id, []).append(talent)
        spread: list[Talent] = []
        while len(spread) < count and any(by_employer.values()):
            for queue in by_employer.values():
                if queue and len(spread) < count:
                    spread.append(queue.pop(0))
        if len(spread) < count:
            raise DemoRefused(
                "人才库演示数据太少，无法生成评价演示（请用更多人才重新运行 rencai demo）",
                "Too few demo talents for the evaluation demo (rerun `rencai demo` with more talents)",
            )
        self.used.update(t.pk for t in spread)
        return spread

    def officer_for(self, case: Case) -> User:
        return self.users[OFFICER_OF_COUNTY.get(case.region.code, "city")]

    # -- the stages, as the people do them ---------------------------------------------------------------

    def apply(self, round_: Round, talent: Talent, field_name: str, *, submit: bool = True) -> Case:
        actor = self.users["talent"] if talent.account_id else self.employer_user[talent.current_employer_id]
        case = case_services.case_apply(
            actor=actor,
            round=round_,
            talent=talent,
            field=field_name,
            summary=f"{talent.name}近三年主持关键技术攻关，成果已在企业转化应用，带动新增产值。",
            submit=submit,
        )
        held = list(AchievementHolder.objects.filter(talent=talent).order_by("achievement_id")[:2])
        if held:
            works.case_works_set(
                actor=actor,
                case=case,
                choices=[(h.achievement_id, "本人为主要完成人，负责核心技术方案。") for h in held],
            )
        return case

    def confirm(self, case: Case, level: int) -> None:
        scored = case.round.scheme.indicators.filter(source=IndicatorSource.SCORED)
        scores = {code: Decimal(min(100, level + 2)) for code in scored.values_list("code", flat=True)}
        employer = self.employer_user[case.enterprise_id] if case.enterprise_id else None
        if employer is not None:
            case_services.case_confirm(actor=employer, case=case, employer_scores=scores)

    def first_review(self, case: Case, *, passed: bool = True, comment: str = "") -> None:
        case_services.case_first_review(
            actor=self.officer_for(case), case=case, passed=passed, comment=comment
        )

    def draw(self, case: Case, *, scorers: int, reviewer: bool | None = None) -> Panel:
        """Draw the panel through the service, with a seed (the service takes one and records it) under which
        at least `scorers` members have demo logins, and the demo reviewer sits on it or not as asked."""
        pool = list(
            Expert.objects.filter(active=True, fields__field=case.field)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        excluded = {str(pk): kinds for pk, kinds in conflicts_for_case(case, experts=pool).items()}
        size = case.round.panel_size
        assert self.reviewer_expert is not None
        for n in range(100_000):
            seed = f"demo-{case.pk}-{n}"
            members = panels.shuffled(pool, excluded, seed, size)
            enough = sum(pk in self.login_experts for pk in members) >= scorers
            if enough and (reviewer is None or (self.reviewer_expert.pk in members) == reviewer):
                return panels.panel_draw(actor=self.users["city"], case=case, seed=seed)
        raise DemoRefused("无法抽取演示评审组", "No demo panel could be drawn")  # pragma: no cover

    def score(self, case: Case, level: int, *, count: int, skip_reviewer: bool = False) -> int:
        """`count` members with logins score around `level`, each independently."""
        seats = Seat.objects.filter(panel__case=case, status=SeatStatus.ACTIVE, expert__account__isnull=False)
        codes = list(panels.scored_indicators(case).values_list("code", flat=True))
        done = 0
        for seat in seats.select_related("expert__account").order_by("position"):
            if done == count:
                break
            if skip_reviewer and seat.expert.account.username == "reviewer":  # type: ignore[union-attr]
                continue
            points = {code: Decimal(max(0, min(100, level + self.rng.randint(-4, 4)))) for code in codes}
            panels.score_submit(
                actor=seat.expert.account,  # type: ignore[arg-type]
                case=case,
                points=points,
                comments={codes[0]: "代表作创新性强，转化效益明显。"},
            )
            done += 1
        return done

    def through_panel(self, case: Case, level: int, days: tuple[int, int, int], **draw: Any) -> None:
        """First review, draw, every login member scores, close: on the working days `days` (from today)."""
        with as_of(self.day(days[0])):
            self.first_review(case)
            self.draw(case, scorers=4, **draw)
        with as_of(self.day(days[1])):
            self.score(case, level, count=5)
        with as_of(self.day(days[2])):
            panels.panel_close(actor=self.users["city"], case=case)

    def objection(self, notice, case: Case, point: str, statement: str) -> Objection:
        self.objectors += 1
        first17 = f"33080219800101{self.objectors:03d}"
        return notices.objection_submit(
            notice=notice,
            case=case,
            name=self.person_name(),
            id_number=first17 + id_check_char(first17),
            phone=f"1390570{self.objectors:04d}",
            point=point,
            statement=statement,
        )

    def answer(self, objection: Objection, *, upheld: bool, answer: str) -> None:
        actor = objection.assigned_to or self.users["city"]
        notices.objection_answer(actor=actor, objection=objection, upheld=upheld, answer=answer)

    # -- the rounds ----------------------------------------------------------------------------------------

    def new_round(self, scheme: Scheme, name: str, region: str, opened: int, actor: str = "city") -> Round:
        with as_of(self.day(opened)):
            return rounds.round_open(
                actor=self.users[actor],
                scheme=scheme,
                name=name,
                region=self.regions[region],
                opens_on=self.day(opened),
            )

    def decided_round(self) -> None:
        """A round opened about three months ago and decided: recognized (the demo talent among them, her
        tier written to the registry), not recognized (the integrity veto, second review, an upheld
        objection, the employer declining), withdrawn, revoked; then closed."""
        year = self.day(-70).year
        round_ = self.new_round(self.recognition, f"{year}年度衢州市人才认定（第一批）", d.CITY, -70)
        talent = Talent.objects.get(account=self.users["talent"])
        others = self.candidates(8)
        passing = [talent, *others[:3]]  # recognized, and the last of them revoked later
        failing_second, objected, vetoed, withdrawn, declined = others[3:8]
        fields = dict.fromkeys([*passing, failing_second, objected], Industry.CHEMICALS)
        with as_of(self.day(-68)):
            cases = {
                t.pk: self.apply(round_, t, fields.get(t, Industry.EQUIPMENT))
                for t in [*passing, *others[3:]]
            }
        with as_of(self.day(-63)):
            case_services.case_withdraw(
                actor=self.applicant(withdrawn), case=cases[withdrawn.pk], reason="本年度暂不申报"
            )
            case_services.case_decline(
                actor=self.employer_user[declined.current_employer_id],
                case=cases[declined.pk],
                reason="申报业绩中的项目非本单位承担",
            )
        with as_of(self.day(-60)):
            for t in [*passing, failing_second, objected, vetoed]:
                self.confirm(cases[t.pk], 92 if t in passing else 80)
        with as_of(self.day(-50)):
            integrity.finding_record(
                actor=self.users["city"],
                talent=vetoed,
                found_on=self.day(-52),
                source="衢州市科学技术局",
                description="科研项目结题材料弄虚作假，记入科研诚信严重失信行为记录",
            )
        with as_of(self.day(-48)):
            self.first_review(cases[vetoed.pk])  # the finding vetoes whatever the reviewer decides
        for n, t in enumerate([*passing, failing_second, objected]):
            level = 99 if t == talent else (88 if t in passing else 72)
            self.through_panel(cases[t.pk], level, (-46 + n % 2, -40, -35))
        with as_of(self.day(-30)):
            for t in [*passing, objected]:
                case_services.case_second_review(actor=self.users["city"], case=cases[t.pk], passed=True)
            case_services.case_second_review(
                actor=self.users["city"],
                case=cases[failing_second.pk],
                passed=False,
                comment="代表作与申报领域关联不足，综合排名未进入拟认定范围",
            )
        with as_of(self.day(-28)):
            notice = notices.notice_publish(actor=self.users["city"], round=round_)
        with as_of(self.day(-26)):
            upheld = self.objection(
                notice,
                cases[objected.pk],
                ObjectionPoint.ACHIEVEMENT,
                "申报的成果转化收入含其他单位完成的项目，证据见附件合同。",
            )
            dismissed = self.objection(
                notice,
                cases[passing[1].pk],
                ObjectionPoint.ELIGIBILITY,
                "申报人入职未满一年，不符合申报条件。",
            )
        with as_of(self.day(-24)):
            self.answer(upheld, upheld=True, answer="经核查，部分转化收入属其他单位，异议成立，不予认定。")
            self.answer(
                dismissed, upheld=False, answer="经核查社保和劳动合同，申报人入职已满三年，异议不成立。"
            )
        with as_of(notice.ends_on + dt.timedelta(days=1)):
            notices.round_decide(actor=self.users["city"], round=round_)
        with as_of(self.day(-10)):
            outcomes.case_revoke(
                actor=self.users["city"],
                case=cases[passing[-1].pk],
                reason="经举报核查，代表作权属存在争议，撤销认定",
            )
            rounds.round_close(actor=self.users["city"], round=round_)

    def applicant(self, talent: Talent) -> User:
        return self.users["talent"] if talent.account_id else self.employer_user[talent.current_employer_id]

    def reviewing_round(self) -> None:
        """A round under review today: first passed, with panels still scoring (the demo reviewer has not
        scored yet), scored, passed second review, and on public notice now with an objection open and one
        answered. Four experts in conflict with its candidates are excluded from their panels."""
        year = self.day(-20).year
        round_ = self.new_round(self.recognition, f"{year}年度衢州市人才认定（第二批）", d.CITY, -20)
        talents = self.candidates(8)
        on_notice, scoring, scored, second, first = (
            talents[:3],
            talents[3:5],
            talents[5],
            talents[6],
            talents[7],
        )
        self.conflicted_experts(scoring, Industry.ELECTRONICS)
        self.conflicted_experts(on_notice, Industry.CHEMICALS)
        fields = {t.pk: Industry.ELECTRONICS if t in scoring else Industry.CHEMICALS for t in talents}
        with as_of(self.day(-19)):
            cases = {t.pk: self.apply(round_, t, fields[t.pk]) for t in talents}
        with as_of(self.day(-16)):
            for t in talents:
                self.confirm(cases[t.pk], 88)
        for t in on_notice:
            self.through_panel(cases[t.pk], 86, (-12, -9, -7), reviewer=t is on_notice[0] or None)
        with as_of(self.day(-6)):
            for t in on_notice:
                case_services.case_second_review(actor=self.users["city"], case=cases[t.pk], passed=True)
        with as_of(self.day(-2)):
            notice = notices.notice_publish(actor=self.users["city"], round=round_)
        with as_of(self.day(-1)):
            answered = self.objection(
                notice, cases[on_notice[0].pk], ObjectionPoint.ACHIEVEMENT, "代表作专利的第一发明人另有其人。"
            )
            self.objection(
                notice,
                cases[on_notice[1].pk],
                ObjectionPoint.INTEGRITY,
                "申报人曾在原单位有学术不端记录，请核查。",
            )
        self.answer(answered, upheld=False, answer="经核查专利证书，申报人为第一发明人，异议不成立。")
        self.through_panel(cases[scored.pk], 84, (-8, -5, -3))
        self.through_panel(cases[second.pk], 90, (-8, -5, -3))
        case_services.case_second_review(actor=self.users["city"], case=cases[second.pk], passed=True)
        with as_of(self.day(-5)):
            self.first_review(cases[first.pk])
            for t in scoring:
                self.first_review(cases[t.pk])
                self.draw(cases[t.pk], scorers=4, reviewer=True)
        with as_of(self.day(-2)):
            for t in scoring:
                self.score(cases[t.pk], 85, count=3, skip_reviewer=True)

    def taking_applications(self) -> None:
        """Jiangshan's own round on the city's scheme, taking applications now: a draft, one awaiting the
        employer, one returned with its one correction notice, one confirmed, one withdrawn."""
        year = self.day(-3).year
        round_ = self.new_round(
            self.recognition, f"{year}年度江山市人才认定（第一批）", d.JIANGSHAN, -3, actor="jiangshan"
        )
        draft, waiting, returned, confirmed, withdrawn = self.candidates(5, region=d.JIANGSHAN)
        with as_of(self.day(-2)):
            self.apply(round_, draft, Industry.AGRICULTURE, submit=False)
            cases = {
                t.pk: self.apply(round_, t, Industry.EQUIPMENT)
                for t in (waiting, returned, confirmed, withdrawn)
            }
        with as_of(self.day(-1)):
            for t in (returned, confirmed):
                self.confirm(cases[t.pk], 85)
            case_services.case_return(
                actor=self.users["jiangshan"],
                case=cases[returned.pk],
                items=[
                    "请补充近三年成果转化收入的合同和到账凭证",
                    "代表作专利证书复印件不清晰，请重新上传",
                    "请提供用人单位出具的任职证明",
                ],
            )
        case_services.case_withdraw(
            actor=self.applicant(withdrawn), case=cases[withdrawn.pk], reason="材料未备齐"
        )

    def cto_candidate(self, enterprise: Enterprise, day: dt.date) -> Talent:
        """An employee of `enterprise` for well over the twelve months the registry must show."""
        talents = Talent.objects.filter(
            current_employer=enterprise,
            status="active",
            account__isnull=True,
            employments__enterprise=enterprise,
            employments__ended_on__isnull=True,
            employments__started_on__lte=day - dt.timedelta(days=400),
        ).distinct()
        chosen = min(talents, key=lambda t: (self.used[t.pk], t.pk), default=None)
        if chosen is None:
            raise DemoRefused(
                f"{enterprise.name}没有符合首席技术官条件的演示人才",
                f"No demo employee of {enterprise.name} meets the CTO rules",
            )
        self.used[chosen.pk] += 1
        return chosen

    def nominate(self, round_: Round, username: str, day: dt.date) -> Case:
        user = self.users[username]
        enterprise = user.enterprise
        assert enterprise is not None
        talent = self.cto_candidate(enterprise, day)
        return cto.cto_nominate(
            actor=user,
            round=round_,
            talent=talent,
            summary=f"{talent.name}主持{enterprise.name}核心产品研发，牵头建设企业研发中心。",
        )

    def cto_rounds(self) -> None:
        """A CTO round decided (one appointed with a certificate, one failed first review, one withdrawn) and
        one taking nominations now (two awaiting first review, one returned for correction)."""
        city = self.users["city"]
        year = self.day(-70).year
        decided = self.new_round(
            self.cto_scheme, f"{year}年度衢州市企业首席技术官评价（第一批）", d.CITY, -70
        )
        with as_of(self.day(-68)):
            appointed = self.nominate(decided, "fugui", self.day(-68))
            failed = self.nominate(decided, "huaneng", self.day(-68))
            withdrawn = self.nominate(decided, "hengshun", self.day(-68))
        with as_of(self.day(-60)):
            case_services.case_withdraw(
                actor=self.users["hengshun"], case=withdrawn, reason="企业调整推荐人选"
            )
        with as_of(self.day(-48)):
            self.first_review(
                failed, passed=False, comment="被推荐人近三年无主持研发项目的证明，不符合推荐条件"
            )
        self.through_panel(appointed, 90, (-46, -40, -35))
        with as_of(self.day(-30)):
            case_services.case_second_review(actor=city, case=appointed, passed=True)
        with as_of(self.day(-28)):
            notice = notices.notice_publish(actor=city, round=decided)
        with as_of(notice.ends_on + dt.timedelta(days=1)):
            notices.round_decide(actor=city, round=decided)
        with as_of(self.day(-10)):
            rounds.round_close(actor=city, round=decided)

        current = self.new_round(
            self.cto_scheme, f"{self.day(-3).year}年度衢州市企业首席技术官评价（第二批）", d.CITY, -3
        )
        with as_of(self.day(-2)):
            self.nominate(current, "tianpeng", self.day(-2))
            self.nominate(current, "hengshun", self.day(-2))
            returned = self.nominate(current, "liyuan", self.day(-2))
        with as_of(self.day(-1)):
            case_services.case_return(
                actor=city,
                case=returned,
                items=["请补充被推荐人主持研发项目的立项和验收材料", "请提供企业近三年研发投入专项审计报告"],
            )
