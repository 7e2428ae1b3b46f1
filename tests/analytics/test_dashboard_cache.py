"""The dashboard's caches and their freshness: the trigger-kept change counter moves with every write to the
tables the figures read, a cached board is served only for the version it was rendered from (the next
request after a change shows it), a new worker answers from the board on disk without counting the registry,
and nothing is cached inside a transaction (whose rows a rollback may undo).

Caching happens only outside transactions, so these tests commit (transaction=True)."""

import datetime as dt
import re
from functools import partial

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rencai.analytics import compute, history
from rencai.analytics.models import Indicator
from rencai.analytics.views import dashboards
from tests import factories
from tests.analytics.dashboard_world import KECHENG, build_city, client_for, make_indicators, present_on

committed = pytest.mark.django_db(transaction=True)


def forget_everything() -> None:
    """As a web worker that has just started: nothing in memory (the files on disk stay)."""
    compute.clear_cache()
    history.clear_cache()
    dashboards.clear_boards()


@pytest.fixture(autouse=True)
def _fresh_caches():
    forget_everything()
    yield
    forget_everything()


@pytest.fixture
def city(world):
    return build_city(world)


def headline(html: str, code: str) -> str:
    match = re.search(rf'data-headline="{code}".*?data-value>([^<]*)<', html, re.S)
    assert match, f"no headline {code}"
    return match.group(1).strip()


def page(user) -> str:
    """The page's main part (the layout around it carries a per-request CSRF token)."""
    response = client_for(user).get(reverse("analytics:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def counted_the_registry(queries) -> bool:
    return any("COUNT(*) FROM registry_talent" in query["sql"] for query in queries)


@committed
def test_every_table_the_figures_read_has_its_change_trigger(regions):
    assert history.counter_installed()
    assert history.registry_version() is not None


@committed
def test_writes_to_the_registry_and_the_indicators_move_the_version(world):
    make_indicators()
    before = history.registry_version()
    talent = factories.make_talent(world.county_a, name="新来的")
    after_insert = history.registry_version()
    talent.name = "改名的"
    talent.save()
    after_update = history.registry_version()
    Indicator.objects.filter(code="talents_total").update(position=9)  # an analytics table, read by the board
    after_indicator = history.registry_version()
    assert len({before, after_insert, after_update, after_indicator}) == 4
    assert history.registry_version() == after_indicator  # reading changes nothing


@committed
def test_a_rolled_back_write_leaves_the_version_as_it_was(world):
    before = history.registry_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.make_talent(world.county_a, name="不算数")
        raise RuntimeError
    assert history.registry_version() == before


@committed
def test_writers_never_wait_for_each_others_change_counter(world):
    """Nine sessions each hold an open transaction that has written to a watched table; one more writes and
    commits at once. A counter row shared by sessions would make it wait for one of them (and a writer that
    holds rows another wants, while it waits for the counter, would deadlock)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time")  # nothing to race
    import psycopg

    params = connection.settings_dict
    open_connection = partial(
        psycopg.connect,
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    before = history.registry_version()
    holders = [open_connection() for _ in range(9)]  # more sessions than a fixed set of shared rows
    try:
        for session in holders:  # a statement trigger fires even when no row matches
            session.execute("SET lock_timeout = '3s'")  # two sessions sharing a counter row: refused here
            session.execute("UPDATE registry_department SET name = name WHERE id < 0")
        with open_connection() as writer:
            writer.execute("SET lock_timeout = '3s'")
            writer.execute("UPDATE registry_academician SET name = name WHERE id < 0")
            writer.commit()
    finally:
        for session in holders:
            session.rollback()
            session.close()
    after = history.registry_version()
    assert after is not None and before is not None and after[2] == before[2] + 1  # only the commit counted


@pytest.mark.django_db
def test_inside_a_transaction_there_is_no_version_and_nothing_is_cached(city):
    assert connection.in_atomic_block
    assert history.registry_version() is None
    page(city.users["city_org_dept"])
    assert not dashboards._boards


@committed
def test_the_page_shows_a_registry_change_on_the_next_request(city):
    lead = city.users["city_org_dept"]
    today = dt.date.today()
    first = page(lead)
    assert headline(first, "talents_total") == str(present_on(today))
    with CaptureQueriesContext(connection) as queries:
        again = page(lead)
    assert again == first  # the same board, from memory
    assert not counted_the_registry(queries.captured_queries)

    factories.make_talent(city.regions[KECHENG], name="刚到的", team="enterprise_mgmt")
    after = page(lead)
    assert (
        headline(after, "talents_total")
        == str(present_on(today))
        == str(int(headline(first, "talents_total")) + 1)
    )


@committed
def test_an_indicator_renamed_shows_on_the_next_request(city):
    lead = city.users["city_org_dept"]
    assert "人才总量" in page(lead)
    Indicator.objects.filter(code="talents_total").update(name="人才资源总量")
    assert "人才资源总量" in page(lead)


@committed
def test_a_new_worker_answers_from_the_board_on_disk_without_counting_the_registry(city):
    lead = city.users["city_org_dept"]
    rendered = page(lead)
    forget_everything()
    with CaptureQueriesContext(connection) as queries:
        answered = page(lead)
    assert answered == rendered
    assert not counted_the_registry(queries.captured_queries)
    assert not any("registry_talent" in query["sql"] for query in queries.captured_queries)


@committed
def test_a_board_on_disk_from_another_version_is_not_used(city):
    lead = city.users["city_org_dept"]
    before = headline(page(lead), "talents_total")
    forget_everything()
    factories.make_talent(city.regions[KECHENG], name="重启前到的")
    assert headline(page(lead), "talents_total") == str(int(before) + 1)


@committed
def test_each_scope_gets_its_own_board(city):
    lead, county = city.users["city_org_dept"], city.users["county_org_dept"]
    city_board = page(lead)
    county_board = page(county)
    assert county_board != city_board
    assert 'data-scope=""' in city_board
    # the county officer's page is about their county only: its total is not the city's
    assert headline(county_board, "talents_total") != headline(city_board, "talents_total")
    assert page(lead) == city_board  # and the city's board was not replaced by the county's


@committed
def test_a_county_officer_cannot_reach_another_countys_cached_board(city):
    lead, county = city.users["city_org_dept"], city.users["county_org_dept"]
    other = next(code for code in ("330802", "330825") if code != county.region.code)
    assert client_for(lead).get(reverse("analytics:county", args=[other])).status_code == 200
    response = client_for(county).get(reverse("analytics:county", args=[other]))
    assert response.status_code == 404
