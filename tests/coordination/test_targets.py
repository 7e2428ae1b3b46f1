"""Target responsibility: the 100-point rule, the lock, measured progress, the state machine, rights."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from rencai.coordination import scoring
from rencai.coordination.models import Section, SheetState, TargetItem, TargetSheet
from rencai.coordination.services import targets as services
from rencai.core.errors import NotFound, PermissionDenied, ValidationFailed
from tests import factories
from tests.coordination.target_builders import (
    YEAR,
    YEAR_END,
    make_indicator,
    sheet_with_items,
    walk_to_locked,
    walk_to_self_assessed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(world):
    return world.users["city_org_dept"]


@pytest.fixture
def county(world):
    return world.users["county_org_dept"]


# -- the 100-point rule -----------------------------------------------------------------------------------


def test_issuing_a_sheet_that_does_not_total_100_is_refused_with_the_sum(world, city):
    sheet = sheet_with_items(city, region=world.county_a)
    sheet.items.filter(section=Section.TARGETS).delete()
    with pytest.raises(services.PointsNot100) as error:
        services.sheet_issue(actor=city, sheet=sheet)
    assert error.value.code == "points_not_100"
    assert "现为 60 分" in error.value.details[0]["message_zh"]
    assert TargetSheet.objects.get(pk=sheet.pk).state == SheetState.DRAFT


def test_database_refuses_to_issue_a_sheet_that_does_not_total_100(world, city):
    sheet = sheet_with_items(city, region=world.county_a)
    TargetItem.objects.filter(sheet=sheet, section=Section.TARGETS).update(max_points=Decimal("39.5"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.ISSUED)


def test_database_refuses_to_reweigh_an_issued_sheet(world, city):
    sheet = sheet_with_items(city, region=world.county_a)
    services.sheet_issue(actor=city, sheet=sheet)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetItem.objects.filter(sheet=sheet, section=Section.TARGETS).update(max_points=Decimal("50"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetItem.objects.create(
            sheet=sheet, section=Section.TARGETS, kind="work", title="再加一项", max_points=5
        )
    # a claim on a work item of an issued sheet is not a change of weights
    TargetItem.objects.filter(sheet=sheet, section=Section.TARGETS).update(evidence="已完成")


def test_bonus_beyond_the_cap_is_refused(world, city, county):
    sheet = sheet_with_items(city, region=world.county_a)
    walk_to_self_assessed(sheet, city=city, unit=county)
    services.item_add(
        actor=city, sheet=sheet, section=Section.BONUS, title="省级表彰", max_points="3", reason="获省表彰"
    )
    with pytest.raises(ValidationFailed) as error:
        services.item_add(
            actor=city,
            sheet=sheet,
            section=Section.BONUS,
            title="国家级表彰",
            max_points="3",
            reason="获国家表彰",
        )
    assert "加分上限" in error.value.details[0]["message_zh"]


def test_deductions_beyond_the_cap_are_refused_in_both_languages(world, city):
    sheet = sheet_with_items(city, region=world.county_a)  # deduction cap 10
    services.item_add(
        actor=city, sheet=sheet, section=Section.DEDUCTIONS, title="报送迟误", max_points="7", reason="逾期"
    )
    with pytest.raises(ValidationFailed) as error:
        services.item_add(
            actor=city,
            sheet=sheet,
            section=Section.DEDUCTIONS,
            title="数据失实",
            max_points="3.5",
            reason="失实",
        )
    detail = error.value.details[0]
    assert detail["field"] == "max_points"
    assert detail["message_zh"] == "超过本表的扣分上限 10 分（已用 7 分）"
    assert detail["message_en"] == "Over the sheet's deduction cap of 10 (7 used)"
    # up to the cap exactly is allowed
    services.item_add(
        actor=city, sheet=sheet, section=Section.DEDUCTIONS, title="数据失实", max_points="3", reason="失实"
    )
    assert sheet.items.filter(section=Section.DEDUCTIONS).count() == 2


def _bonus(sheet, points, title="加分"):
    return TargetItem.objects.create(
        sheet=sheet, section=Section.BONUS, kind="work", title=title, max_points=Decimal(points), reason="x"
    )


def test_database_refuses_bonus_items_past_the_cap(world, city):
    sheet = sheet_with_items(city, region=world.county_a)  # bonus cap 5
    first = _bonus(sheet, "2.1")
    _bonus(sheet, "2.9")  # 5.00 exactly: at the cap
    with pytest.raises(IntegrityError), transaction.atomic():
        _bonus(sheet, "0.01")
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetItem.objects.filter(pk=first.pk).update(max_points=Decimal("2.2"))
    # a deduction item is counted against the deduction cap, not the bonus cap
    TargetItem.objects.create(
        sheet=sheet,
        section=Section.DEDUCTIONS,
        kind="work",
        title="扣分",
        max_points=Decimal("10"),
        reason="x",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetItem.objects.filter(pk=first.pk).update(section=Section.DEDUCTIONS)
    # changing what is not a weight passes; lowering a line passes
    TargetItem.objects.filter(pk=first.pk).update(comment="省表彰", max_points=Decimal("2"))
    assert sheet.items.filter(section=Section.BONUS).aggregate(t=Sum("max_points"))["t"] == Decimal("4.9")


def test_database_refuses_moving_a_bonus_item_to_a_full_sheet(world, city):
    full = sheet_with_items(city, region=world.county_a)
    other = sheet_with_items(city, region=world.county_b)
    _bonus(full, "5")
    moving = _bonus(other, "1")
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetItem.objects.filter(pk=moving.pk).update(sheet=full)


def test_database_refuses_lowering_a_cap_below_what_is_used(world, city):
    sheet = sheet_with_items(city, region=world.county_a)
    _bonus(sheet, "4")
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSheet.objects.filter(pk=sheet.pk).update(bonus_cap=Decimal("3.99"))
    TargetSheet.objects.filter(pk=sheet.pk).update(bonus_cap=Decimal("4"), deduction_cap=Decimal("0"))
    assert TargetSheet.objects.get(pk=sheet.pk).bonus_cap == Decimal("4")


# -- the lock ---------------------------------------------------------------------------------------------


def test_database_refuses_any_change_to_a_locked_sheet_and_its_items(world, city, county):
    sheet = walk_to_locked(sheet_with_items(city, region=world.county_a), city=city, unit=county)
    assert sheet.state == SheetState.LOCKED
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSheet.objects.filter(pk=sheet.pk).update(total=Decimal("100"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.SCORED)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetItem.objects.filter(sheet=sheet).update(points=Decimal("0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetItem.objects.create(
            sheet=sheet, section=Section.BONUS, kind="work", title="事后加分", max_points=1, reason="x"
        )
    assert TargetItem.objects.filter(sheet=sheet).count() == 2


def test_services_refuse_to_change_a_locked_sheet_in_both_languages(world, city, county):
    sheet = walk_to_locked(sheet_with_items(city, region=world.county_a), city=city, unit=county)
    with pytest.raises(services.SheetLocked) as error:
        services.item_add(
            actor=city, sheet=sheet, section=Section.BONUS, title="加分", max_points="1", reason="x"
        )
    assert error.value.message_zh == "考核结果已审定锁定，不能修改"
    assert "locked" in error.value.message_en
    with pytest.raises(services.SheetLocked):
        services.sheet_move(actor=city, sheet=sheet, to=SheetState.SELF_ASSESSED, comment="重新评分")


# -- measured progress --------------------------------------------------------------------------------------


def test_indicator_progress_is_measured_from_the_registry_and_follows_a_registry_change(world, city):
    # world: one high-skill talent in county A (arrived 2018)
    sheet = sheet_with_items(city, region=world.county_a, baseline="1", target="3")
    day = dt.date(YEAR, 6, 30)
    before = scoring.score_sheet(sheet, day=day)
    line = next(line for line in before.lines if line.item.section == Section.INDICATORS)
    assert line.measured == Decimal("1")
    assert line.progress == Decimal("0")
    assert line.points == Decimal("0.00")
    factories.make_talent(world.county_a, team="high_skill", arrival_date=dt.date(YEAR, 3, 1))
    after = scoring.score_sheet(sheet, day=day)
    line = next(line for line in after.lines if line.item.section == Section.INDICATORS)
    assert line.measured == Decimal("2")
    assert line.progress == Decimal("0.5")
    assert line.points == Decimal("30.00")
    # a talent in the other county moves nothing here
    factories.make_talent(world.county_b, team="high_skill", arrival_date=dt.date(YEAR, 3, 1))
    again = scoring.score_sheet(sheet, day=day)
    assert next(line for line in again.lines if line.item.section == Section.INDICATORS).measured == Decimal(
        "2"
    )


def test_baseline_left_empty_is_measured_at_the_end_of_the_previous_year(world, city):
    make_indicator()
    sheet = services.sheet_create(actor=city, year=YEAR, region=world.county_a)
    item = services.item_add(
        actor=city,
        sheet=sheet,
        section=Section.INDICATORS,
        title="高技能人才",
        max_points="100",
        indicator_code="high_skill_total",
        target_value="5",
    )
    assert item.baseline == Decimal("1")


def test_indicator_points_are_never_typed_in(world, city, county):
    sheet = walk_to_self_assessed(sheet_with_items(city, region=world.county_a), city=city, unit=county)
    indicator = sheet.items.get(section=Section.INDICATORS)
    with pytest.raises(ValidationFailed) as error:
        services.item_score(actor=city, item=indicator, points="60")
    assert error.value.details[0]["field"] == "points"


def test_lower_is_better_scores_the_same_way_reversed():
    points = scoring.indicator_points(
        max_points=Decimal("10"),
        baseline=Decimal("20"),
        target=Decimal("10"),
        measured=Decimal("15"),
        higher_is_better=False,
    )
    assert points == Decimal("5.00")
    assert scoring.indicator_points(
        max_points=Decimal("10"),
        baseline=Decimal("20"),
        target=Decimal("10"),
        measured=Decimal("25"),
        higher_is_better=False,
    ) == Decimal("0.00")
    assert scoring.indicator_points(
        max_points=Decimal("10"),
        baseline=Decimal("20"),
        target=Decimal("10"),
        measured=Decimal("5"),
        higher_is_better=False,
    ) == Decimal("10.00")


def test_year_end_total_adds_measured_indicators_scored_work_bonus_and_deductions(world, city, county):
    sheet = sheet_with_items(city, region=world.county_a, baseline="1", target="3")
    factories.make_talent(world.county_a, team="high_skill", arrival_date=dt.date(YEAR, 3, 1))
    walk_to_self_assessed(sheet, city=city, unit=county)
    services.item_add(
        actor=city, sheet=sheet, section=Section.BONUS, title="获省表彰", max_points="2", reason="省表彰"
    )
    services.item_add(
        actor=city,
        sheet=sheet,
        section=Section.DEDUCTIONS,
        title="报送迟误",
        max_points="1.5",
        reason="逾期报送",
    )
    services.item_score(
        actor=city, item=sheet.items.get(section=Section.TARGETS), points="36", comment="良好"
    )
    services.sheet_score(actor=city, sheet=sheet, today=YEAR_END)
    sheet.refresh_from_db()
    # 60 × (2-1)/(3-1) = 30; + 36 + 2 − 1.5
    assert sheet.total == Decimal("66.50")
    assert sheet.items.get(section=Section.INDICATORS).measured_value == Decimal("2")


# -- the state machine ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("move", "party"),
    [
        ("agree", "county"),  # a draft is not yet issued
        ("score", "city"),
        ("lock", "city"),
        ("self_assess", "county"),
    ],
)
def test_illegal_moves_of_a_draft_are_refused(world, city, county, move, party):
    sheet = sheet_with_items(city, region=world.county_a)
    actor = city if party == "city" else county
    calls = {
        "agree": lambda: services.sheet_agree(actor=actor, sheet=sheet),
        "score": lambda: services.sheet_score(actor=actor, sheet=sheet),
        "lock": lambda: services.sheet_lock(actor=actor, sheet=sheet),
        "self_assess": lambda: services.sheet_self_assess(actor=actor, sheet=sheet, summary="自评"),
    }
    with pytest.raises(services.IllegalSheetTransition) as error:
        calls[move]()
    assert error.value.status == 409
    assert "草拟" in error.value.message_zh
    assert TargetSheet.objects.get(pk=sheet.pk).state == SheetState.DRAFT


def test_an_issued_sheet_cannot_be_issued_twice_nor_locked_before_scoring(world, city, county):
    sheet = sheet_with_items(city, region=world.county_a)
    services.sheet_issue(actor=city, sheet=sheet)
    with pytest.raises(services.IllegalSheetTransition):
        services.sheet_issue(actor=city, sheet=sheet)
    services.sheet_agree(actor=county, sheet=sheet)
    with pytest.raises(services.IllegalSheetTransition):
        services.sheet_lock(actor=city, sheet=sheet)


def test_self_assessment_needs_a_claim_and_evidence_on_every_work_item(world, city, county):
    sheet = sheet_with_items(city, region=world.county_a)
    services.sheet_issue(actor=city, sheet=sheet)
    services.sheet_agree(actor=county, sheet=sheet)
    services.sheet_midyear(actor=city, sheet=sheet, today=dt.date(YEAR, 7, 1))
    with pytest.raises(ValidationFailed) as error:
        services.sheet_self_assess(actor=county, sheet=sheet, summary="完成")
    assert "建成人才驿站" in error.value.details[0]["message_zh"]
    with pytest.raises(ValidationFailed) as error:
        services.item_self_assess(
            actor=county, item=sheet.items.get(section=Section.TARGETS), claimed_points="41", evidence=""
        )
    fields = {detail["field"] for detail in error.value.details}
    assert fields == {"claimed_points", "evidence"}


def test_the_city_can_send_a_self_assessment_back(world, city, county):
    sheet = walk_to_self_assessed(sheet_with_items(city, region=world.county_a), city=city, unit=county)
    services.sheet_return(actor=city, sheet=sheet, comment="佐证不足")
    assert TargetSheet.objects.get(pk=sheet.pk).state == SheetState.MIDYEAR


# -- rights -------------------------------------------------------------------------------------------------


def test_a_county_cannot_set_or_score_targets(world, city, county):
    sheet = walk_to_self_assessed(sheet_with_items(city, region=world.county_a), city=city, unit=county)
    with pytest.raises(PermissionDenied):
        services.item_score(actor=county, item=sheet.items.get(section=Section.TARGETS), points="40")
    with pytest.raises(PermissionDenied):
        services.sheet_score(actor=county, sheet=sheet)
    with pytest.raises(PermissionDenied):
        services.sheet_create(actor=county, year=YEAR + 1, region=world.county_a)


def test_another_county_cannot_agree_to_a_sheet_not_its_own(world, city, regions):
    sheet = sheet_with_items(city, region=world.county_a)
    services.sheet_issue(actor=city, sheet=sheet)
    other = factories.make_user("longyou", "county_org_dept", region=world.county_b)
    with pytest.raises(PermissionDenied) as error:
        services.sheet_agree(actor=other, sheet=sheet)
    assert error.value.message_zh == "只能确认和自评本单位的考核表"


def test_a_department_officer_agrees_only_to_their_own_departments_sheet(world, city, county):
    dept_user = world.users["department"]
    county_sheet = sheet_with_items(city, region=world.county_a)
    dept_sheet = sheet_with_items(city, department=dept_user.department)
    services.sheet_issue(actor=city, sheet=county_sheet)
    services.sheet_issue(actor=city, sheet=dept_sheet)
    with pytest.raises(PermissionDenied):
        services.sheet_agree(actor=dept_user, sheet=county_sheet)
    with pytest.raises(PermissionDenied):
        services.sheet_agree(actor=county, sheet=dept_sheet)
    services.sheet_agree(actor=dept_user, sheet=dept_sheet)
    assert TargetSheet.objects.get(pk=dept_sheet.pk).state == SheetState.AGREED


def test_one_sheet_per_unit_and_year(world, city):
    sheet_with_items(city, region=world.county_a)
    with pytest.raises(ValidationFailed):
        services.sheet_create(actor=city, year=YEAR, region=world.county_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSheet.objects.create(year=YEAR, region=world.county_a)


def test_issuing_tells_the_assessed_unit(world, city, county):
    sheet = sheet_with_items(city, region=world.county_a)
    services.sheet_issue(actor=city, sheet=sheet)
    message = county.notifications.get()
    assert str(YEAR) in message.subject
    assert message.link == f"/coordination/targets/{sheet.pk}/"
    assert not world.users["department"].notifications.exists()


def test_selector_hides_other_counties_sheets(world, city):
    from rencai.coordination.selectors import targets as selectors

    mine = sheet_with_items(city, region=world.county_a)
    theirs = sheet_with_items(city, region=world.county_b)
    county = world.users["county_org_dept"]
    assert list(selectors.sheets_for(county)) == [mine]
    with pytest.raises(NotFound):
        selectors.sheet_for(county, theirs.pk)
    assert set(selectors.sheets_for(city)) == {mine, theirs}
