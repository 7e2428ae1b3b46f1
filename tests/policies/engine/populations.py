"""Talent feature rows for engine tests: seeded random populations and hypothesis strategies."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import strategies as st

from rencai.policies.engine.schema import (
    FEATURES,
    NATIONALITIES,
    REGIONS,
    default_row,
    frame_from_rows,
)

# every value a feature may take in tests, including some outside the labelled ones for open features
DOMAINS: dict[str, list] = {
    "gender": ["male", "female", ""],
    "degree": list(FEATURES["degree"].values),
    "team": list(FEATURES["team"].values),
    "tier": list(FEATURES["tier"].values),
    "title_level": list(FEATURES["title_level"].values),
    "region": [*REGIONS, "110105", ""],
    "nationality": [*NATIONALITIES, "ZZ"],
    "employment_type": list(FEATURES["employment_type"].values),
    "employer_industry": list(FEATURES["employer_industry"].values),
    "employer_size": list(FEATURES["employer_size"].values),
    "status": list(FEATURES["status"].values),
}
PROGRAMME_VALUES = list(FEATURES["programmes"].values)
PLATFORM_VALUES = list(FEATURES["platform_kinds"].values)
DEGREE_LEVEL = {"none": 0, "associate": 1, "bachelor": 2, "master": 3, "doctor": 4}
TITLE_RANK = {"": 0, "junior": 1, "intermediate": 2, "deputy_senior": 3, "senior": 4}


def _row_from_choices(talent_id: int, choose, choose_achievements=None) -> dict:
    """A consistent row: degree_level follows degree, title_rank follows title_level, patents_applied
    counts the granted ones. `choose_achievements` (default `choose`) picks the achievement counts: a
    seeded sample draws them from a second generator, so the other features keep their sequence."""
    values = {name: choose(name, domain) for name, domain in DOMAINS.items()}
    values["degree_level"] = DEGREE_LEVEL[values["degree"]]
    values["title_rank"] = TITLE_RANK[values["title_level"]]
    values["age"] = choose("age", range(18, 91))
    values["skill_level"] = choose("skill_level", range(6))
    values["months_employed_locally"] = choose("months_employed_locally", [0, 1, 5, 6, 12, 35, 36, 120, 400])
    values["years_since_arrival"] = choose("years_since_arrival", range(41))
    values["has_overseas_degree"] = choose("has_overseas_degree", [False, True])
    values["employer_is_platform"] = choose("employer_is_platform", [False, True])
    values["employer_is_high_tech"] = choose("employer_is_high_tech", [False, True])
    values["is_researcher_venture"] = choose("is_researcher_venture", [False, True])
    values["programmes"] = choose("programmes", [[], *([p] for p in PROGRAMME_VALUES), PROGRAMME_VALUES[:2]])
    values["platform_kinds"] = choose(
        "platform_kinds", [[], *([k] for k in PLATFORM_VALUES), PLATFORM_VALUES[::2]]
    )
    values["arrival_date"] = choose(
        "arrival_date", [dt.date(2010, 1, 1), dt.date(2016, 12, 31), dt.date(2017, 1, 1), dt.date(2017, 3, 1),
                         dt.date(2019, 6, 15), dt.date(2023, 1, 1)]
    )  # fmt: skip
    values.update(_achievements(choose_achievements or choose))
    return default_row(talent_id, **values)


def _achievements(choose) -> dict:
    values = {
        name: choose(name, [0, 0, 1, 2, 3, 7])
        for name in ("patents_granted", "tech_transfers", "new_products", "standards", "awards", "projects")
    }
    # applications include the granted patents: never fewer than those
    values["patents_applied"] = values["patents_granted"] + choose("patents_applied", [0, 1, 2])
    values["transfer_income_3y"] = choose("transfer_income_3y", [0, 1, 99_999, 100_000, 500_000, 2_000_000])
    values["venture_tax_3y"] = choose("venture_tax_3y", [0, 50_000, 1_000_000, 10**12])
    # drawn last, from the same generator: the features drawn before keep their sequence
    values["arrived_with_project"] = choose("arrived_with_project", [False, True])
    return values


def sample_rows(count: int, seed: int = 20170301) -> list[dict]:
    generator, achievements = random.Random(seed), random.Random(seed + 1)
    return [
        _row_from_choices(
            i + 1,
            lambda _name, domain: generator.choice(list(domain)),
            lambda _name, domain: achievements.choice(list(domain)),
        )
        for i in range(count)
    ]


def sample_frame(count: int, seed: int = 20170301):
    rows = sample_rows(count, seed)
    return frame_from_rows(rows), rows


@st.composite
def talent_rows(draw, talent_id: int = 1) -> dict:
    return _row_from_choices(talent_id, lambda _name, domain: draw(st.sampled_from(list(domain))))


@st.composite
def populations(draw, min_size: int = 1, max_size: int = 60) -> list[dict]:
    size = draw(st.integers(min_size, max_size))
    return [draw(talent_rows(talent_id=i + 1)) for i in range(size)]
