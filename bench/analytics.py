"""Analytics at speed (issue 16): the city dashboard, monthly series, and the coordination and export parts.

    .venv/bin/python bench/analytics.py          # PostgreSQL rencai_bench_analytics (recreated), 1M talents
    .venv/bin/python bench/analytics.py --reuse --part dashboard

Targets on the 1,000,000-talent registry: the city dashboard p95 < 500 ms in a process that has just started
and < 100 ms once warm; one indicator's monthly series over ten years < 1 s; a year-end score sheet for the
seven regions < 1 s (`_analytics_targets`, coordination); Excel export of a 100,000-row drill-down < 10 s
(`_analytics_export`, dashboards). A part whose module is not there yet is listed as "not built".

1. recreates the database (unless --reuse), migrates, and builds a registry with `rencai demo --talents N`;
2. runs each part in this process, each printing its figures:
   - dashboard (`bench/_analytics_dashboard.py`): `compute.dashboard` and the `/analytics/` page as the city
     officer, in fresh subprocesses and warm; monthly series of the standard registry indicators from 2015.
   - targets (`bench/_analytics_targets.py`), export (`bench/_analytics_export.py`).
Never run by `make test`.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _driver import main  # noqa: E402  (bench/ is not a package: its folder goes on the path first)

PARTS = {
    "dashboard": "_analytics_dashboard",
    "targets": "_analytics_targets",
    "export": "_analytics_export",
}

if __name__ == "__main__":
    built = {name: module for name, module in PARTS.items() if (HERE / f"{module}.py").exists()}
    for name, module in PARTS.items():
        if name not in built:
            print(f"== {name} == not built ({module}.py is missing)")
    main(
        __doc__,
        built,
        database="postgres://postgres@127.0.0.1:5432/rencai_bench_analytics",
        talents=1_000_000,
    )
