"""The 100-point rule under a race: the city issues a sheet while another officer adds an item to it. On
PostgreSQL the race is real (the item trigger waits for the issuing transaction and then sees its result);
whichever wins, an issued sheet totals exactly 100."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from rencai.coordination.models import Section, SheetState, TargetSheet
from rencai.coordination.services import targets as services
from rencai.core.errors import ValidationFailed
from tests.concurrency import at_once, on_postgresql
from tests.coordination.target_builders import sheet_with_items


@pytest.mark.django_db(transaction=True)
def test_an_item_added_while_the_sheet_is_issued_never_breaks_the_100_points(world):
    city = world.users["city_org_dept"]
    sheet = sheet_with_items(city, region=world.county_a)
    stale = TargetSheet.objects.get(pk=sheet.pk)  # still a draft as far as the second officer knows

    results = at_once(
        lambda: services.sheet_issue(actor=city, sheet=TargetSheet.objects.get(pk=sheet.pk)),
        lambda: services.item_add(
            actor=city, sheet=stale, section=Section.TARGETS, title="临时加项", max_points="5"
        ),
        parallel=on_postgresql(),
    )

    sheet.refresh_from_db()
    total = sheet.items.filter(section__in=[Section.INDICATORS, Section.TARGETS]).aggregate(
        t=Sum("max_points")
    )["t"]
    if sheet.state == SheetState.ISSUED:
        assert total == Decimal("100")
        assert isinstance(results[1], ValidationFailed)  # the trigger's refusal, told as a problem
    else:
        assert isinstance(results[0], services.PointsNot100)
        assert total == Decimal("105")


@pytest.mark.django_db(transaction=True)
def test_two_bonus_items_added_at_once_never_pass_the_cap(world):
    """Both officers' checks see 0 of the 5 bonus points used; the database lets only one 3-point item in."""
    city = world.users["city_org_dept"]
    sheet = sheet_with_items(city, region=world.county_a)

    def add(title: str):
        return lambda: services.item_add(
            actor=city,
            sheet=TargetSheet.objects.get(pk=sheet.pk),
            section=Section.BONUS,
            title=title,
            max_points="3",
            reason="表彰",
        )

    results = at_once(add("省级表彰"), add("国家级表彰"), parallel=on_postgresql())

    refused = [result for result in results if isinstance(result, ValidationFailed)]
    assert len(refused) == 1, results
    assert "加分上限" in refused[0].details[0]["message_zh"]
    bonus = sheet.items.filter(section=Section.BONUS)
    assert bonus.count() == 1
    assert bonus.aggregate(t=Sum("max_points"))["t"] == Decimal("3")
