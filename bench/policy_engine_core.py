"""Benchmark of the policy engine core (no Django, no database): prints figures, asserts nothing.

    .venv/bin/python bench/policy_engine_core.py [--rows 1000000] [--repeat 7] [--reference-rows 2000]

A synthetic feature frame with realistic distributions (seeded, generated inside polars), 50 realistic
eligibility rules and 50 amount rules written in CEL, and the same rules written by hand in polars.
Prints: compile time, batch time (all 50 rules in one select), hand-written time and the ratio,
amount rules likewise, explaining one talent against 50 policies, the celpy reference evaluator's
speed on a sample, the batch speed-up over it, and whether batch and reference agree on the sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable

import polars as pl

from rencai.policies.engine import compile_rule, evaluate_amounts, evaluate_rules, explain, reference_evaluate
from rencai.policies.engine.schema import FEATURES, check_frame, feature_row_to_cel, frame_schema

EVALUATION_DATE = dt.date(2025, 1, 1)
COUNTIES = {"330802": 0.20, "330803": 0.15, "330822": 0.12, "330824": 0.10, "330825": 0.18, "330881": 0.25}


# -- synthetic population ------------------------------------------------------------------------


def _uniform(seed: int) -> pl.Expr:
    """A deterministic uniform [0, 1) column, one draw per row."""
    return (pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % 1_000_003).cast(pl.Float64) / 1_000_003


def _choice(seed: int, weights: dict) -> pl.Expr:
    """One value per row, drawn with the given probabilities (a when/then ladder on a uniform)."""
    u = _uniform(seed)
    values, cumulative, total = list(weights), [], 0.0
    for value in values:
        total += weights[value]
        cumulative.append(total)
    dtype = pl.Int64 if isinstance(values[0], int) else pl.Utf8
    chain = pl.when(u < cumulative[0] / total).then(pl.lit(values[0], dtype))
    for value, bound in zip(values[1:-1], cumulative[1:-1], strict=True):
        chain = chain.when(u < bound / total).then(pl.lit(value, dtype))
    return chain.otherwise(pl.lit(values[-1], dtype))


def _flags(seed: int, probabilities: dict[str, float]) -> pl.Expr:
    """A list<string> column: each value present independently with its probability."""
    members = [
        pl.when(_uniform(seed + i) < p).then(pl.lit(value)).otherwise(pl.lit(None, pl.Utf8))
        for i, (value, p) in enumerate(probabilities.items())
    ]
    return pl.concat_list(members).list.drop_nulls()


def synthetic_frame(rows: int) -> pl.DataFrame:
    degree = _choice(3, {"none": 0.10, "associate": 0.25, "bachelor": 0.40, "master": 0.18, "doctor": 0.07})
    title = _choice(
        7, {"": 0.50, "junior": 0.20, "intermediate": 0.18, "deputy_senior": 0.09, "senior": 0.03}
    )
    arrival = pl.lit(dt.date(1995, 1, 1)) + pl.duration(days=(_uniform(21) * 10_950).cast(pl.Int64))
    base = pl.DataFrame({"talent_id": pl.int_range(1, rows + 1, eager=True)}).with_columns(
        (22 + (_uniform(1) + _uniform(2)) * 21.5).cast(pl.Int64).alias("age"),
        _choice(4, {"male": 0.55, "female": 0.45}).alias("gender"),
        degree.alias("degree"),
        _uniform(5).alias("_overseas"),
        _choice(6, {"party_gov": 0.08, "enterprise_mgmt": 0.12, "professional": 0.45, "high_skill": 0.20,
                    "rural": 0.10, "social_work": 0.05}).alias("team"),
        _choice(8, {"A": 0.0005, "B": 0.005, "C": 0.02, "D": 0.08, "E": 0.25, "": 0.6445}).alias("tier"),
        title.alias("title_level"),
        _choice(9, {0: 0.75, 5: 0.08, 4: 0.07, 3: 0.06, 2: 0.03, 1: 0.01}).alias("skill_level"),
        _choice(10, COUNTIES).alias("region"),
        _choice(11, {"CN": 0.985, "US": 0.004, "DE": 0.003, "JP": 0.003, "KR": 0.003, "GB": 0.002}).alias(
            "nationality"),
        _choice(12, {"full_time": 0.80, "flexible": 0.08, "enclave": 0.03, "none": 0.09}).alias(
            "employment_type"),
        (_uniform(13) * 360).cast(pl.Int64).alias("months_employed_locally"),
        _choice(14, {"manufacturing": 0.2, "chemicals": 0.12, "equipment": 0.1, "electronics": 0.1,
                     "biomedicine": 0.06, "agriculture": 0.08, "tourism": 0.06, "services": 0.12,
                     "construction": 0.05, "education": 0.02, "": 0.09}).alias("employer_industry"),
        _choice(15, {"large": 0.15, "medium": 0.30, "small": 0.35, "micro": 0.11, "": 0.09}).alias(
            "employer_size"),
        (_uniform(16) < 0.05).alias("employer_is_platform"),
        (_uniform(17) < 0.20).alias("employer_is_high_tech"),
        _flags(100, {"national_programme": 0.005, "provincial_programme": 0.02, "city_programme": 0.05,
                     "academician": 0.0005, "craftsman": 0.03}).alias("programmes"),
        _flags(200, {"enclave": 0.02, "academician_station": 0.01, "doctoral_station": 0.015,
                     "recruiting_station": 0.01, "overseas_station": 0.005, "rd_center": 0.04}).alias(
            "platform_kinds"),
        (_uniform(19) < 0.01).alias("is_researcher_venture"),
        arrival.alias("arrival_date"),
        _choice(20, {"active": 0.95, "departed": 0.05}).alias("status"),
    )  # fmt: skip
    levels = {"none": 0, "associate": 1, "bachelor": 2, "master": 3, "doctor": 4}
    ranks = {"": 0, "junior": 1, "intermediate": 2, "deputy_senior": 3, "senior": 4}
    day = pl.lit(EVALUATION_DATE)
    years = day.dt.year() - pl.col("arrival_date").dt.year()
    frame = base.with_columns(
        pl.col("degree").replace_strict(levels, return_dtype=pl.Int64).alias("degree_level"),
        pl.col("title_level").replace_strict(ranks, return_dtype=pl.Int64).alias("title_rank"),
        (pl.col("_overseas") < 0.03 + 0.25 * (pl.col("degree").is_in(["master", "doctor"]))).alias(
            "has_overseas_degree"
        ),
        (years - (day.dt.ordinal_day() < pl.col("arrival_date").dt.ordinal_day()).cast(pl.Int32))
        .clip(lower_bound=0)
        .cast(pl.Int64)
        .alias("years_since_arrival"),
    )
    frame = frame.select(list(frame_schema())).cast(dict(frame_schema()))  # type: ignore[arg-type]
    check_frame(frame)
    return frame.rechunk()


# -- rules: CEL and hand-written polars ---------------------------------------------------------

c = pl.col


def isin(column: str, values: list, tuned: bool) -> pl.Expr:
    """Idiomatic `is_in`, or the tuned OR of equalities (what the compiler emits for short string lists)."""
    if not tuned or not isinstance(values[0], str):
        return c(column).is_in(values)
    result = c(column) == values[0]
    for value in values[1:]:
        result = result | (c(column) == value)
    return result


def has(column: str, value: str) -> pl.Expr:
    return c(column).list.contains(value)


HIGH = ["A", "B", "C"]
HIGH_D = ["A", "B", "C", "D"]
Rule = tuple[str, Callable[[bool], pl.Expr]]

ELIGIBILITY: list[Rule] = [
    ('talent.tier in ["A", "B", "C", "D"] && talent.status == "active"',
     lambda t: isin("tier", HIGH_D, t) & (c("status") == "active")),
    ('talent.tier in ["A", "B", "C"] || (talent.tier == "D" && talent.degree == "doctor")',
     lambda t: isin("tier", HIGH, t) | ((c("tier") == "D") & (c("degree") == "doctor"))),
    ('talent.tier in ["A", "B", "C", "D"] && talent.months_employed_locally >= 6',
     lambda t: isin("tier", HIGH_D, t) & (c("months_employed_locally") >= 6)),
    ('talent.degree == "doctor" && talent.age <= 45', lambda t: (c("degree") == "doctor") & (c("age") <= 45)),
    ('talent.degree == "doctor" && talent.age <= 45 && talent.employment_type == "full_time"',
     lambda t: (c("degree") == "doctor") & (c("age") <= 45) & (c("employment_type") == "full_time")),
    ('talent.degree == "master" && talent.age <= 35 && talent.employment_type == "full_time" '
     '&& talent.years_since_arrival <= 5',
     lambda t: (c("degree") == "master") & (c("age") <= 35) & (c("employment_type") == "full_time")
     & (c("years_since_arrival") <= 5)),
    ('talent.employer_is_platform && talent.tier in ["A", "B", "C"] && talent.years_since_arrival <= 3',
     lambda t: c("employer_is_platform") & isin("tier", HIGH, t) & (c("years_since_arrival") <= 3)),
    ("talent.is_researcher_venture && talent.title_rank >= 3",
     lambda t: c("is_researcher_venture") & (c("title_rank") >= 3)),
    ('"national_programme" in talent.programmes', lambda t: has("programmes", "national_programme")),
    ('"provincial_programme" in talent.programmes', lambda t: has("programmes", "provincial_programme")),
    ('talent.team == "high_skill" && talent.skill_level in [1, 2]',
     lambda t: (c("team") == "high_skill") & c("skill_level").is_in([1, 2])),
    ('"enclave" in talent.platform_kinds || talent.employment_type in ["flexible", "enclave"]',
     lambda t: has("platform_kinds", "enclave") | isin("employment_type", ["flexible", "enclave"], t)),
    ('"academician_station" in talent.platform_kinds && talent.degree_level >= 3',
     lambda t: has("platform_kinds", "academician_station") & (c("degree_level") >= 3)),
    ("talent.has_overseas_degree && talent.age <= 50", lambda t: c("has_overseas_degree") & (c("age") <= 50)),
    ('talent.team == "enterprise_mgmt" && talent.employer_is_high_tech',
     lambda t: (c("team") == "enterprise_mgmt") & c("employer_is_high_tech")),
    ('talent.degree == "doctor" && talent.age <= 50 && talent.region == "330825"',
     lambda t: (c("degree") == "doctor") & (c("age") <= 50) & (c("region") == "330825")),
    ('talent.team == "rural" && talent.region == "330825"',
     lambda t: (c("team") == "rural") & (c("region") == "330825")),
    ('talent.region == "330881" && talent.degree_level >= 3 && talent.age <= 50',
     lambda t: (c("region") == "330881") & (c("degree_level") >= 3) & (c("age") <= 50)),
    ('talent.region in ["330802", "330803"] && talent.tier in ["C", "D"] '
     '&& talent.employer_size in ["small", "micro"]',
     lambda t: isin("region", ["330802", "330803"], t) & isin("tier", ["C", "D"], t)
     & isin("employer_size", ["small", "micro"], t)),
    ('talent.region == "330822" && talent.team == "high_skill" '
     '&& talent.skill_level >= 1 && talent.skill_level <= 3',
     lambda t: (c("region") == "330822") & (c("team") == "high_skill") & (c("skill_level") >= 1)
     & (c("skill_level") <= 3)),
    ('talent.region == "330824" && talent.employer_industry in ["tourism", "agriculture"] '
     '&& talent.age <= 40',
     lambda t: (c("region") == "330824") & isin("employer_industry", ["tourism", "agriculture"], t)
     & (c("age") <= 40)),
    ('talent.tier == "A" || "academician" in talent.programmes',
     lambda t: (c("tier") == "A") | has("programmes", "academician")),
    ('talent.tier == "B" || "national_programme" in talent.programmes',
     lambda t: (c("tier") == "B") | has("programmes", "national_programme")),
    ('talent.tier == "C" || "provincial_programme" in talent.programmes',
     lambda t: (c("tier") == "C") | has("programmes", "provincial_programme")),
    ('talent.title_level in ["deputy_senior", "senior"] && talent.team == "professional" && talent.age <= 55',
     lambda t: isin("title_level", ["deputy_senior", "senior"], t) & (c("team") == "professional")
     & (c("age") <= 55)),
    ('talent.title_rank >= 2 && talent.employer_is_high_tech && talent.employment_type == "full_time"',
     lambda t: (c("title_rank") >= 2) & c("employer_is_high_tech") & (c("employment_type") == "full_time")),
    ('talent.arrival_date >= date("2017-03-01") && talent.degree_level >= 2 && talent.age <= 35',
     lambda t: (c("arrival_date") >= dt.date(2017, 3, 1)) & (c("degree_level") >= 2) & (c("age") <= 35)),
    ('talent.arrival_date >= date("2020-01-01") && talent.tier != ""',
     lambda t: (c("arrival_date") >= dt.date(2020, 1, 1)) & (c("tier") != "")),
    ('talent.years_since_arrival >= 10 && talent.tier in ["A", "B", "C", "D", "E"]',
     lambda t: (c("years_since_arrival") >= 10) & isin("tier", ["A", "B", "C", "D", "E"], t)),
    ('talent.platform_kinds.exists(k, k in ["doctoral_station", "academician_station"]) '
     '&& talent.degree == "doctor"',
     lambda t: c("platform_kinds").list.eval(isin_element(["doctoral_station", "academician_station"], t))
     .list.any() & (c("degree") == "doctor")),
    ("size(talent.programmes) >= 2", lambda t: c("programmes").list.len() >= 2),
    ('"craftsman" in talent.programmes && talent.team == "high_skill"',
     lambda t: has("programmes", "craftsman") & (c("team") == "high_skill")),
    ('"rd_center" in talent.platform_kinds && talent.employer_size in ["large", "medium"]',
     lambda t: has("platform_kinds", "rd_center") & isin("employer_size", ["large", "medium"], t)),
    ('"recruiting_station" in talent.platform_kinds || "overseas_station" in talent.platform_kinds',
     lambda t: has("platform_kinds", "recruiting_station") | has("platform_kinds", "overseas_station")),
    ('talent.nationality != "CN" && talent.employment_type == "full_time" && talent.degree_level >= 3',
     lambda t: (c("nationality") != "CN") & (c("employment_type") == "full_time") & (c("degree_level") >= 3)),
    ('talent.gender == "female" && talent.title_rank >= 3 && talent.age <= 45',
     lambda t: (c("gender") == "female") & (c("title_rank") >= 3) & (c("age") <= 45)),
    ('talent.team == "social_work" && talent.title_rank >= 2',
     lambda t: (c("team") == "social_work") & (c("title_rank") >= 2)),
    ('talent.team == "party_gov" && talent.degree_level >= 3 && talent.age < 40',
     lambda t: (c("team") == "party_gov") & (c("degree_level") >= 3) & (c("age") < 40)),
    ('talent.employer_industry in ["electronics", "biomedicine", "equipment"] && talent.degree_level >= 2 '
     '&& talent.months_employed_locally >= 12',
     lambda t: isin("employer_industry", ["electronics", "biomedicine", "equipment"], t)
     & (c("degree_level") >= 2) & (c("months_employed_locally") >= 12)),
    ('talent.employer_industry == "chemicals" && talent.title_level == "senior"',
     lambda t: (c("employer_industry") == "chemicals") & (c("title_level") == "senior")),
    ('talent.employment_type == "enclave" && talent.tier in ["A", "B", "C", "D"]',
     lambda t: (c("employment_type") == "enclave") & isin("tier", HIGH_D, t)),
    ('talent.employment_type == "flexible" && (talent.tier in ["A", "B"] || talent.title_rank == 4)',
     lambda t: (c("employment_type") == "flexible") & (isin("tier", ["A", "B"], t) | (c("title_rank") == 4))),
    ('talent.skill_level in [1, 2, 3] && talent.age <= 40 && talent.employment_type == "full_time"',
     lambda t: c("skill_level").is_in([1, 2, 3]) & (c("age") <= 40) & (c("employment_type") == "full_time")),
    ('talent.degree_level >= 2 && talent.age <= 30 && talent.years_since_arrival <= 2 '
     '&& talent.status == "active"',
     lambda t: (c("degree_level") >= 2) & (c("age") <= 30) & (c("years_since_arrival") <= 2)
     & (c("status") == "active")),
    ('!talent.employer_is_platform && talent.tier == "D" && talent.degree_level >= 3',
     lambda t: ~c("employer_is_platform") & (c("tier") == "D") & (c("degree_level") >= 3)),
    ('talent.region.startsWith("3308") && talent.tier in ["A", "B"]',
     lambda t: c("region").str.starts_with("3308") & isin("tier", ["A", "B"], t)),
    ('talent.has_overseas_degree && talent.degree == "doctor" && talent.arrival_date >= date("2017-01-01")',
     lambda t: c("has_overseas_degree") & (c("degree") == "doctor")
     & (c("arrival_date") >= dt.date(2017, 1, 1))),
    ('talent.months_employed_locally >= 36 && talent.title_rank >= 2 '
     '&& talent.region in ["330881", "330825"]',
     lambda t: (c("months_employed_locally") >= 36) & (c("title_rank") >= 2)
     & isin("region", ["330881", "330825"], t)),
    ('(talent.tier in ["A", "B", "C"] && talent.age <= 55) || (talent.tier == "D" && talent.age <= 45)',
     lambda t: (isin("tier", HIGH, t) & (c("age") <= 55)) | ((c("tier") == "D") & (c("age") <= 45))),
    ('talent.team in ["professional", "high_skill"] && talent.employer_size != "" && talent.age >= 25 '
     '&& talent.age <= 45',
     lambda t: isin("team", ["professional", "high_skill"], t) & (c("employer_size") != "") & (c("age") >= 25)
     & (c("age") <= 45)),
]  # fmt: skip

AMOUNTS: list[Rule] = [
    ('talent.tier == "A" ? 30000 : (talent.tier == "B" ? 20000 : 10000)',
     lambda t: pl.when(c("tier") == "A").then(30000).when(c("tier") == "B").then(20000).otherwise(10000)),
    ('talent.tier == "A" ? 1500000 : '
     '(talent.tier == "B" ? 1200000 : (talent.tier == "C" ? 1000000 : 600000))',
     lambda t: pl.when(c("tier") == "A").then(1500000).when(c("tier") == "B").then(1200000)
     .when(c("tier") == "C").then(1000000).otherwise(600000)),
    ("talent.has_overseas_degree ? 250000 : 200000",
     lambda t: pl.when(c("has_overseas_degree")).then(250000).otherwise(200000)),
    ("150000", lambda t: pl.lit(150000)),
    ("talent.skill_level == 1 ? 12000 : 6000",
     lambda t: pl.when(c("skill_level") == 1).then(12000).otherwise(6000)),
    ("talent.months_employed_locally * 500", lambda t: c("months_employed_locally") * 500),
    ("talent.title_rank * 2000 + talent.degree_level * 1000",
     lambda t: c("title_rank") * 2000 + c("degree_level") * 1000),
    ('talent.tier in ["A", "B"] ? 1000000 : (talent.tier == "C" ? 500000 : 200000)',
     lambda t: pl.when(isin("tier", ["A", "B"], t)).then(1000000).when(c("tier") == "C").then(500000)
     .otherwise(200000)),
    ("size(talent.programmes) * 50000", lambda t: c("programmes").list.len().cast(pl.Int64) * 50000),
    ("double(talent.years_since_arrival) * 1200.5",
     lambda t: c("years_since_arrival").cast(pl.Float64) * 1200.5),
]  # fmt: skip
AMOUNTS = (AMOUNTS * 5)[:50]


def isin_element(values: list[str], tuned: bool) -> pl.Expr:
    if not tuned:
        return pl.element().is_in(values)
    result = pl.element() == values[0]
    for value in values[1:]:
        result = result | (pl.element() == value)
    return result


# -- measurement ----------------------------------------------------------------------------------


def timed(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    function()  # warm up
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def interleaved(functions: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, object]]:
    """Median times of several functions run in turn, so load from other processes hits them alike."""
    results = {name: function() for name, function in functions.items()}  # warm up
    timings: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            started = time.perf_counter()
            results[name] = function()
            timings[name].append(time.perf_counter() - started)
    return {name: (statistics.median(timings[name]), results[name]) for name in functions}


def hand_written(frame: pl.DataFrame, rules: list[Rule], tuned: bool, as_float: bool = False) -> pl.DataFrame:
    columns = []
    for index, (_source, build) in enumerate(rules):
        expression = build(tuned)
        columns.append((expression.cast(pl.Float64) if as_float else expression).alias(str(index)))
    return frame.lazy().select(c("talent_id"), *columns).collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reference-rows", type=int, default=2_000)
    args = parser.parse_args()
    assert len(ELIGIBILITY) == 50 and len(AMOUNTS) == 50
    print(f"polars {pl.__version__}, {pl.thread_pool_size()} threads, {os.cpu_count()} CPUs, "
          f"{len(FEATURES)} features")  # fmt: skip

    started = time.perf_counter()
    frame = synthetic_frame(args.rows)
    size = frame.estimated_size("mb")
    print(f"synthetic frame: {frame.height:,} rows × {frame.width} columns, {size:.0f} MB, "
          f"built in {time.perf_counter() - started:.2f} s")  # fmt: skip

    started = time.perf_counter()
    rules = {i: compile_rule(source) for i, (source, _) in enumerate(ELIGIBILITY)}
    amounts = {i: compile_rule(source, expect="number") for i, (source, _) in enumerate(AMOUNTS)}
    for rule in [*rules.values(), *amounts.values()]:
        rule.to_polars()
    print(f"compile 100 rules (parse, check, polars): {(time.perf_counter() - started) * 1000:.1f} ms")

    measured = interleaved(
        {
            "batch": lambda: evaluate_rules(frame, rules),
            "eager": lambda: frame.select(
                c("talent_id"), *[r.to_polars().alias(str(k)) for k, r in rules.items()]
            ),
            "idiomatic": lambda: hand_written(frame, ELIGIBILITY, tuned=False),
            "tuned": lambda: hand_written(frame, ELIGIBILITY, tuned=True),
        },
        args.repeat,
    )
    (batch_time, batch), (eager_time, _) = measured["batch"], measured["eager"]
    (idiomatic_time, idiomatic), (tuned_time, _) = measured["idiomatic"], measured["tuned"]
    same = all(batch[str(i)].equals(idiomatic[str(i)]) for i in range(50))  # type: ignore[index]
    print("\n50 eligibility rules over the frame (median of", args.repeat, "runs):")
    print(f"  engine batch (one lazy select)        {batch_time * 1000:8.1f} ms")
    print(f"  engine batch (eager frame.select)     {eager_time * 1000:8.1f} ms")
    print(f"  hand-written polars, idiomatic is_in  {idiomatic_time * 1000:8.1f} ms   ratio engine/hand "
          f"{batch_time / idiomatic_time:.2f}")  # fmt: skip
    print(f"  hand-written polars, tuned == chains  {tuned_time * 1000:8.1f} ms   ratio engine/hand "
          f"{batch_time / tuned_time:.2f}")  # fmt: skip
    print(f"  engine and hand-written results identical: {same}")

    measured = interleaved(
        {
            "batch": lambda: evaluate_amounts(frame, amounts),
            "hand": lambda: hand_written(frame, AMOUNTS, False, as_float=True),
        },
        args.repeat,
    )
    (amount_time, amount_frame), (hand_amount_time, hand_amounts) = measured["batch"], measured["hand"]
    same_amounts = all(amount_frame[str(i)].equals(hand_amounts[str(i)]) for i in range(50))  # type: ignore[index]
    print("\n50 amount rules:")
    print(f"  engine batch {amount_time * 1000:.1f} ms, hand-written {hand_amount_time * 1000:.1f} ms, "
          f"ratio {amount_time / hand_amount_time:.2f}, identical: {same_amounts}")  # fmt: skip

    row = frame.row(min(12_345, frame.height - 1), named=True)
    pairs = [(rules[i], amounts[i]) for i in range(50)]
    cold_started = time.perf_counter()  # rule texts never seen before: compile and plan, then explain
    for rule, amount in pairs:
        explain(compile_rule(f"({rule.source})"), row, compile_rule(f"({amount.source})", expect="number"))
    cold = time.perf_counter() - cold_started
    explain_time, _ = timed(lambda: [explain(r, row, a).render_zh() for r, a in pairs], max(args.repeat, 20))
    print("\nexplain one talent against 50 policies (eligibility + amount, rendered in Chinese):")
    print(f"  warm (rules and plans cached) {explain_time * 1000:.2f} ms; "
          f"50 never-seen rule texts (compile + plan + explain) {cold * 1000:.1f} ms")  # fmt: skip
    print("  e.g.", explain(pairs[3][0], row, pairs[3][1]).render_zh().replace("\n", " | ")[:150])

    sample = frame.head(args.reference_rows)
    sample_rows = sample.to_dicts()
    started = time.perf_counter()
    activations = [feature_row_to_cel(r) for r in sample_rows]
    reference = {
        key: [reference_evaluate(rule, activation=a) for a in activations] for key, rule in rules.items()
    }
    reference_time = time.perf_counter() - started
    evaluations = len(sample_rows) * len(rules)
    per_evaluation_reference = reference_time / evaluations
    per_evaluation_batch = batch_time / (frame.height * len(rules))
    sample_batch = evaluate_rules(sample, rules)
    agree = all(sample_batch[str(k)].to_list() == v for k, v in reference.items())
    print(
        f"\ncelpy reference on {len(sample_rows):,} rows × 50 rules: {reference_time:.2f} s "
        f"({evaluations / reference_time:,.0f} evaluations/s, {per_evaluation_reference * 1e6:.1f} µs each)"
    )
    print(
        f"  batch: {frame.height * len(rules) / batch_time:,.0f} evaluations/s; "
        f"speed-up over the reference {per_evaluation_reference / per_evaluation_batch:,.0f}×"
    )
    print(f"  batch and reference agree on the sample: {agree}")  # fmt: skip


if __name__ == "__main__":
    main()
