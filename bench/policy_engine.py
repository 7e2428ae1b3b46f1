"""Benchmark of the policy engine on a real registry (Django, PostgreSQL and SQLite): prints figures.

    .venv/bin/python bench/policy_engine.py [--pg URL] [--sqlite URL] [--repeat 5] [--reference-rows 2000]

Needs a 1,000,000-talent registry in PostgreSQL (`bench/registry.py`); the SQLite file is created with
`rencai migrate && rencai demo --talents 1000000` when it does not exist. The script migrates, then
issues 50 policies of realistic shape (`bench-00` … `bench-49`: the 50 eligibility and amount rules of
`bench/policy_engine_core.py`, some with budgets, one exclusivity group, some proactive) unless they
exist, and runs a first `rencai match` if no entitlement exists yet. Then it prints:

  (a) the 50 issued rules evaluated over the real feature frame, against the same rules hand-written in
      polars (interleaved runs, median), and matching's whole evaluation (`eligibility_frame`);
  (b) building the feature frame from PostgreSQL and from SQLite (each in a fresh process);
  (c) a whole `rencai match` that changes nothing (a separate process: wall time, peak RSS via wait4);
  (d) explaining one talent against all 50 policies (engine only, and `benefits_of` with its queries);
  (e) a simulation of one edited policy: frame cached in the process; after talents were edited; in a
      process that has just started, from the day's snapshot on disk and with no snapshot (built);
  and the speed-up of the batch path over the celpy reference evaluator on a sample.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rencai_bench")
SQLITE = os.environ.get("BENCH_SQLITE_URL", "sqlite:////tmp/h4/rc-1m.sqlite3")
RENCAI = str(ROOT / ".venv" / "bin" / "rencai")
PYTHON = sys.executable


def child(args: list[str], database: str) -> tuple[float, int, str]:
    """Run a process against `database`: (wall seconds, peak RSS in MiB, stdout)."""
    env = {**os.environ, "DATABASE_URL": database}
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{args} failed ({process.returncode}):\n{output}")
    return wall, usage.ru_maxrss // 1024, output


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    import django

    django.setup()


# -- the 50 policies -----------------------------------------------------------------------------


def ensure_policies() -> int:
    """Issue bench-00 … bench-49 (idempotent). Returns how many were created."""
    sys.path.insert(0, str(ROOT / "bench"))
    import policy_engine_core as core
    from rencai.core.models import Region
    from rencai.policies.models import Policy, PolicyVersion

    city = Region.objects.get(code="330800")
    created = 0
    for index, ((rule, _), (amount, _)) in enumerate(zip(core.ELIGIBILITY, core.AMOUNTS, strict=True)):
        code = f"bench-{index:02d}"
        if Policy.objects.filter(code=code).exists():
            continue
        budget = Decimal(20_000_000) if index % 4 == 1 else None  # every fourth policy has a budget
        policy = Policy.objects.create(
            code=code,
            name=f"基准政策 {index:02d}",
            region=city,
            kind="subsidy",
            is_proactive=index % 3 == 0,
            budget_total=budget,
            exclusivity_group="settlement" if index in (3, 4, 5) else "",
        )
        PolicyVersion.objects.create(
            policy=policy,
            number=1,
            effective_from=dt.date(2017, 1, 1),
            eligibility_rule=rule,
            amount_rule=amount,
            status="issued",
        )
        created += 1
    return created


def setup_child() -> None:
    from rencai.policies.models import Entitlement
    from rencai.policies.selectors import versions_in_force

    created = ensure_policies()
    print(f"bench policies created: {created}; in force today: {len(versions_in_force(dt.date.today()))}")
    if not Entitlement.objects.exists():
        from rencai.policies.matching import run_match

        started = time.perf_counter()
        run = run_match()
        print(
            f"first match run (writes every entitlement): {time.perf_counter() - started:.1f} s, "
            f"offered {run.offered}, granted {run.granted}, queued {run.queued}"
        )


def frame_child() -> None:
    from rencai.policies.features import build_feature_frame

    started = time.perf_counter()
    frame = build_feature_frame(dt.date.today())
    seconds = time.perf_counter() - started
    print(f"{seconds:.2f} {frame.height} {frame.estimated_size('mb'):.0f}")


# -- in-process measurements -----------------------------------------------------------------------


def interleaved(functions: dict, repeat: int) -> dict:
    results = {name: function() for name, function in functions.items()}
    timings: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            started = time.perf_counter()
            results[name] = function()
            timings[name].append(time.perf_counter() - started)
    return {name: (statistics.median(timings[name]), results[name]) for name in functions}


def measure_in_process(repeat: int, reference_rows: int) -> None:
    import polars as pl

    sys.path.insert(0, str(ROOT / "bench"))
    from django.test import override_settings

    import policy_engine_core as core
    from rencai.policies.benefits import benefits_of
    from rencai.policies.compiled import compiled_pair
    from rencai.policies.engine import evaluate_rules, explain, feature_row_to_cel, reference_evaluate
    from rencai.policies.features import cached_feature_frame, clear_cache, last_refresh
    from rencai.policies.matching import eligibility_frame
    from rencai.policies.models import PolicyVersion
    from rencai.policies.selectors import versions_in_force
    from rencai.policies.simulation import simulate_version
    from rencai.registry.models import Talent

    day = dt.date.today()
    in_force = [item for item in versions_in_force(day) if item.version.policy.code.startswith("bench-")]
    in_force.sort(key=lambda item: item.version.policy.code)
    started = time.perf_counter()
    frame = cached_feature_frame(day)
    print(
        f"\nfeature frame (PostgreSQL, in process): {frame.height:,} active talents, "
        f"{time.perf_counter() - started:.2f} s ({last_refresh()})"
    )
    rules = {i: compiled_pair(item.version)[0] for i, item in enumerate(in_force)}

    measured = interleaved(
        {
            "engine": lambda: evaluate_rules(frame, rules),
            "hand": lambda: core.hand_written(frame, core.ELIGIBILITY, tuned=False),
            "tuned": lambda: core.hand_written(frame, core.ELIGIBILITY, tuned=True),
            "matching": lambda: eligibility_frame(frame, in_force),
        },
        repeat,
    )
    engine_time, engine = measured["engine"]
    hand_time, hand = measured["hand"]
    tuned_time, _ = measured["tuned"]
    matching_time, eligible = measured["matching"]
    same = all(engine[str(i)].equals(hand[str(i)]) for i in range(len(rules)))
    print(f"\n(a) {len(rules)} issued rules over {frame.height:,} talents (median of {repeat}):")
    print(f"    engine batch                       {engine_time * 1000:8.1f} ms   target < 500 ms")
    print(f"    hand-written polars (is_in)        {hand_time * 1000:8.1f} ms   "
          f"ratio engine/hand {engine_time / hand_time:.2f}   target ≤ 2")  # fmt: skip
    print(f"    hand-written polars (== chains)    {tuned_time * 1000:8.1f} ms   "
          f"ratio engine/hand {engine_time / tuned_time:.2f}   target ≤ 2")  # fmt: skip
    print(f"    results identical to hand-written: {same}")
    print(
        f"    matching's evaluation (rules + amounts + regions + exclusivity → {eligible.height:,} "
        f"eligible pairs): {matching_time * 1000:.1f} ms"
    )

    talent_id = frame["talent_id"][frame.height // 2]
    talent = Talent.objects.get(pk=talent_id)
    row = frame.row(frame.height // 2, named=True)
    pairs = [compiled_pair(item.version) for item in in_force]
    timings = []
    for _ in range(max(repeat, 20)):
        started = time.perf_counter()
        for rule, amount in pairs:
            explain(rule, row, amount).render_zh()
        timings.append(time.perf_counter() - started)
    engine_explain = statistics.median(timings)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        lines = benefits_of(talent, day)
        timings.append(time.perf_counter() - started)
    print(f"\n(d) explain one talent against {len(pairs)} policies:")
    print(f"    engine (explain + Chinese text)    {engine_explain * 1000:8.2f} ms   target < 20 ms")
    print(
        f"    benefits_of (features of one talent from the database, versions in force, "
        f"entitlements, {len(lines)} explanations): {statistics.median(timings) * 1000:.1f} ms"
    )

    policy_version = in_force[3].version  # doctors ≤ 45: the draft raises the age limit to 50
    draft = PolicyVersion(
        policy=policy_version.policy,
        number=policy_version.number + 1,
        effective_from=day,
        eligibility_rule=policy_version.eligibility_rule.replace("<= 45", "<= 50"),
        amount_rule=policy_version.amount_rule,
    )
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        simulation = simulate_version(draft, day=day)
        timings.append(time.perf_counter() - started)
    result = simulation.result
    print(f"\n(e) simulate one edited policy ({policy_version.policy.code}: age ≤ 45 → ≤ 50):")
    print(
        f"    {statistics.median(timings) * 1000:.0f} ms with the frame cached (registry unchanged; "
        f"includes the fingerprint queries)   target < 2 s"
    )
    print(
        f"    current {result.current_count:,} → draft {result.draft_count:,} "
        f"(+{len(result.added_ids):,} −{len(result.removed_ids):,}), cost {result.current_cost} → "
        f"{result.draft_cost} yuan"
    )

    # An officer edits a talent, then simulates: the frame is refreshed for the changed rows only.
    refresh_timings = []
    for n in range(5):
        edited = Talent.objects.get(pk=frame["talent_id"][n * 1000])
        edited.save()  # updated_at moves, as any registry edit does
        started = time.perf_counter()
        simulate_version(draft, day=day)
        refresh_timings.append(time.perf_counter() - started)
        how = last_refresh()
    print(
        f"    after one talent was edited (frame refreshed for the changed rows: {how}): "
        f"{statistics.median(refresh_timings) * 1000:.0f} ms median of 5   target < 2 s"
    )

    # A process that has just started (a restarted server, another worker): it holds no frame. It loads the
    # day's snapshot, written by the last full build (here: the one above or `rencai match`'s), and reads
    # the talents edited since; with no snapshot (snapshots off, or another day) it builds the frame.
    for label, snapshot_dir in (("from the snapshot on disk", None), ("no snapshot: frame built", "")):
        cold_timings, hows = [], []
        for _ in range(3):
            with override_settings(**({} if snapshot_dir is None else {"RENCAI_FRAME_DIR": snapshot_dir})):
                clear_cache()
                started = time.perf_counter()
                simulate_version(draft, day=day)
                cold_timings.append(time.perf_counter() - started)
                hows.append(last_refresh())
        print(
            f"    in a process that has just started, {label} ({', '.join(sorted(set(hows)))}): "
            f"{statistics.median(cold_timings) * 1000:.0f} ms median of 3   target < 2 s"
        )

    sample = frame.head(reference_rows)
    activations = [feature_row_to_cel(r) for r in sample.to_dicts()]
    started = time.perf_counter()
    reference = {k: [reference_evaluate(r, activation=a) for a in activations] for k, r in rules.items()}
    reference_time = time.perf_counter() - started
    agree = all(evaluate_rules(sample, rules)[str(k)].to_list() == v for k, v in reference.items())
    per_reference = reference_time / (sample.height * len(rules))
    per_batch = engine_time / (frame.height * len(rules))
    print(
        f"\nreference evaluator (celpy) on {sample.height:,} talents × {len(rules)} rules: "
        f"{reference_time:.2f} s "
        f"({per_reference * 1e6:.1f} µs per evaluation); batch {per_batch * 1e9:.1f} ns per evaluation; "
        f"speed-up {per_reference / per_batch:,.0f}×; agree on the sample: {agree}"
    )
    del pl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--sqlite", default=SQLITE)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference-rows", type=int, default=2_000)
    parser.add_argument("--child", choices=["setup", "frame"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup_django(os.environ["DATABASE_URL"])
        {"setup": setup_child, "frame": frame_child}[args.child]()
        return

    print(f"PostgreSQL: {args.pg}\nSQLite: {args.sqlite}\n{os.cpu_count()} CPUs")
    # Feature-frame snapshots of this run only: the first `rencai match` builds, later processes load.
    os.environ["RENCAI_FRAME_DIR"] = tempfile.mkdtemp(prefix="bench-frames-")
    atexit.register(shutil.rmtree, os.environ["RENCAI_FRAME_DIR"], ignore_errors=True)
    child([RENCAI, "migrate", "-v0"], args.pg)
    sqlite_file = Path(dj_database_url.parse(args.sqlite)["NAME"])
    missing = not sqlite_file.exists()  # the SQLite registry is made here; PostgreSQL's by bench/registry.py
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    child([RENCAI, "migrate", "-v0"], args.sqlite)
    if missing:
        wall, _, _ = child([RENCAI, "demo", "--talents", "1000000"], args.sqlite)
        print(f"SQLite registry created with `rencai demo --talents 1000000`: {wall:.0f} s")
    print(child([PYTHON, __file__, "--child", "setup"], args.pg)[2].strip())

    print("\n(b) feature frame build, fresh process each (seconds, rows, MB):")
    for name, url in (("PostgreSQL", args.pg), ("SQLite", args.sqlite)):
        wall, rss, out = child([PYTHON, __file__, "--child", "frame"], url)
        seconds, rows, size = out.split()
        print(f"    {name:<11} {float(seconds):6.2f} s  ({int(rows):,} talents, {size} MB; "
              f"process peak RSS {rss} MiB)   target < 10 s")  # fmt: skip

    print("\n(c) `rencai match` that changes nothing (separate process, PostgreSQL):")
    for attempt in (1, 2):
        wall, rss, out = child([RENCAI, "match"], args.pg)
        summary = out.strip().splitlines()[-1]
        print(f"    run {attempt}: wall {wall:.1f} s (process start to exit), peak RSS {rss} MiB   "
              f"targets < 30 s, < 4096 MiB\n      {summary}")  # fmt: skip

    setup_django(args.pg)
    measure_in_process(args.repeat, args.reference_rows)


if __name__ == "__main__":
    main()
