"""The achievement (成果) columns of the feature frame: counts and three-year sums at a date, the cache that
notices achievement changes, both evaluators, and a policy on `talent.patents_applied` through matching."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.policies.engine import compile_rule, evaluate_rules, reference_evaluate
from rencai.policies.engine.schema import feature_row_to_cel
from rencai.policies.features import build_feature_frame, cached_feature_frame, clear_cache, last_refresh
from rencai.policies.matching import run_match
from rencai.policies.models import Entitlement
from rencai.registry.models import Achievement, AchievementHolder
from tests import factories

DAY = dt.date(2024, 6, 30)
COLUMNS = [
    "patents_granted",
    "patents_applied",
    "tech_transfers",
    "new_products",
    "standards",
    "awards",
    "projects",
    "transfer_income_3y",
    "venture_tax_3y",
]


def _row(frame, talent):
    return frame.filter(frame["talent_id"] == talent.pk).row(0, named=True)


@pytest.fixture
def achieved(world):
    """talent_a: two granted and one applied patent, transfers inside and outside the three years, a
    patent after the evaluation day; talent_a2 shares one granted patent as second holder."""
    a, a2 = world.talent_a, world.talent_a2
    factories.make_achievement(a, a2, kind="patent_granted", reference="ZL1", achieved_on=dt.date(2019, 1, 1))
    factories.make_achievement(a, kind="patent_granted", reference="ZL2", achieved_on=dt.date(2023, 1, 1))
    factories.make_achievement(a, kind="patent_applied", reference="CN3", achieved_on=DAY)
    factories.make_achievement(
        a, kind="patent_applied", reference="CN4", achieved_on=DAY + dt.timedelta(days=1)
    )
    transfer = {"kind": "tech_transfer"}
    factories.make_achievement(a, **transfer, achieved_on=dt.date(2021, 6, 30), amount=Decimal("1000000"))
    factories.make_achievement(a, **transfer, achieved_on=dt.date(2021, 7, 1), amount=Decimal("250000.60"))
    factories.make_achievement(a, **transfer, achieved_on=dt.date(2024, 1, 1), amount=Decimal("0.50"))
    factories.make_achievement(a, **transfer, achieved_on=dt.date(2024, 7, 1), amount=Decimal("99"))
    factories.make_achievement(
        a, kind="venture_tax", achieved_on=dt.date(2022, 12, 31), amount=Decimal("80000")
    )
    factories.make_achievement(a, kind="award", level="provincial", achieved_on=dt.date(2020, 3, 1))
    factories.make_achievement(a, kind="project", achieved_on=dt.date(2018, 3, 1), amount=Decimal("500000"))
    factories.make_achievement(a, kind="standard", achieved_on=dt.date(2022, 3, 1))
    factories.make_achievement(a, kind="new_product", achieved_on=dt.date(2022, 4, 1))
    return world


def test_feature_columns_count_achievements_held_on_or_before_the_evaluation_date(achieved):
    frame = build_feature_frame(DAY)

    row = _row(frame, achieved.talent_a)
    assert {name: row[name] for name in COLUMNS} == {
        "patents_granted": 2,
        "patents_applied": 3,  # filed: the pending one and the two granted, not the one of tomorrow
        "tech_transfers": 3,  # the transfer after the evaluation day does not count
        "new_products": 1,
        "standards": 1,
        "awards": 1,
        "projects": 1,
        # after 2021-06-30 up to 2024-06-30: 250,000.60 + 0.50, in whole yuan
        "transfer_income_3y": 250_001,
        "venture_tax_3y": 80_000,
    }
    second = _row(frame, achieved.talent_a2)
    assert (second["patents_granted"], second["patents_applied"], second["tech_transfers"]) == (1, 1, 0)
    nothing = _row(frame, achieved.talent_b)
    assert all(nothing[name] == 0 for name in COLUMNS)


def test_the_window_of_the_three_year_sums_moves_with_the_evaluation_date(achieved):
    row = _row(build_feature_frame(dt.date(2024, 7, 1)), achieved.talent_a)
    # 2021-07-01 leaves the window, 2024-07-01 enters it
    assert row["transfer_income_3y"] == 99  # 0.50 + 99 = 99.50, in whole yuan
    assert row["tech_transfers"] == 4
    early = _row(build_feature_frame(dt.date(2018, 12, 31)), achieved.talent_a)
    assert (early["patents_granted"], early["projects"], early["transfer_income_3y"]) == (0, 1, 0)


def test_the_compiled_path_and_the_reference_evaluator_accept_the_new_variables(achieved):
    frame = build_feature_frame(DAY)
    sources = {
        "patents": "talent.patents_applied >= 2 && talent.patents_granted >= 1",
        "income": "talent.transfer_income_3y > 250000 || talent.venture_tax_3y >= 100000",
        "mixed": "talent.awards + talent.projects + talent.standards + talent.new_products == 4",
        "tech": "talent.tech_transfers * 2 >= 6",
    }
    rules = {key: compile_rule(source, expect="bool") for key, source in sources.items()}
    batch = evaluate_rules(frame, rules)
    for index, row in enumerate(frame.iter_rows(named=True)):
        for key, rule in rules.items():
            expected = reference_evaluate(rule, activation=feature_row_to_cel(row))
            assert batch[key][index] == expected, (key, row["talent_id"])
    by_talent = dict(zip(frame["talent_id"].to_list(), batch["patents"].to_list(), strict=True))
    assert by_talent[achieved.talent_a.pk] is True and by_talent[achieved.talent_a2.pk] is False


def test_a_policy_on_patents_applied_reaches_the_talents_through_matching(achieved, issue):
    policy = issue("patents", "talent.patents_applied >= 2", "5000")

    run_match(evaluation_date=DAY)

    granted = {e.talent_id: e.amount for e in Entitlement.objects.filter(policy=policy)}
    assert granted == {achieved.talent_a.pk: Decimal("5000.00")}
    assert run_match(evaluation_date=DAY).unchanged == 1  # a second run changes nothing


# The cached frame notices achievement changes -----------------------------------------------------


@pytest.fixture
def snapshots(settings, tmp_path):
    settings.RENCAI_FRAME_DIR = str(tmp_path / "frames")
    clear_cache()
    yield
    clear_cache()


def _cached():
    return cached_feature_frame(DAY), last_refresh()


def test_the_cached_frame_reads_again_the_holders_of_new_and_changed_achievements(world, snapshots):
    _cached()
    assert _cached()[1] == "cached"

    achievement = factories.make_achievement(world.talent_b, kind="tech_transfer", amount=Decimal("300000"))
    frame, how = _cached()
    # (the world's talents, all written within the refresh margin, are read again with it)
    assert how.startswith("refreshed") and _row(frame, world.talent_b)["tech_transfers"] == 1
    assert frame.equals(build_feature_frame(DAY))

    achievement.amount = Decimal("400000")
    achievement.achieved_on = dt.date(2023, 1, 1)
    achievement.save()  # updated_at moves: its holders are read again
    frame, how = _cached()
    assert how.startswith("refreshed") and _row(frame, world.talent_b)["transfer_income_3y"] == 400_000
    assert frame.equals(build_feature_frame(DAY))


def test_a_deleted_achievement_or_holder_rebuilds_the_cached_frame(world, snapshots):
    achievement = factories.make_achievement(world.talent_a, world.talent_a2, kind="award")
    _cached()

    AchievementHolder.objects.filter(achievement=achievement, talent=world.talent_a2).delete()
    frame, how = _cached()
    assert how == "built" and _row(frame, world.talent_a2)["awards"] == 0

    Achievement.objects.filter(pk=achievement.pk).delete()
    frame, how = _cached()
    assert how == "built" and _row(frame, world.talent_a)["awards"] == 0


def test_a_snapshot_written_by_code_before_the_achievement_columns_is_not_used(world, snapshots, monkeypatch):
    from rencai.policies import features

    _cached()
    clear_cache()
    monkeypatch.setattr(features, "_code_fingerprint", lambda: "older-code")
    _frame, how = _cached()
    assert how == "built"
