"""Recruitment at speed (issue 15): demand search, the funnel, settling rewards.

    .venv/bin/python bench/recruitment.py                    # PostgreSQL rencai_bench_recruitment (recreated)
    .venv/bin/python bench/recruitment.py --reuse --part funnel

Targets: demand search p95 < 100 ms over 100,000 demands; the funnel over 100,000 demands and 1,000,000
referrals < 1 s; settling rewards for 100,000 placements < 10 s, idempotent when run twice.

1. recreates the database (unless --reuse), migrates, and builds a registry with `rencai demo --talents N`;
2. runs each part in this process, each building the rows it needs and printing its figures:
   - demands (`bench/_recruitment_demands.py`): 100,000 demands, the public search page and API;
   - funnel (`bench/_recruitment_funnel.py`): 100,000 demands and 1,000,000 referrals, the funnel by role;
   - rewards (`bench/_recruitment_rewards.py`): 100,000 placements, two settle runs.
Never run by `make test`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _driver import main

PARTS = {
    "demands": "_recruitment_demands",
    "funnel": "_recruitment_funnel",
    "rewards": "_recruitment_rewards",
}

if __name__ == "__main__":
    main(
        __doc__,
        PARTS,
        database="postgres://postgres@127.0.0.1:5432/rencai_bench_recruitment",
        talents=100_000,
    )
