"""The database itself refuses a published scheme whose weights do not sum to 100, and any change to a
published scheme's weights (migration 0002's triggers), whatever route writes: here the raw ORM, bypassing
every service. Run on SQLite and on PostgreSQL."""

import pytest
from django.db import IntegrityError, transaction

from rencai.core.errors import DomainError, ErrorCode
from rencai.evaluation.choices import EvaluatorKind, IndicatorSource, SchemeStatus
from rencai.evaluation.models import Indicator, Scheme, SchemeEvaluator
from rencai.evaluation.services import schemes as services
from rencai.evaluation.services.schemes import IndicatorInput
from tests.concurrency import at_once, on_postgresql
from tests.evaluation.builders import make_scheme

pytestmark = pytest.mark.django_db


def refused_by_database(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_publishing_by_a_raw_update_is_refused_when_indicator_weights_sum_to_110(world):
    rows = [("a", "甲", 60, "talent.awards * 10"), ("b", "乙", 50, "")]
    scheme = make_scheme(world.regions["330800"], publish=False, indicators=rows)

    refused_by_database(lambda: Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.PUBLISHED))

    assert Scheme.objects.get(pk=scheme.pk).status == SchemeStatus.DRAFT


def test_publishing_by_a_raw_update_is_refused_when_evaluator_weights_sum_to_90(world):
    scheme = make_scheme(
        world.regions["330800"],
        publish=False,
        evaluators={EvaluatorKind.GOVERNMENT: 60, EvaluatorKind.MARKET: 30},
    )

    refused_by_database(lambda: Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.PUBLISHED))


def test_a_scheme_cannot_be_inserted_already_published(world):
    refused_by_database(
        lambda: Scheme.objects.create(
            code="direct",
            name="直接发布",
            region=world.regions["330800"],
            purpose="recognition",
            effective_from="2027-01-01",
            status=SchemeStatus.PUBLISHED,
        )
    )


def test_the_weights_of_a_published_scheme_never_change_in_the_database(world, scheme):
    indicator = scheme.indicators.first()
    evaluator = scheme.evaluators.first()

    refused_by_database(
        lambda: Indicator.objects.filter(pk=indicator.pk).update(weight=indicator.weight + 10)
    )
    if on_postgresql():  # SQLite leaves deletes to the services (see migration 0002)
        refused_by_database(lambda: Indicator.objects.filter(pk=indicator.pk).delete())
    refused_by_database(
        lambda: Indicator.objects.create(scheme=scheme, code="extra", name="额外", source="scored", weight=5)
    )
    refused_by_database(lambda: SchemeEvaluator.objects.filter(pk=evaluator.pk).update(weight=1))
    if on_postgresql():
        refused_by_database(lambda: SchemeEvaluator.objects.filter(pk=evaluator.pk).delete())
    refused_by_database(lambda: Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.DRAFT))

    assert services.weight_sums(scheme) == (100, 100)


def test_a_draft_may_hold_any_weights_until_published(world):
    scheme = make_scheme(world.regions["330800"], publish=False)

    Indicator.objects.filter(scheme=scheme, code="patents").update(weight=70)

    assert services.weight_sums(scheme) == (130, 100)


@pytest.mark.django_db(transaction=True)
def test_adding_an_indicator_while_publishing_never_leaves_a_published_scheme_off_100(world):
    """Publishing and adding an indicator at the same moment: either the addition comes first (publishing
    then sees 110 and refuses) or publishing does (the addition is refused): never a published 110."""
    scheme = make_scheme(world.regions["330800"], publish=False)
    officer = world.users["city_org_dept"]
    extra = IndicatorInput("extra", "额外", IndicatorSource.SCORED, 10, rubric="评分")

    def publish():
        try:
            return services.scheme_publish(actor=officer, scheme=scheme).status
        except DomainError as error:
            return error.code

    def add():
        try:
            return services.indicator_add(actor=officer, scheme=scheme, data=extra).code
        except DomainError as error:
            return error.code

    outcomes = at_once(publish, add, parallel=on_postgresql())

    scheme.refresh_from_db()
    assert sorted(map(str, outcomes)) in (
        sorted([SchemeStatus.PUBLISHED, ErrorCode.SCHEME_PUBLISHED]),
        sorted([ErrorCode.WEIGHTS_NOT_100, "extra"]),
    )
    if scheme.status == SchemeStatus.PUBLISHED:
        assert services.weight_sums(scheme) == (100, 100)
