"""The city dashboard and monthly series on the 1,000,000-talent registry (issue 16).

    BENCH_DATABASE_URL=postgres://…/rencai_bench_analytics .venv/bin/python bench/_analytics_dashboard.py

`run(database_url)` assumes a migrated database with the registry demo (`city` officer). It measures, as the
city officer:
- a process that has just started (a fresh `python` subprocess per sample that starts like a web worker:
  it imports `rencai.wsgi`, which sets Django up and warms the URLconf before a worker takes requests, then
  the clock starts): the first `compute.dashboard(...)`, and the first `GET /analytics/` through
  `django.test.Client`; with the cached figures and board of this registry version on disk (what a
  restarted server finds), and once with only the history snapshot on disk (the figures computed anew);
- warm, in this process: `compute.dashboard` and the page, 30 times each after 3 unmeasured;
- the page on the request after a registry change (one talent saved), and on the one after that;
- each standard registry indicator's monthly series from 2015 to today (ten years and more), computed anew
  (no cached counts in memory nor on disk; the history in memory): median and max of three.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRESH_SAMPLES = 7
WARM_SAMPLES = 30

FRESH = r"""
import json, os, sys, time, datetime as dt
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
import rencai.wsgi  # noqa: F401  (what granian and gunicorn import when a worker starts, before it serves)
from django.test import Client
from rencai.accounts.models import User
from rencai.analytics import compute, history
from rencai.analytics.views import dashboards  # noqa: F401  (imports before the clock)
import django_otp
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice
city = User.objects.get(username="city")
what = sys.argv[1]
if what == "page":
    client = Client()
    client.force_login(city)
    request = HttpRequest(); request.session = client.session; request.user = city
    django_otp.login(request, TOTPDevice.objects.filter(user=city).first())
    request.session.save()
if what == "page":
    client.handler.load_middleware()  # as the worker's WSGIHandler does when it is created
started = time.perf_counter()
if what == "page":
    response = client.get("/analytics/")
    assert response.status_code == 200, response.status_code
else:
    compute.dashboard(user=city, day=dt.date.today())
print(json.dumps({"ms": (time.perf_counter() - started) * 1000, "how": history.last_refresh()}))
"""


def setup_django(database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(label: str, values: list[float], target: float | None = None) -> str:
    p95 = _p(values, 0.95)
    verdict = "" if target is None else (" — pass" if p95 < target else " — MISSED")
    return (
        f"{label}: p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, max {max(values):.1f} ms "
        f"(n={len(values)}){'' if target is None else f', target < {target:.0f} ms'}{verdict}"
    )


def _fresh(database_url: str, what: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", FRESH, what], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _client_for(user):
    import django_otp
    from django.http import HttpRequest
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, TOTPDevice.objects.filter(user=user).first())
    request.session.save()
    return client


def run(database_url: str) -> list[str]:
    setup_django(database_url)
    import datetime as dt

    from django.test import override_settings

    from rencai.accounts.models import User
    from rencai.analytics import compute, history
    from rencai.analytics.models import IndicatorKind

    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    city = User.objects.get(username="city")
    client = _client_for(city)
    today = dt.date.today()
    started = time.perf_counter()
    compute.dashboard(user=city, day=today)  # builds (or loads) the history, writes the snapshot and figures
    say(f"first dashboard in this process ({history.last_refresh()}): {time.perf_counter() - started:.1f} s")

    # the page once, as a server that ran before the restart did: its board is on disk for this version
    client.get("/analytics/")
    for what in ("dashboard", "page"):
        samples = [_fresh(database_url, what) for _ in range(FRESH_SAMPLES)]
        hows = sorted({sample["how"] or "figures only" for sample in samples})
        say(
            _line(
                f"fresh process, {what}, cached figures on disk ({', '.join(hows)})",
                [s["ms"] for s in samples],
                500,
            )
        )
    figures = compute._results_path()
    if figures is not None and figures.exists():
        for _ in range(2):
            figures.unlink(missing_ok=True)
            sample = _fresh(database_url, "dashboard")
            say(
                f"fresh process, dashboard, no cached figures (history {sample['how']}): "
                f"{sample['ms']:.0f} ms"
            )
        compute.dashboard(user=city, day=today)  # write them back for the page samples of a later run
    for board in sorted(Path(figures.parent).glob("board-*.json")) if figures is not None else []:
        board.unlink()  # a new worker with the figures on disk but no board: it renders the page
    sample = _fresh(database_url, "page")
    say(f"fresh process, page, no cached board (figures on disk): {sample['ms']:.0f} ms")

    for _ in range(3):
        compute.dashboard(user=city, day=today)
        client.get("/analytics/")
    warm, page = [], []
    for _ in range(WARM_SAMPLES):
        t = time.perf_counter()
        compute.dashboard(user=city, day=today)
        warm.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        response = client.get("/analytics/")
        page.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.status_code
    say(_line("warm compute.dashboard", warm, 100))
    say(_line("warm GET /analytics/ (whole page)", page, 100))

    # freshness: a registry change (one talent saved again) shows on the next request, which pays for it
    from django.utils import timezone

    from rencai.registry.models import Talent

    Talent.objects.filter(pk=Talent.objects.order_by("id").values_list("id", flat=True)[:1]).update(
        updated_at=timezone.now()
    )
    t = time.perf_counter()
    response = client.get("/analytics/")
    after_change = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    client.get("/analytics/")
    say(
        f"GET /analytics/ after a registry change: first {after_change:.0f} ms "
        f"(history {history.last_refresh()}), next {(time.perf_counter() - t) * 1000:.0f} ms"
    )

    worst = 0.0
    # the series computed anew: the counts cached on disk are out of reach (no frame folder) and the ones in
    # memory cleared before each run; the history stays in memory (same registry state)
    history.cached_history()  # in memory before the frame folder goes away (loaded from its snapshot)
    folder = override_settings(RENCAI_FRAME_DIR="")
    folder.enable()
    for indicator in compute.standard_indicators():
        if indicator.kind == IndicatorKind.SOURCE:
            continue
        times = []
        for _ in range(3):
            compute.clear_cache()
            t = time.perf_counter()
            series = compute.series(indicator, user=city, start=dt.date(2015, 1, 1), end=today)
            times.append((time.perf_counter() - t) * 1000)
        worst = max(worst, max(times))
        say(
            f"series {indicator.code} ({len(series)} months): median {statistics.median(times):.0f} ms, "
            f"max {max(times):.0f} ms"
        )
    folder.disable()
    say(f"slowest series: {worst:.0f} ms (target < 1000 ms){' — pass' if worst < 1000 else ' — MISSED'}")
    compute.dashboard(user=city, day=today)
    return lines


if __name__ == "__main__":
    run(os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rencai_bench_analytics"))
