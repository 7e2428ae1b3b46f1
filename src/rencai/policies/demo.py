"""Demo policies from the seed's world: the city's talent new deal and Longyou's own, issued as versions."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from rencai.core.models import Region
from rencai.policies.models import Policy, PolicyVersion, VersionStatus

# (code, region, name, kind, proactive, budget_total, budget_per_year, group, service item, overrides,
#  [(effective_from, effective_to, eligibility rule, amount rule)], summary)
CITY = "330800"
LONGYOU = "330825"
JIANGSHAN = "330881"
HIGH_LEVEL = 'talent.tier in ["A", "B", "C"]'

DEMO_POLICIES = [
    (
        "gold-card",
        CITY,
        "衢州人才金卡",
        "card",
        True,
        None,
        None,
        "",
        "gold_card",
        None,
        [
            (
                dt.date(2017, 3, 1),
                None,
                'talent.tier in ["A", "B", "C", "D"] && talent.status == "active"',
                "0",
            )
        ],
        "A–D类人才发放人才金卡，凭卡享受医疗、交通、文旅等服务。",
    ),
    (
        "education-voucher",
        CITY,
        "高层次人才子女教育券",
        "voucher",
        False,
        Decimal("6000000"),
        Decimal("2000000"),
        "",
        "education_voucher",
        None,
        [
            (
                dt.date(2017, 3, 1),
                None,
                HIGH_LEVEL + ' || (talent.tier == "D" && talent.degree == "doctor")',
                'talent.tier == "A" ? 30000 : (talent.tier == "B" ? 20000 : 10000)',
            )
        ],
        "高层次人才子女入学发放教育券，由学校兑付。",
    ),
    (
        "housing-loan",
        CITY,
        "住房公积金“特优贷”",
        "loan",
        False,
        None,
        None,
        "",
        "housing_loan",
        None,
        [
            (
                dt.date(2017, 3, 1),
                None,
                'talent.tier in ["A", "B", "C", "D"] && talent.months_employed_locally >= 6',
                'talent.tier == "A" ? 1500000 : (talent.tier == "B" ? 1200000 : '
                '(talent.tier == "C" ? 1000000 : 600000))',
            )
        ],
        "按人才类别给予住房公积金贷款额度（转介住房公积金中心审批）。",
    ),
    (
        "settlement-doctor",
        CITY,
        "博士来衢安家补贴",
        "subsidy",
        False,
        Decimal("20000000"),
        Decimal("8000000"),
        "settlement",
        "settlement_subsidy",
        None,
        [
            (
                dt.date(2017, 3, 1),
                dt.date(2022, 12, 31),
                'talent.degree == "doctor" && talent.age <= 45',
                "150000",
            ),
            (
                dt.date(2023, 1, 1),
                None,
                'talent.degree == "doctor" && talent.age <= 45 && talent.employment_type == "full_time"',
                "talent.has_overseas_degree ? 250000 : 200000",
            ),
        ],
        "全职引进的45周岁以下博士给予安家补贴，海外博士上浮。",
    ),
    (
        "settlement-master",
        CITY,
        "硕士来衢安家补贴",
        "subsidy",
        False,
        Decimal("15000000"),
        Decimal("5000000"),
        "settlement",
        "settlement_subsidy",
        None,
        [
            (
                dt.date(2017, 3, 1),
                None,
                'talent.degree == "master" && talent.age <= 35 && talent.employment_type == "full_time" '
                "&& talent.years_since_arrival <= 5",
                "50000",
            )
        ],
        "35周岁以下全职硕士来衢五年内给予安家补贴。",
    ),
    # The seed's reward of up to 1,000,000 yuan to platform enterprises is a budget, not a per-talent benefit:
    # no version, so the matching never offers it to a talent; recruitment's platform-enterprise reward
    # scheme pays from it, per enterprise and year under the 1,000,000 cap (`recruitment.services.rewards`)
    (
        "platform-enterprise-reward",
        CITY,
        "平台型企业引才重奖",
        "reward",
        False,
        Decimal("5000000"),
        Decimal("3000000"),
        "",
        "",
        None,
        [],
        "对平台型企业招才引才成效显著的，按年度引进人才的层次核定奖励，每家企业每年最高100万元；"
        "由招才引智的引才奖励方案按年结算、分期兑现。",
    ),
    (
        "researcher-venture",
        CITY,
        "事业单位科研人员创业支持",
        "subsidy",
        False,
        Decimal("3000000"),
        None,
        "",
        "",
        None,
        [(dt.date(2017, 4, 1), None, "talent.is_researcher_venture && talent.title_rank >= 3", "100000")],
        "允许事业单位科研人员在职或离岗创业，副高以上给予创业启动资助。",
    ),
    (
        "national-programme-support",
        CITY,
        "国家级人才计划入选者配套资助",
        "subsidy",
        True,
        None,
        None,
        "",
        "",
        None,
        [(dt.date(2017, 3, 1), None, '"national_programme" in talent.programmes', "1000000")],
        "入选国家级人才计划（国千）的给予配套资助，免申即享。",
    ),
    (
        "provincial-programme-support",
        CITY,
        "省级人才计划入选者配套资助",
        "subsidy",
        True,
        None,
        None,
        "",
        "",
        None,
        [(dt.date(2017, 3, 1), None, '"provincial_programme" in talent.programmes', "500000")],
        "入选省级人才计划（省千）的给予配套资助，免申即享。",
    ),
    (
        "skill-master-allowance",
        CITY,
        "技师高级技师岗位津贴",
        "subsidy",
        True,
        Decimal("4000000"),
        Decimal("1200000"),
        "",
        "",
        None,
        [
            (
                dt.date(2017, 6, 1),
                None,
                'talent.team == "high_skill" && talent.skill_level in [1, 2]',
                "talent.skill_level == 1 ? 12000 : 6000",
            )
        ],
        "技师、高级技师享受岗位津贴，鼓励高技能人才培养。",
    ),
    (
        "enclave-talent-honour",
        CITY,
        "人才飞地柔性引才认定",
        "honour",
        True,
        None,
        None,
        "",
        "",
        None,
        [
            (
                dt.date(2017, 4, 6),
                None,
                '"enclave" in talent.platform_kinds || talent.employment_type in ["flexible", "enclave"]',
                "0",
            )
        ],
        "“工作生活在外地，服务贡献为衢州”的柔性及飞地人才予以认定。",
    ),
    (
        "academician-station-support",
        CITY,
        "院士专家工作站进站人才资助",
        "subsidy",
        False,
        Decimal("3000000"),
        None,
        "",
        "academician_station",
        None,
        [
            (
                dt.date(2017, 3, 1),
                None,
                '"academician_station" in talent.platform_kinds && talent.degree_level >= 3',
                "30000",
            )
        ],
        "在院士专家工作站从事研发的硕士以上人才给予资助。",
    ),
    (
        "overseas-returnee",
        CITY,
        "海外留学回国人才创业资助",
        "subsidy",
        False,
        Decimal("2000000"),
        None,
        "",
        "",
        None,
        [(dt.date(2017, 3, 1), None, "talent.has_overseas_degree && talent.age <= 50", "80000")],
        "海外学历人才回衢创业就业给予资助。",
    ),
    (
        "enterprise-manager-training",
        CITY,
        "企业经营管理人才研修资助",
        "subsidy",
        False,
        Decimal("1000000"),
        Decimal("500000"),
        "",
        "",
        None,
        [
            (
                dt.date(2018, 1, 1),
                None,
                'talent.team == "enterprise_mgmt" && talent.employer_is_high_tech',
                "5000",
            )
        ],
        "企业经营管理人才不足总量13%，对高新技术企业经营管理人才给予研修资助。",
    ),
    (
        "chief-tech-officer-allowance",
        CITY,
        "企业首席技术官津贴",
        "subsidy",
        False,
        Decimal("3000000"),
        Decimal("1000000"),
        "",
        "",
        None,
        [(dt.date(2026, 1, 1), None, '"chief_tech_officer" in talent.programmes', "60000")],
        "经评价认定的企业首席技术官，任期内给予津贴，确认后兑现。",
    ),
    (
        "d-tier-research-subsidy",
        CITY,
        "市级高级人才科研补贴（阶段性评价）",
        "subsidy",
        False,
        Decimal("6000000"),
        Decimal("2000000"),
        "",
        "",
        None,
        [
            (
                dt.date(2026, 1, 1),
                None,
                'talent.tier == "D" && talent.team == "professional" && talent.title_rank >= 3',
                "90000",
            )
        ],
        "D类专业技术人才科研补贴分三年兑现（40%、30%、30%）：首期确认后兑现，其后每期须当年度考核合格。",
    ),
    (
        "longyou-settlement-doctor",
        LONGYOU,
        "龙游县人才新政·博士安家补贴",
        "subsidy",
        False,
        Decimal("5000000"),
        Decimal("2000000"),
        "settlement",
        "settlement_subsidy",
        "settlement-doctor",
        [(dt.date(2017, 2, 1), None, 'talent.degree == "doctor" && talent.age <= 50', "300000")],
        "龙游县人才新政：50周岁以下博士给予30万元安家补贴，替代市级博士安家补贴。",
    ),
    (
        "longyou-rural-talent",
        LONGYOU,
        "龙游县农村实用人才奖励",
        "reward",
        True,
        Decimal("600000"),
        None,
        "",
        "",
        None,
        [(dt.date(2017, 2, 1), None, 'talent.team == "rural" && talent.region == "330825"', "3000")],
        "龙游县对农村实用人才给予奖励。",
    ),
    (
        "jiangshan-new-deal-draft",
        JIANGSHAN,
        "江山市人才新政（征求意见稿）",
        "subsidy",
        False,
        Decimal("3000000"),
        None,
        "",
        "",
        None,
        [],
        "江山市人才新政反复征求意见中，尚未发布。",
    ),
]


# 阶段性评价: the demo policies paid in yearly instalments, and their shares
INSTALMENT_SHARES = {"d-tier-research-subsidy": [40, 30, 30]}


@transaction.atomic
def load_demo_policies() -> int:
    """Create the demo policies and their issued versions; idempotent by policy code."""
    regions = {r.code: r for r in Region.objects.all()}
    created = 0
    by_code = {p.code: p for p in Policy.objects.all()}
    for (
        code,
        region,
        name,
        kind,
        proactive,
        total,
        yearly,
        group,
        item,
        overrides,
        versions,
        summary,
    ) in DEMO_POLICIES:
        if code in by_code:
            continue
        policy = Policy.objects.create(
            code=code,
            name=name,
            region=regions[region],
            kind=kind,
            is_proactive=proactive,
            budget_total=total,
            budget_per_year=yearly,
            exclusivity_group=group,
            service_item_code=item,
            overrides=by_code.get(overrides),
            summary=summary,
            instalment_shares=INSTALMENT_SHARES.get(code, []),
        )
        by_code[code] = policy
        for number, (start, end, rule, amount) in enumerate(versions, start=1):
            PolicyVersion.objects.create(
                policy=policy,
                number=number,
                effective_from=start,
                effective_to=end,
                eligibility_rule=rule,
                amount_rule=amount,
                status=VersionStatus.ISSUED,
            )
        if code == "jiangshan-new-deal-draft":
            PolicyVersion.objects.create(
                policy=policy,
                number=1,
                effective_from=dt.date(2027, 1, 1),
                status=VersionStatus.DRAFT,
                eligibility_rule='talent.region == "330881" && talent.degree_level >= 3 && talent.age <= 50',
                amount_rule='talent.degree == "doctor" ? 200000 : 50000',
            )
        created += 1
    return created
