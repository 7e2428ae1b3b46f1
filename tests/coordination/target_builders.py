"""Builders for target-responsibility tests: an indicator to measure, a sheet that adds up, a sheet walked
through its year."""

import datetime as dt
from decimal import Decimal

from rencai.analytics.models import Indicator
from rencai.coordination import circulars
from rencai.coordination.models import Leader, LeaderPost, Section, TargetSheet
from rencai.coordination.services import targets as services

YEAR = 2025
YEAR_END = dt.date(YEAR, 12, 31)


def make_indicator(
    code: str = "high_skill_total", numerator: str = 'talent.team == "high_skill"'
) -> Indicator:
    indicator, _ = Indicator.objects.get_or_create(
        code=code,
        defaults={
            "name": "高技能人才总量",
            "name_en": "High-skill talents",
            "category": "structure",
            "kind": "frame",
            "numerator": numerator,
            "denominator": "",
            "factor": Decimal("1"),
            "unit": "人",
        },
    )
    return indicator


def sheet_with_items(city, *, region=None, department=None, year: int = YEAR, baseline="1", target="3"):
    """A draft sheet worth 100: one measured indicator item (60) and one work item (40)."""
    make_indicator()
    sheet = services.sheet_create(actor=city, year=year, region=region, department=department)
    services.item_add(
        actor=city,
        sheet=sheet,
        section=Section.INDICATORS,
        title="高技能人才净增",
        max_points="60",
        indicator_code="high_skill_total",
        baseline=baseline,
        target_value=target,
    )
    services.item_add(actor=city, sheet=sheet, section=Section.TARGETS, title="建成人才驿站", max_points="40")
    return sheet


def walk_to_self_assessed(sheet: TargetSheet, *, city, unit, claimed="35", today=YEAR_END) -> TargetSheet:
    services.sheet_issue(actor=city, sheet=sheet)
    services.sheet_agree(actor=unit, sheet=sheet)
    services.sheet_midyear(actor=city, sheet=sheet, note="进度正常", today=today)
    work = sheet.items.get(section=Section.TARGETS)
    services.item_self_assess(actor=unit, item=work, claimed_points=claimed, evidence="驿站已挂牌运行")
    services.sheet_self_assess(actor=unit, sheet=sheet, summary="全面完成年度任务")
    return sheet


def walk_to_locked(sheet: TargetSheet, *, city, unit, points="36", today=YEAR_END) -> TargetSheet:
    walk_to_self_assessed(sheet, city=city, unit=unit, today=today)
    work = sheet.items.get(section=Section.TARGETS)
    services.item_score(actor=city, item=work, points=points, comment="基本完成")
    services.sheet_score(actor=city, sheet=sheet, today=today)
    services.sheet_lock(actor=city, sheet=sheet)
    sheet.refresh_from_db()
    return sheet


def appoint_leaders(city, region, secretary, org_head) -> list[Leader]:
    return [
        circulars.leader_appoint(
            actor=city, region=region, post=LeaderPost.SECRETARY, user=secretary, name="王书记"
        ),
        circulars.leader_appoint(
            actor=city, region=region, post=LeaderPost.ORG_HEAD, user=org_head, name="李部长"
        ),
    ]


__all__ = ["circulars"]
