"""Demo recruitment for Quzhou (`rencai demo_recruitment`): the three recruiting stations with operators, a
season of events, a dozen agencies under contract (two with logins), demands of the demo enterprises in
every state, referrals (and one refused second referral), placements in every state, the reward schemes
and one settle run.

Everything is made THROUGH THE SERVICES, acting as the demo accounts, so the data is consistent and audited.
The past is written where the registry keeps it: a talent who arrived thirteen months ago is registered
with that arrival date and an employment that started then; no clock is moved. Idempotent: a second run
finds the demo stations and changes nothing.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import Role, User
from rencai.core.errors import DomainError
from rencai.core.models import Region
from rencai.core.pii import id_number_index
from rencai.core.validators import id_check_char
from rencai.policies.models import Policy
from rencai.recruitment.choices import LeadOutcome, ReferralState
from rencai.recruitment.models import (
    Agency,
    Demand,
    Event,
    Lead,
    Placement,
    Referral,
    Reward,
    RewardInstalment,
    RewardScheme,
    Station,
)
from rencai.recruitment.services import agencies, channels, demands, placements, referrals
from rencai.registry import demo_data as d
from rencai.registry.demo import DEMO_PASSWORD, DEMO_SEED, DemoRefused, demo_present
from rencai.registry.models import Employment, Enterprise, Talent
from rencai.registry.services import TalentInput, record_departure, register_talent

STATIONS = [  # name, city, address, operator login, operator display name
    ("衢州驻北京人才工作站", "北京", "北京市海淀区中关村大街27号", "zhan_beijing", "驻京工作站运营（演示）"),
    ("衢州驻上海人才工作站", "上海", "上海市闵行区紫竹科学园区", "zhan_shanghai", "驻沪工作站运营（演示）"),
    ("衢州驻杭州人才工作站", "杭州", "杭州市余杭区海创园", "zhan_hangzhou", "驻杭工作站运营（演示）"),
]
# The enterprises that post demands (username, enterprise, display name); 天蓬 is the registry demo's own
ENTERPRISE_ACCOUNTS = [
    ("tianpeng", d.TIANPENG, ""),
    ("fugui", "衢州氟硅新材料股份有限公司", "衢州氟硅新材料（用人单位）"),
    ("huaneng", "江山华能电气设备有限公司", "江山华能电气（用人单位）"),
    ("hengshun", "龙游恒顺特种纸业股份有限公司", "龙游恒顺特种纸业（用人单位）"),
]
# A dozen agencies (name, contracting region); the first two have demo logins
AGENCIES = [
    ("衢州才聚人力资源服务有限公司", d.CITY),
    ("杭州猎英企业管理咨询有限公司", d.CITY),
    ("上海锐仕方达人才服务有限公司", d.CITY),
    ("北京科锐国际人力资源股份有限公司衢州分公司", d.CITY),
    ("江山市众联人力资源有限公司", d.JIANGSHAN),
    ("江山须江人才服务有限公司", d.JIANGSHAN),
    ("龙游县智汇人才服务有限公司", d.LONGYOU),
    ("龙游灵山人力资源有限公司", d.LONGYOU),
    ("衢州海峡猎头服务有限公司", d.CITY),
    ("浙江英才汇人力资源有限公司", d.CITY),
    ("衢州衢江人才发展有限公司", d.CITY),
    ("宁波甬才猎头咨询有限公司", d.CITY),
]
AGENCY_LOGINS = [("lietou", "才聚猎头顾问（演示）"), ("lietou2", "猎英猎头顾问（演示）")]
FEES = {"A": "200000", "B": "100000", "C": "50000", "D": "20000", "E": "5000"}
CONSENT = "本人同意由该中介机构向用人单位推荐，并同意提供本人身份和联系信息用于招聘。"
AGENCY_FUND_CODE = "recruitment-agency-fund"
PLATFORM_SCHEME_CODE = "qz-platform-enterprise-reward"
AGENCY_SCHEME_CODE = "qz-agency-placement-reward"
PLATFORM_POLICY_CODE = "platform-enterprise-reward"


@dataclass
class RecruitmentDemoReport:
    created: bool
    stations: list[str] = field(default_factory=list)
    events: int = 0
    agencies: int = 0
    logins: list[str] = field(default_factory=list)
    demands: dict[str, int] = field(default_factory=dict)  # state -> count
    referrals: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # the refused referrals' reasons (Chinese)
    leads: int = 0
    placements: dict[str, int] = field(default_factory=dict)
    schemes: list[str] = field(default_factory=list)
    rewards: int = 0
    instalments: dict[str, int] = field(default_factory=dict)
    settled: dict[str, Any] = field(default_factory=dict)


def _counts(queryset, name: str = "state") -> dict[str, int]:
    return dict(sorted(Counter(queryset.values_list(name, flat=True)).items()))


def describe_demo() -> RecruitmentDemoReport:
    """What the recruitment demo holds now (after a run, or instead of a second one)."""
    report = RecruitmentDemoReport(created=False)
    report.stations = list(Station.objects.order_by("pk").values_list("name", flat=True))
    report.events = Event.objects.count()
    report.agencies = Agency.objects.count()
    report.logins = sorted(
        User.objects.filter(
            username__in=[u for u, _ in AGENCY_LOGINS] + [s[3] for s in STATIONS]
        ).values_list("username", flat=True)
    )
    report.demands = _counts(Demand.objects.all())
    report.referrals = _counts(Referral.objects.all())
    report.leads = Lead.objects.count()
    report.placements = _counts(Placement.objects.all())
    report.schemes = list(RewardScheme.objects.order_by("pk").values_list("name", flat=True))
    report.rewards = Reward.objects.count()
    report.instalments = _counts(RewardInstalment.objects.all())
    return report


def load_demo_recruitment() -> RecruitmentDemoReport:
    """Build the demo recruitment once (needs `rencai demo` and `rencai demo_policies`); a second run changes
    nothing."""
    if not demo_present():
        raise DemoRefused(
            "人才库尚无演示数据，请先运行 rencai demo 和 rencai demo_policies",
            "The registry demo is missing: run `rencai demo` and `rencai demo_policies` first",
        )
    if not Policy.objects.filter(code=PLATFORM_POLICY_CODE).exists():
        raise DemoRefused(
            "尚无演示政策，请先运行 rencai demo_policies",
            "The demo policies are missing: run `rencai demo_policies` first",
        )
    if Station.objects.filter(name=STATIONS[0][0]).exists():
        return describe_demo()
    demo = RecruitmentDemo(timezone.localdate())
    with transaction.atomic():
        demo.build()
    report = describe_demo()
    report.created = True
    report.refused = demo.refused
    report.settled = demo.settled
    return report


# -- building -----------------------------------------------------------------------------------------------


class RecruitmentDemo:
    """One run of the demo: accounts, stations and events, agencies, demands, referrals, arrivals, rewards."""

    def __init__(self, today: dt.date):
        self.today = today
        self.rng = random.Random(DEMO_SEED + 15)
        self.users: dict[str, User] = {}
        self.regions = {r.code: r for r in Region.objects.all()}
        self.enterprises: dict[str, Enterprise] = {}
        self.stations: list[Station] = []
        self.events: list[Event] = []
        self.agencies: list[Agency] = []
        self.published: list[Demand] = []
        self.refused: list[str] = []
        self.settled: dict[str, Any] = {}
        self.used_numbers: set[str] = set()

    def build(self) -> None:
        self.accounts()
        self.channels()
        self.agency_contracts()
        self.demand_states()
        self.season_of_events()
        self.referral_story()
        self.arrivals()
        self.reward_schemes()
        self.settle()

    # -- accounts -----------------------------------------------------------------------------------------

    def accounts(self) -> None:
        """The demo officers and 天蓬 (from `rencai demo`), enterprise, agency and station logins."""
        wanted = ["city", "jiangshan", "longyou", "tianpeng"]
        self.users = {u.username: u for u in User.objects.filter(username__in=wanted)}
        missing = sorted(set(wanted) - set(self.users))
        if missing:
            raise DemoRefused(
                f"缺少演示账户：{'、'.join(missing)}（请先运行 rencai demo）",
                f"Demo accounts missing: {', '.join(missing)} (run `rencai demo` first)",
            )
        password = make_password(DEMO_PASSWORD)
        by_name = {
            e.name: e for e in Enterprise.objects.filter(name__in=[n for _, n, _ in ENTERPRISE_ACCOUNTS])
        }
        for username, name, display in ENTERPRISE_ACCOUNTS:
            self.enterprises[username] = by_name[name]
            if username in self.users:
                continue
            self.users[username], _ = User.objects.update_or_create(
                username=username,
                defaults={"role": Role.ENTERPRISE, "enterprise": by_name[name], "display_name": display},
            )
            User.objects.filter(pk=self.users[username].pk).update(password=password, is_active=True)
        logins = AGENCY_LOGINS + [(s[3], s[4]) for s in STATIONS]
        for username, display in logins:
            self.users[username], _ = User.objects.update_or_create(
                username=username,
                defaults={"role": Role.INTERMEDIARY, "display_name": display, "is_active": True},
            )
            User.objects.filter(pk=self.users[username].pk).update(password=password)

    # -- stations, agencies -------------------------------------------------------------------------------

    def channels(self) -> None:
        """The city's three recruiting stations, each with its operator."""
        city = self.regions[d.CITY]
        for name, town, address, operator, _ in STATIONS:
            self.stations.append(
                channels.station_create(
                    actor=self.users["city"],
                    region=city,
                    data={"name": name, "city": town, "address": address, "opened_on": dt.date(2018, 5, 1)},
                    operators=[self.users[operator]],
                )
            )

    def agency_contracts(self) -> None:
        """Twelve agencies under contract from this January to the end of next year; two with logins."""
        starts, ends = dt.date(self.today.year, 1, 1), dt.date(self.today.year + 1, 12, 31)
        for n, (name, code) in enumerate(AGENCIES):
            actor = self.users[
                "city" if code == d.CITY else {d.JIANGSHAN: "jiangshan", d.LONGYOU: "longyou"}[code]
            ]
            agency = agencies.agency_create(
                actor=actor,
                data={
                    "name": name,
                    "credit_code": self.credit_code(n),
                    "region": self.regions[code],
                    "contract_starts": starts,
                    "contract_ends": ends,
                    "fee_schedule": FEES,
                    "target_count": 5 + n % 4 * 5,
                },
            )
            self.agencies.append(agency)
        for agency, (username, _) in zip(self.agencies, AGENCY_LOGINS, strict=False):
            agencies.agency_member_add(actor=self.users["city"], agency=agency, username=username)

    def credit_code(self, n: int) -> str:
        from rencai.core.validators import CREDIT_ALPHABET, credit_check_char

        body = "".join(CREDIT_ALPHABET[(DEMO_SEED + 15 * n + 7 * i) % 31] for i in range(9))
        first17 = f"91330800{body}"
        return first17 + credit_check_char(first17)

    # -- demands --------------------------------------------------------------------------------------------

    def post(self, username: str, title: str, **fields: Any) -> Demand:
        data = {
            "title": title,
            "team": "professional",
            "tier_sought": "D",
            "degree": "master",
            "field": self.enterprises[username].industry,
            "headcount": 2,
            "salary_min": 200_000,
            "salary_max": 350_000,
            "place": "local",
            "work_mode": "full_time",
            "description": f"{title}：负责企业关键技术攻关与新产品研发。",
            "expires_on": self.today + dt.timedelta(days=120),
        } | fields
        return demands.demand_create(
            actor=self.users[username], enterprise=self.enterprises[username], data=data
        )

    def reviewer_of(self, demand: Demand) -> User:
        county = {self.regions[d.JIANGSHAN].pk: "jiangshan", self.regions[d.LONGYOU].pk: "longyou"}
        return self.users[county.get(demand.region_id, "city")]

    def publish(self, demand: Demand) -> Demand:
        owner = self.users[next(u for u, e in self.enterprises.items() if e.pk == demand.enterprise_id)]
        demands.demand_submit(actor=owner, demand=demand)
        return demands.demand_review(
            actor=self.reviewer_of(demand), demand=demand, approve=True, comment="同意发布"
        )

    def demand_states(self) -> None:
        """Published demands of every demo enterprise (some in the enclaves, one flexible), and one demand
        in each other state: a draft, one waiting for review, one returned, one closed, one expired."""
        specs: list[tuple[str, str, dict[str, Any]]] = [
            ("tianpeng", "生猪育种首席科学家", {"tier_sought": "B", "degree": "doctor", "headcount": 1}),
            ("tianpeng", "智慧养殖数字化工程师", {"field": "electronics", "headcount": 3}),
            ("fugui", "氟硅新材料研发总监", {"tier_sought": "C", "degree": "doctor", "headcount": 2}),
            ("fugui", "有机硅工艺工程师（杭州飞地）", {"place": "hangzhou_enclave", "headcount": 3}),
            ("huaneng", "电力装备结构工程师", {"headcount": 2}),
            (
                "huaneng",
                "储能系统首席专家（柔性引才）",
                {"work_mode": "flexible", "tier_sought": "C", "headcount": 1},
            ),
            ("hengshun", "特种纸研发工程师（上海飞地）", {"place": "shanghai_enclave", "headcount": 2}),
        ]
        for username, title, fields in specs:
            self.published.append(self.publish(self.post(username, title, **fields)))
        self.post("tianpeng", "饲料营养研究员（草稿）")
        demands.demand_submit(actor=self.users["huaneng"], demand=self.post("huaneng", "电气自动化工程师"))
        returned = self.post("hengshun", "造纸化学品工程师", salary_min=80_000, salary_max=90_000)
        demands.demand_submit(actor=self.users["hengshun"], demand=returned)
        demands.demand_review(
            actor=self.users["longyou"],
            demand=returned,
            approve=False,
            comment="年薪区间明显低于同类岗位市场水平，请核实后重新提交。",
        )
        closed = self.publish(self.post("fugui", "安全环保主管"))
        demands.demand_close(actor=self.users["fugui"], demand=closed, reason="已通过内部调配解决")
        # last season's demand: posted and published then, its date passed, and the daily sweep expired it
        expired = self.publish(self.post("tianpeng", "兽医防疫主管（上一季）"))
        Demand.objects.filter(pk=expired.pk).update(expires_on=self.today - dt.timedelta(days=10))
        demands.demands_expire(self.today)

    # -- events, candidates, leads ---------------------------------------------------------------------------

    def season_of_events(self) -> None:
        """A season of promotion events run by the stations (three past, two coming), candidates
        registered and attending, and leads with outcomes."""
        plan = [  # station index, name, days from today, place
            (2, "衢州（杭州）高层次人才洽谈会", -75, "杭州未来科技城会展中心"),
            (1, "衢州—上海飞地人才推介会", -48, "上海紫竹高新区会议中心"),
            (0, "衢州人才新政北京推介会", -20, "北京中关村创业大街"),
            (2, "衢州数字经济人才专场（杭州）", 12, "杭州海创园"),
            (0, "衢州高校毕业生引才活动（北京）", 30, "北京理工大学"),
        ]
        city = self.regions[d.CITY]
        outcomes = [LeadOutcome.CONTACTED, LeadOutcome.INTERVIEWED, LeadOutcome.DECLINED, LeadOutcome.NEW]
        for n, (station_index, name, days, place) in enumerate(plan):
            station = self.stations[station_index]
            carried = self.published[n % len(self.published) :][:3] or self.published[:3]
            event = channels.event_create(
                actor=self.users["city"],
                region=city,
                data={"name": name, "place": place, "held_on": self.today + dt.timedelta(days=days)},
                station=station,
                demands=carried,
            )
            self.events.append(event)
            operator = station.operators.get()
            for k in range(4 if days < 0 else 2):
                registration = channels.candidate_register(
                    actor=operator, event=event, data=self.person() | {"consent": True}
                )
                if days < 0:
                    channels.attendance_record(actor=operator, registration=registration, attended=k != 3)
                    if k < 3:
                        demand = carried[k % len(carried)]
                        lead = channels.lead_record(
                            actor=operator,
                            candidate=registration.candidate,
                            enterprise=demand.enterprise,
                            event=event,
                            demand=demand,
                            note="现场洽谈，有意向",
                        )
                        channels.lead_update_outcome(actor=operator, lead=lead, outcome=outcomes[(n + k) % 4])

    def person(self, region_code: str = "330802") -> dict[str, str]:
        """A made-up person: name, a valid ID number no one else has, a phone, degree and field."""
        rng = self.rng
        given = d.GIVEN_MALE if rng.random() < 0.6 else d.GIVEN_FEMALE
        surname = rng.choices([s for s, _ in d.SURNAMES], weights=[w for _, w in d.SURNAMES])[0]
        name = surname + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))
        while True:
            birth = dt.date(1980, 1, 1) + dt.timedelta(days=rng.randrange(0, 6000))
            first17 = f"{region_code}{birth:%Y%m%d}{rng.randrange(900, 1000)}"
            number = first17 + id_check_char(first17)
            index = id_number_index(number)
            taken = Talent.objects.filter(id_number_index=index).exists()
            if number not in self.used_numbers and not taken:
                self.used_numbers.add(number)
                break
        return {
            "name": name,
            "id_number": number,
            "phone": f"139{rng.randrange(10**7, 10**8)}",
            "degree": rng.choice(["master", "doctor", "bachelor"]),
            "field": rng.choice(["chemicals", "electronics", "equipment", "manufacturing"]),
        }

    # -- referrals ------------------------------------------------------------------------------------------

    def refer(self, username: str, demand: Demand, person: dict[str, str]) -> Referral:
        """A referral made two months ago (before the arrivals of forty days ago: a referral counts only
        for an arrival that came after it), written with that date as the registry writes arrivals."""
        made = timezone.now() - dt.timedelta(days=60)
        referral = referrals.referral_create(
            actor=self.users[username],
            demand=demand,
            candidate_data=person,
            consent_statement=CONSENT,
            consent_at=made - dt.timedelta(hours=1),
            note="候选人与岗位要求匹配，已电话沟通。",
        )
        Referral.objects.filter(pk=referral.pk).update(created_at=made)
        referral.created_at = made
        return referral

    def referral_story(self) -> None:
        """Agency logins refer candidates to published demands (referred, interviewed, failed, withdrawn);
        the second agency's referral of a person the first already referred is refused, with the reason."""
        self.story: dict[str, tuple[dict[str, str], Referral]] = {}
        for n, demand in enumerate(self.published):
            agent = AGENCY_LOGINS[n % 2][0]
            person = self.person()
            referral = self.refer(agent, demand, person)
            self.story[f"r{n}"] = (person, referral)
        for n, demand in enumerate(self.published[1:4]):  # still waiting for the enterprise's interview
            self.refer(AGENCY_LOGINS[n % 2][0], demand, self.person())
        owner = {e.pk: u for u, e in self.enterprises.items()}
        for key, state in (("r1", ReferralState.INTERVIEWED), ("r2", ReferralState.FAILED)):
            referral = self.story[key][1]
            referrals.referral_update_state(
                actor=self.users[owner[referral.enterprise_id]], referral=referral, state=state
            )
        withdrawn = self.story["r3"][1]
        referrals.referral_update_state(
            actor=self.users["lietou2"], referral=withdrawn, state=ReferralState.WITHDRAWN
        )
        person, first = self.story["r0"]
        try:
            self.refer("lietou2", first.demand, person)
        except DomainError as refusal:
            self.refused.append(refusal.message_zh)

    # -- arrivals -------------------------------------------------------------------------------------------

    def arrive(
        self, person: dict[str, str], enterprise: Enterprise, arrived: dt.date, tier: str = "D"
    ) -> Talent:
        """The talent registered by their county with the arrival date, and the employment the registry
        keeps from that day."""
        region = enterprise.region
        county = {d.JIANGSHAN: "jiangshan", d.LONGYOU: "longyou"}.get(region.code, "city")
        talent = register_talent(
            actor=self.users[county],
            data=TalentInput(
                name=person["name"],
                id_number=person["id_number"],
                region_code=region.code,
                team="professional",
                arrival_date=arrived,
                phone=person["phone"],
                tier=tier,
                highest_degree=person["degree"],
                employer_credit_code=enterprise.credit_code,
                employment_type="full_time",
            ),
        )
        Employment.objects.create(
            talent=talent,
            enterprise=enterprise,
            employer_name=enterprise.name,
            position="研发岗位",
            employment_type="full_time",
            started_on=arrived,
        )
        return talent

    def arrivals(self) -> None:
        """Referred candidates arrive (confirmed by the daily run), one of them leaves early; an arrival
        of thirteen months ago is confirmed by the city and retained; one reported arrival stays pending."""
        recent = self.today - dt.timedelta(days=40)
        placed = {}
        for key, tier in (("r0", "C"), ("r4", "D"), ("r5", "C"), ("r6", "D")):
            person, referral = self.story[key]
            placed[key] = self.arrive(person, referral.enterprise, recent, tier)
        veteran = self.arrive(
            self.person(), self.enterprises["fugui"], self.today - dt.timedelta(days=400), "C"
        )
        placements.placements_confirm(today=self.today)
        placements.placement_confirm_for(
            actor=self.users["city"], talent=veteran, enterprise=self.enterprises["fugui"]
        )
        self.leaver = placed["r6"]

    # -- rewards --------------------------------------------------------------------------------------------

    def reward_schemes(self) -> None:
        """The platform-enterprise reward (per enterprise per year, capped at 1,000,000, half on arrival and
        half after twelve months) from the city's reward fund, and the agencies' reward per placed talent by
        tier with a bonus for three or more in a year."""
        from rencai.policies.services import create_policy
        from rencai.recruitment.services import rewards

        city, actor = self.regions[d.CITY], self.users["city"]
        fund = create_policy(
            actor=actor,
            code=AGENCY_FUND_CODE,
            name="引才中介服务购买资金",
            region=city,
            kind="reward",
            budget_total=Decimal("3000000"),
            budget_per_year=Decimal("1000000"),
            summary="向市场购买引才服务：按引进人才层次支付中介机构引才奖励。",
        )  # a budget with no version, like the platform fund: matching never pays it to a talent
        starts = dt.date(self.today.year - 2, 1, 1)
        rewards.reward_scheme_create(
            actor=actor,
            data={
                "code": PLATFORM_SCHEME_CODE,
                "name": "平台型企业引才重奖（每家企业每年最高100万元）",
                "purpose": "platform_enterprise",
                "region": city,
                "policy": Policy.objects.get(code=PLATFORM_POLICY_CODE),
                "effective_from": starts,
                "amounts": {"A": "1000000", "B": "500000", "C": "200000", "D": "50000"},
                "cap_per_enterprise_year": Decimal("1000000"),
                "stages": [[50, 0], [50, 12]],
                "months_required": 12,
                "clawback": False,
                "exclusive_per_person": False,
            },
        )
        rewards.reward_scheme_create(
            actor=actor,
            data={
                "code": AGENCY_SCHEME_CODE,
                "name": "中介机构引才奖励",
                "purpose": "agency_placement",
                "region": city,
                "policy": fund,
                "effective_from": starts,
                "amounts": {"A": "200000", "B": "100000", "C": "50000", "D": "20000", "E": "5000"},
                "bonus_threshold": 3,
                "bonus_amount": Decimal("30000"),
                "stages": [[50, 0], [50, 12]],
                "months_required": 12,
                "clawback": True,
                "exclusive_per_person": True,
            },
        )

    def settle(self) -> None:
        """One settle run; then the leaver departs (the registry records it) and the next run, which follows
        the registry first, cancels what was still to pay."""
        from rencai.recruitment.services import rewards

        first = rewards.rewards_settle(actor=self.users["city"], today=self.today)
        record_departure(
            actor=self.users[
                {d.JIANGSHAN: "jiangshan", d.LONGYOU: "longyou"}.get(self.leaver.region.code, "city")
            ],
            talent_id=self.leaver.pk,
            departed_on=self.today - dt.timedelta(days=5),
        )
        second = rewards.rewards_settle(actor=self.users["city"], today=self.today)
        self.settled = {"first": _as_dict(first), "second": _as_dict(second)}


def _as_dict(report: Any) -> dict:
    if hasattr(report, "as_dict"):
        return report.as_dict()
    return dict(report) if isinstance(report, dict) else {"report": str(report)}
