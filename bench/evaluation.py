"""Evaluation at speed (issue 14): conflicts, panel draws, computed indicators, notice, expert lists.

    .venv/bin/python bench/evaluation.py                     # PostgreSQL rencai_bench_eval, 1,000,000 talents
    .venv/bin/python bench/evaluation.py --reuse             # measure again on the same registry
    .venv/bin/python bench/evaluation.py --talents 100000 --part panels   # a quick check of one part

Targets: conflict check of one case against 5,000 experts < 50 ms; drawing a panel < 100 ms; computed
indicators for a round of 2,000 candidates on the 1,000,000-talent registry < 1 s; the public notice page
p95 < 100 ms; an expert's case list p95 < 100 ms.

1. recreates the database (unless --reuse), migrates, and builds the registry with `rencai demo --talents N`
   (a separate process, timed);
2. runs each part in this process (Django configured on that database), each building the evaluation rows
   it needs on top of the registry and printing its own figures:
   - indicators (`bench/_evaluation_indicators.py`): a round of 2,000 candidates, `compute_round`;
   - panels (`bench/_evaluation_panels.py`): 5,000 experts, conflicts of one case, a draw, an expert's list;
   - notice (`bench/_evaluation_notice.py`): the public notice page of a few hundred cases.
Never run by `make test`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _driver import main

PARTS = {
    "indicators": "_evaluation_indicators",
    "panels": "_evaluation_panels",
    "notice": "_evaluation_notice",
}

if __name__ == "__main__":
    main(__doc__, PARTS, database="postgres://postgres@127.0.0.1:5432/rencai_bench_eval", talents=1_000_000)
