"""The standard set (标准指标): the indicators the seed measures itself by, seeded by a data migration.

The six teams' totals and shares (the seed: enterprise managers under 13% of talents, high-skill technicians
under 10%), high-level talents by programme (6 national, 27 provincial "thousand talents" in the seed), the
net inflow rate, platforms, policy money against budget, one-stop on-time rate, evaluation and recruitment
outcomes. `seed_standard_set` adds the missing ones and leaves existing rows (the city may have edited them)
alone; it runs from `migrations/0002_standard_set` and is safe to run again.
"""

from decimal import Decimal

from rencai.registry.choices import Team

ALL = ["region", "team", "tier", "industry", "age_band", "degree", "gender"]
REGION = ["region"]
HISTORY_NOTE = (
    "按来衢日期和离开日期计算任一日期的在衢人才；人才队伍、类别、学历、单位和所在县（市、区）"
    "登记库不保存历史，按当前登记值计。"
)
HISTORY_NOTE_EN = (
    "The talents present on any day follow arrival and departure dates; team, tier, degree, employer and "
    "county have no history in the registry and take today's value."
)

TEAM_NAMES_EN = {
    Team.PARTY_GOV: "party and government talents",
    Team.ENTERPRISE_MGMT: "enterprise managers",
    Team.PROFESSIONAL: "professional and technical talents",
    Team.HIGH_SKILL: "highly skilled talents",
    Team.RURAL: "rural practical talents",
    Team.SOCIAL_WORK: "social work talents",
}
TEAM_NAMES_ZH = {
    Team.PARTY_GOV: "党政人才",
    Team.ENTERPRISE_MGMT: "企业经营管理人才",
    Team.PROFESSIONAL: "专业技术人才",
    Team.HIGH_SKILL: "高技能人才",
    Team.RURAL: "农村实用人才",
    Team.SOCIAL_WORK: "社会工作人才",
}
# the seed's own figures, shown beside the value (its shares are "under" them: a floor to pass)
TEAM_BENCHMARKS = {Team.ENTERPRISE_MGMT: Decimal("13"), Team.HIGH_SKILL: Decimal("10")}


def _frame(code, name, name_en, category, numerator, *, denominator="", factor=1, unit="人", **extra) -> dict:
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "category": category,
        "kind": "frame",
        "numerator": numerator,
        "denominator": denominator,
        "factor": Decimal(factor),
        "unit": unit,
        "breakdowns": extra.pop("breakdowns", ALL),
        "description": extra.pop("description", HISTORY_NOTE),
        **extra,
    }


def _source(code, name, name_en, category, source, *, unit, factor=1, **extra) -> dict:
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "category": category,
        "kind": "source",
        "source": source,
        "factor": Decimal(factor),
        "unit": unit,
        "breakdowns": extra.pop("breakdowns", REGION),
        **extra,
    }


def standard_definitions() -> list[dict]:
    """Every standard indicator as the field values of an `Indicator` (position follows this order)."""
    rows = [
        _frame("talents_total", "人才总量", "talents in total", "structure", "true"),
    ]
    for team in Team:
        rows.append(
            _frame(
                f"team_{team.value}",
                f"{TEAM_NAMES_ZH[team]}总量",
                f"{TEAM_NAMES_EN[team]}",
                "structure",
                f'talent.team == "{team.value}"',
            )
        )
    for team in Team:
        rows.append(
            _frame(
                f"team_{team.value}_share",
                f"{TEAM_NAMES_ZH[team]}占比",
                f"share of {TEAM_NAMES_EN[team]}",
                "structure",
                f'talent.team == "{team.value}"',
                denominator="true",
                factor=100,
                unit="%",
                benchmark=TEAM_BENCHMARKS.get(team),
            )
        )
    rows += [
        _frame(
            "programme_national",
            "国家级人才计划入选者",
            "national talent programme",
            "high_level",
            '"national_programme" in talent.programmes',
            description="入选年份当年起计。" + HISTORY_NOTE,
        ),
        _frame(
            "programme_provincial",
            "省级人才计划入选者",
            "provincial talent programme",
            "high_level",
            '"provincial_programme" in talent.programmes',
            description="入选年份当年起计。" + HISTORY_NOTE,
        ),
        _frame(
            "programme_city",
            "市级人才计划入选者",
            "city talent programme",
            "high_level",
            '"city_programme" in talent.programmes',
        ),
        _frame(
            "academicians",
            "两院院士",
            "academicians",
            "high_level",
            '"academician" in talent.programmes',
        ),
        _frame(
            "high_level_tiers",
            "高层次人才（A–C类）",
            "high-level talents (tiers A–C)",
            "high_level",
            'talent.tier in ["A", "B", "C"]',
        ),
        {
            **_frame(
                "net_inflow_rate",
                "人才净流入率",
                "net inflow rate",
                "flow",
                "true",
                factor=100,
                unit="%",
                breakdowns=["region", "team", "tier", "industry", "degree", "gender"],
                description="近一年来衢人数减离开人数，除以一年前的在衢人才数。" + HISTORY_NOTE,
            ),
            "kind": "flow",
        },
        _source(
            "platforms_academician_station",
            "院士专家工作站",
            "academician workstations",
            "platforms",
            "platforms_academician_station",
            unit="个",
        ),
        _source(
            "platforms_enclave", "人才飞地", "talent enclaves", "platforms", "platforms_enclave", unit="个"
        ),
        _source(
            "platforms_doctoral_station",
            "博士（后）工作站",
            "doctoral workstations",
            "platforms",
            "platforms_doctoral_station",
            unit="个",
        ),
        _source(
            "policy_money_committed",
            "政策资金已承诺",
            "policy money committed",
            "policy_money",
            "ledger_committed",
            unit="元",
        ),
        _source(
            "policy_money_paid",
            "政策资金已兑现",
            "policy money paid",
            "policy_money",
            "ledger_paid",
            unit="元",
        ),
        _source(
            "policy_budget_used",
            "政策预算使用率",
            "policy budget committed",
            "policy_money",
            "ledger_budget_share",
            unit="%",
            factor=100,
            higher_is_better=True,
        ),
        _source(
            "onestop_on_time_rate",
            "一站式服务按时办结率",
            "one-stop steps decided on time",
            "services",
            "onestop_on_time",
            unit="%",
            factor=100,
            breakdowns=["region", "department"],
        ),
        _source(
            "evaluation_decided",
            "人才评价办结数",
            "evaluation cases decided",
            "evaluation",
            "evaluation_decided",
            unit="件",
        ),
        _source(
            "evaluation_recognized_rate",
            "人才评价通过率",
            "evaluation pass rate",
            "evaluation",
            "evaluation_recognized",
            unit="%",
            factor=100,
        ),
        _source(
            "recruitment_confirmed",
            "引才到岗核实人数",
            "arrivals confirmed",
            "recruitment",
            "recruitment_confirmed",
            unit="人",
        ),
        _source(
            "recruitment_retained_rate",
            "引进人才一年留存率",
            "arrivals retained twelve months",
            "recruitment",
            "recruitment_retained",
            unit="%",
            factor=100,
        ),
        _source(
            "recruitment_cost_per_arrival",
            "引才人均奖励成本",
            "reward cost per arrival",
            "recruitment",
            "recruitment_cost_per_arrival",
            unit="元",
            higher_is_better=False,
        ),
    ]
    for position, row in enumerate(rows, start=1):
        row.setdefault("position", position)
        row.setdefault("is_standard", True)
    return rows


def seed_standard_set(indicator_model=None) -> int:
    """Create the standard indicators that do not exist yet (by code); returns how many were created.
    `indicator_model` is the migration's historical model (the real one when called from code)."""
    if indicator_model is None:
        from rencai.analytics.models import Indicator as indicator_model
    existing = set(indicator_model.objects.values_list("code", flat=True))
    new = [indicator_model(**row) for row in standard_definitions() if row["code"] not in existing]
    indicator_model.objects.bulk_create(new)
    return len(new)
