"""The talent list's search: any part of a name, the last digits of an ID number, what an empty list says."""

import html
import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rencai.core import crypto
from rencai.core.models import AuditEntry
from rencai.core.pii import id_number_tail_index
from rencai.registry.models import Talent
from rencai.registry.selectors import TalentFilters, talents_for
from tests import factories


def found(client, world, query, role="county_org_dept") -> tuple[set[int], str]:
    """The talents the list shows for `query`, and the page's text."""
    client.force_login(world.users[role])
    response = client.get(reverse("registry:talent_list"), query)
    assert response.status_code == 200
    page = response.content.decode()
    return {int(pk) for pk in re.findall(r'<tr data-talent-id="(\d+)"', page)}, page


def empty_text(page: str) -> str:
    match = re.search(r"<td [^>]*data-empty-result>(.*?)</td>", page, re.S)
    assert match, "the list says nothing about the empty result"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def number_of(talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


@pytest.fixture
def wang_taojun(world):
    return factories.make_talent(world.county_a, name="王涛俊", id_number="330881199001011236")


# --- any part of a name -------------------------------------------------------------------------------------


def test_the_middle_or_end_of_a_name_finds_the_talent(client, world, wang_taojun):
    assert found(client, world, {"q": "涛俊"})[0] == {wang_taojun.pk}
    assert found(client, world, {"q": "俊"})[0] == {wang_taojun.pk}
    assert found(client, world, {"q": "王涛俊"})[0] == {wang_taojun.pk}
    assert found(client, world, {"q": "俊涛"})[0] == set()  # the characters in that order, not any order


def test_a_latin_name_is_found_in_any_letter_case(client, world):
    anna = factories.make_talent(world.county_a, name="Anna Weber")
    assert found(client, world, {"q": "weber"})[0] == {anna.pk}
    assert found(client, world, {"q": "NA WE"})[0] == {anna.pk}


def test_a_name_search_stays_in_scope(client, world):
    factories.make_talent(world.county_b, name="龙游涛俊")
    assert found(client, world, {"q": "涛俊"})[0] == set()  # Jiangshan's officer; the talent is Longyou's
    assert len(found(client, world, {"q": "涛俊"}, role="city_org_dept")[0]) == 1


def test_wildcards_in_the_search_are_plain_characters(client, world, wang_taojun):
    assert found(client, world, {"q": "%"})[0] == set()
    assert found(client, world, {"q": "王_俊"})[0] == set()


def test_a_name_search_runs_the_same_few_queries_whatever_the_number_of_rows(client, world):
    factories.make_talent(world.county_a, name="甲涛俊")
    client.force_login(world.users["county_org_dept"])
    url = reverse("registry:talent_list") + "?q=%E6%B6%9B%E4%BF%8A"  # 涛俊
    client.get(url)  # the session's first page settles its second factor
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(url).content.decode().count("data-talent-id=") == 1
    for n in range(30):
        factories.make_talent(world.county_a, name=f"涛俊{n}号", current_employer=world.enterprise_a)
    with CaptureQueriesContext(connection) as many_rows:
        assert client.get(url).content.decode().count("data-talent-id=") == 31
    assert len(many_rows) == len(one_row)
    assert len([q for q in many_rows if 'FROM "registry_talent"' in q["sql"]]) == 2  # one COUNT, one page


# --- the last digits of an ID number ------------------------------------------------------------------------


def test_the_last_four_digits_of_an_id_number_find_the_talent(client, world, wang_taojun):
    assert found(client, world, {"q": "1236"})[0] == {wang_taojun.pk}


def test_more_last_digits_narrow_it_to_the_exact_ending(client, world, wang_taojun):
    # the same last four, another fifth-from-last digit
    twin = factories.make_talent(world.county_a, name="李同尾", id_number="330881199201021236")
    assert found(client, world, {"q": "1236"})[0] == {wang_taojun.pk, twin.pk}
    assert found(client, world, {"q": "011236"})[0] == {wang_taojun.pk}
    assert found(client, world, {"q": "21236"})[0] == {twin.pk}
    assert found(client, world, {"q": "01011236"})[0] == {wang_taojun.pk}


def test_an_ending_with_x_is_found_in_either_case(client, world):
    talent = factories.make_talent(world.county_a, name="末位叉", id_number="33088119900101001X")
    assert found(client, world, {"q": "001x"})[0] == {talent.pk}
    assert found(client, world, {"q": "001X"})[0] == {talent.pk}


def test_the_last_digits_find_nobody_outside_the_scope(client, world):
    tail = number_of(world.talent_b)[-4:]  # Longyou's talent
    assert world.talent_b.pk not in found(client, world, {"q": tail})[0]
    assert world.talent_b.pk in found(client, world, {"q": tail}, role="city_org_dept")[0]


def test_a_search_by_the_last_digits_is_audited(client, world, wang_taojun):
    before = AuditEntry.objects.count()
    found(client, world, {"q": "1236"})
    entry = AuditEntry.objects.filter(seq__gt=before, action="registry.search.id_tail").get()
    assert entry.detail == {"tail": "1236"} and entry.actor_label == "county"


def test_roles_that_may_not_see_id_numbers_cannot_search_by_their_end(client, world, wang_taojun):
    """The end of an ID number is what masks hide: a department's search is by name only, and says so."""
    ids, page = found(client, world, {"q": "1236"}, role="department")
    assert ids == set()
    assert empty_text(page) == "未找到姓名包含“1236”的人才。"
    assert "姓名中的任意字，或完整证件号码" in page  # the search box's hint
    assert not AuditEntry.objects.filter(action="registry.search.id_tail").exists()


def test_the_whole_id_number_still_finds_its_talent(client, world, wang_taojun):
    assert found(client, world, {"q": "330881199001011236"})[0] == {wang_taojun.pk}


def test_a_short_number_the_form_refuses_is_not_taken_for_the_end_of_a_registered_one(
    client, world, wang_taojun
):
    client.force_login(world.users["county_org_dept"])
    data = {
        "name": "新人",
        "id_kind": "resident_id",
        "id_number": "011236",  # the end of 王涛俊's number, typed into the registration form
        "nationality": "CN",
        "region": "330881",
        "team": "professional",
        "skill_level": "0",
        "highest_degree": "master",
        "arrival_date": "2021-06-01",
    }

    page = client.post(reverse("registry:talent_create"), data).content.decode()

    assert "身份证号须为18位，末位可为X" in page
    assert reverse("registry:talent_detail", args=[wang_taojun.pk]) not in page  # no "already registered"
    assert not AuditEntry.objects.filter(action="registry.search.id_tail").exists()


def test_the_tail_index_is_written_on_registration_and_backfilled_by_the_migration(world, wang_taojun):
    assert wang_taojun.id_number_tail_index == id_number_tail_index("1236") != ""
    Talent.objects.filter(pk=wang_taojun.pk).update(id_number_tail_index="")  # as before the migration
    migration = importlib.import_module("rencai.registry.migrations.0006_talent_search")

    migration.backfill_tail_index(apps, None)

    wang_taojun.refresh_from_db()
    assert wang_taojun.id_number_tail_index == id_number_tail_index("1236")
    assert talents_for(world.users["county_org_dept"], TalentFilters(q="1236")).get() == wang_taojun


# --- an empty result says what was searched -----------------------------------------------------------------


def test_an_empty_name_search_says_what_was_searched(client, world):
    ids, page = found(client, world, {"q": "涛俊"})
    assert ids == set()
    assert empty_text(page) == "未找到姓名包含“涛俊”的人才。"


def test_an_empty_search_under_filters_names_them_and_links_to_clearing_them(client, world, wang_taojun):
    ids, page = found(client, world, {"q": "涛俊", "team": "high_skill", "tier": "E"})

    assert ids == set()  # 王涛俊 is a professional, tier D
    assert empty_text(page) == (
        "未找到姓名包含“涛俊”的人才。 检查筛选条件：人才队伍为高技能人才、人才类别为E类 基础人才。 "
        "清除筛选条件，只按搜索词查找"
    )
    link = html.unescape(re.search(r'<a href="([^"]*)" data-clear-filters>', page).group(1))
    assert link == "?q=%E6%B6%9B%E4%BF%8A"  # the search kept, the filters gone
    followed = client.get(reverse("registry:talent_list") + link).content.decode()
    assert f'data-talent-id="{wang_taojun.pk}"' in followed


def test_an_empty_search_by_the_end_of_an_id_number_says_so(client, world):
    assert empty_text(found(client, world, {"q": "9999"})[1]) == "未找到证件号码末尾为“9999”的人才。"


def test_the_empty_result_is_said_in_english_to_an_english_user(client, world):
    client.cookies["django_language"] = "en"
    page = found(client, world, {"q": "涛俊", "team": "high_skill"})[1]
    assert empty_text(page) == (
        'No talent has a name containing "涛俊". Check the filters: Team is Highly skilled workers. '
        "Clear the filters and search by these words only"
    )


# --- indexes (PostgreSQL) -----------------------------------------------------------------------------------


def plan_of(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether the index can serve
        cursor.execute(
            "EXPLAIN " + str(queryset.query.sql_with_params()[0]), queryset.query.sql_with_params()[1]
        )
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
def test_the_name_and_tail_searches_are_served_by_their_indexes(world, wang_taojun):
    officer = world.users["superuser"]  # the whole registry: no region filter for the planner to prefer

    assert "talent_name_grams" in plan_of(talents_for(officer, TalentFilters(q="涛俊")))
    assert "talent_name_grams" in plan_of(talents_for(officer, TalentFilters(q="俊")))
    assert "talent_id_tail" in plan_of(talents_for(officer, TalentFilters(q="1236")))
