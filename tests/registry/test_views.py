"""Registry pages: scoped lists and details, search and filters, audited reveal, forms, English."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rencai.core import crypto
from rencai.core.models import AuditEntry
from rencai.registry import services
from rencai.registry.models import Academician, Education, Enterprise, Honour, StationCooperation, Talent
from tests import factories


def login(client, world, role):
    client.force_login(world.users[role])
    return client


def talent_ids(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr data-talent-id="(\d+)"', response.content.decode())}


def list_talents(client, query=""):
    response = client.get(reverse("registry:talent_list") + query)
    assert response.status_code == 200
    return response


def id_number_of(talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


# Lists and scoping ---------------------------------------------------------------------------


def test_county_officer_list_shows_own_county_talents_and_not_other_countys(client, world):
    response = list_talents(login(client, world, "county_org_dept"))
    html = response.content.decode()
    assert talent_ids(response) == {world.talent_a.pk, world.talent_a2.pk}
    assert "江山甲" in html and "江山乙" in html
    assert "龙游丙" not in html
    assert 'data-total="2"' in html


def test_talent_list_row_shows_masked_id_team_tier_employer_region_and_birth_year(client, world):
    html = list_talents(login(client, world, "county_org_dept")).content.decode()
    row = re.search(rf'<tr data-talent-id="{world.talent_a.pk}">(.*?)</tr>', html, re.S).group(1)
    assert world.talent_a.id_number_masked in row
    assert id_number_of(world.talent_a) not in html
    assert "专业技术人才" in row and "D类 市级高级人才" in row
    assert "江山天蓬测试集团" in row and "江山市" in row and "在衢" in row
    # the year only, never an age nor the full date (core.masking)
    assert f"<td>{world.talent_a.birth_date.year}</td>" in row
    assert world.talent_a.birth_date.isoformat() not in html


def test_city_officer_sees_every_county_and_can_filter_by_region(client, world):
    login(client, world, "city_org_dept")
    assert talent_ids(list_talents(client)) == {world.talent_a.pk, world.talent_a2.pk, world.talent_b.pk}
    assert talent_ids(list_talents(client, "?region=330825")) == {world.talent_b.pk}


def test_search_by_any_part_of_a_name_finds_talents(client, world):
    login(client, world, "county_org_dept")
    assert talent_ids(list_talents(client, "?q=江山")) == {world.talent_a.pk, world.talent_a2.pk}
    assert talent_ids(list_talents(client, "?q=江山乙")) == {world.talent_a2.pk}
    assert talent_ids(list_talents(client, "?q=乙")) == {world.talent_a2.pk}  # the middle or end too


def test_search_by_exact_id_number_finds_that_talent_only_in_scope(client, world):
    login(client, world, "county_org_dept")
    assert talent_ids(list_talents(client, f"?q={id_number_of(world.talent_a2)}")) == {world.talent_a2.pk}
    assert talent_ids(list_talents(client, f"?q={id_number_of(world.talent_b)}")) == set()


def test_filters_by_team_tier_enterprise_and_status_narrow_the_list(client, world):
    factories.make_talent(
        world.county_a,
        name="江山丁",
        status="departed",
        departed_on=dt.date(2024, 5, 1),
        team="rural",
        tier="A",
    )
    login(client, world, "county_org_dept")
    assert talent_ids(list_talents(client, "?team=high_skill")) == {world.talent_a2.pk}
    assert talent_ids(list_talents(client, "?tier=D")) == {world.talent_a.pk}
    assert talent_ids(list_talents(client, f"?enterprise={world.enterprise_a.pk}")) == {world.talent_a.pk}
    departed = list_talents(client, "?status=departed")
    assert "江山丁" in departed.content.decode() and len(talent_ids(departed)) == 1
    assert talent_ids(list_talents(client, "?team=professional&tier=E")) == set()


def test_list_paginates_and_keeps_the_filters_in_page_links(client, world, settings):
    settings.RENCAI_PAGE_SIZE = 2
    for n in range(3):
        factories.make_talent(world.county_a, name=f"江山分页{n}", team="high_skill")
    login(client, world, "county_org_dept")
    first = list_talents(client, "?team=high_skill")
    html = first.content.decode()
    assert len(talent_ids(first)) == 2
    assert 'data-total="4"' in html
    assert 'href="?team=high_skill&page=2"' in html
    second = list_talents(client, "?team=high_skill&page=2")
    assert len(talent_ids(second)) == 2
    assert talent_ids(first).isdisjoint(talent_ids(second))


def test_list_runs_the_same_few_queries_whatever_the_number_of_rows(client, world):
    login(client, world, "county_org_dept")
    query = "?region=330881&team=professional"
    list_talents(client, query)  # the session's first page also settles handled messages (once a minute)
    with CaptureQueriesContext(connection) as one_row:
        assert len(talent_ids(list_talents(client, query))) == 1
    for n in range(40):
        factories.make_talent(world.county_a, name=f"江山批量{n}", current_employer=world.enterprise_a)
    with CaptureQueriesContext(connection) as many_rows:
        assert len(talent_ids(list_talents(client, query))) == 41
    assert len(many_rows) == len(one_row) <= 13  # incl. the officer's second-factor device (django-otp)
    talent_queries = [q["sql"] for q in many_rows if 'FROM "registry_talent"' in q["sql"]]
    assert len(talent_queries) == 2  # one COUNT, one page


def test_export_link_carries_the_same_filters(client, world):
    html = list_talents(login(client, world, "county_org_dept"), "?team=high_skill&tier=E").content.decode()
    assert f'href="{reverse("registry:talent_export")}?team=high_skill&amp;tier=E"' in html


def test_add_talent_button_only_for_those_who_edit_the_registry(client, world):
    assert "新增人才" in list_talents(login(client, world, "county_org_dept")).content.decode()
    assert "新增人才" not in list_talents(login(client, world, "department")).content.decode()


def test_talent_account_sees_only_itself(client, world):
    response = list_talents(login(client, world, "talent"))
    assert talent_ids(response) == {world.talent_a.pk}


@pytest.mark.parametrize("role", ["reviewer", "provider"])
def test_reviewer_and_provider_see_no_talent_and_a_notice(client, world, role):
    response = list_talents(login(client, world, role))
    html = response.content.decode()
    assert talent_ids(response) == set()
    assert "data-no-access" in html and "江山甲" not in html
    detail = client.get(reverse("registry:talent_detail", args=[world.talent_a.pk]))
    assert detail.status_code == 404


# Detail and reveal ---------------------------------------------------------------------------


def test_detail_shows_fields_education_honours_employment_and_platforms(client, world):
    talent = world.talent_a
    Education.objects.create(talent=talent, degree="master", field="化学工程", institution="浙江大学")
    Honour.objects.create(talent=talent, programme="provincial_programme", level="provincial", year=2019)
    talent.employments.create(
        enterprise=world.enterprise_a,
        employer_name="江山天蓬测试集团",
        position="总工程师",
        employment_type="full_time",
        started_on=dt.date(2018, 3, 1),
    )
    talent.platform_memberships.create(platform=world.platform_a, joined_on=dt.date(2019, 1, 1))
    login(client, world, "county_org_dept")
    response = client.get(reverse("registry:talent_detail", args=[talent.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "江山甲" in html and "江山天蓬测试集团" in html and "全职" in html
    assert "浙江大学" in html and "化学工程" in html
    assert "省级人才计划（省千）" in html and "2019" in html
    assert "总工程师" in html and "至今" in html
    assert world.platform_a.name in html
    assert talent.phone_masked in html


def test_detail_shows_masked_id_and_never_the_full_one(client, world):
    login(client, world, "county_org_dept")
    html = client.get(reverse("registry:talent_detail", args=[world.talent_a.pk])).content.decode()
    assert world.talent_a.id_number_masked in html
    assert id_number_of(world.talent_a) not in html
    assert "13800001234" not in html
    assert 'data-reveal="id_number"' in html and "查看完整号码" in html


def test_reveal_shows_the_full_id_number_and_writes_an_audit_entry(client, world):
    login(client, world, "county_org_dept")
    url = reverse("registry:talent_reveal", args=[world.talent_a.pk, "id_number"])
    response = client.post(url, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert id_number_of(world.talent_a) in response.content.decode()
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.actor_id == world.users["county_org_dept"].pk
    assert entry.object_id == str(world.talent_a.pk)
    assert entry.detail == {"field": "id_number"}
    assert entry.ip == "10.1.2.3"


def test_reveal_of_the_phone_number_returns_the_phone(client, world):
    login(client, world, "county_org_dept")
    response = client.post(reverse("registry:talent_reveal", args=[world.talent_a.pk, "phone"]))
    assert 'data-revealed="phone">13800001234<' in response.content.decode()


def test_department_sees_no_reveal_button_and_is_refused_a_reveal(client, world):
    login(client, world, "department")
    detail = client.get(reverse("registry:talent_detail", args=[world.talent_a.pk])).content.decode()
    assert world.talent_a.id_number_masked in detail
    assert "data-reveal" not in detail
    response = client.post(reverse("registry:talent_reveal", args=[world.talent_a.pk, "id_number"]))
    assert response.status_code == 403
    assert id_number_of(world.talent_a) not in response.content.decode()
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_reveal_is_post_only_and_unknown_fields_are_not_found(client, world):
    login(client, world, "county_org_dept")
    assert (
        client.get(reverse("registry:talent_reveal", args=[world.talent_a.pk, "id_number"])).status_code
        == 405
    )
    assert client.post(reverse("registry:talent_reveal", args=[world.talent_a.pk, "name"])).status_code == 404
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_talent_may_reveal_its_own_id_number(client, world):
    login(client, world, "talent")
    response = client.post(reverse("registry:talent_reveal", args=[world.talent_a.pk, "id_number"]))
    assert id_number_of(world.talent_a) in response.content.decode()


def test_county_officer_gets_404_for_other_countys_talent_and_learns_nothing(client, world):
    login(client, world, "county_org_dept")
    response = client.get(reverse("registry:talent_detail", args=[world.talent_b.pk]))
    assert response.status_code == 404
    assert "龙游丙" not in response.content.decode()
    assert "对象不存在或无权查看" in response.content.decode()
    reveal = client.post(reverse("registry:talent_reveal", args=[world.talent_b.pk, "id_number"]))
    assert reveal.status_code == 404
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


# Forms ---------------------------------------------------------------------------------------


def talent_form_data(**overrides) -> dict:
    data = {
        "name": "江山新人",
        "id_kind": "resident_id",
        "id_number": "330881199003070020",
        "phone": "13912345678",
        "nationality": "CN",
        "region": "330881",
        "team": "professional",
        "tier": "C",
        "title_level": "senior",
        "skill_level": "0",
        "highest_degree": "doctor",
        "employer": "",
        "employment_type": "full_time",
        "arrival_date": "2021-06-01",
    }
    data.update(overrides)
    return data


def test_nationality_is_shown_and_chosen_by_country_name_not_code(client, world):
    login(client, world, "county_org_dept")
    german = factories.make_talent(world.county_a, name="德籍人才", nationality="DE")

    detail = client.get(reverse("registry:talent_detail", args=[german.pk])).content.decode()
    form = client.get(reverse("registry:talent_create")).content.decode()

    assert "<dd>德国</dd>" in detail and ">DE<" not in detail
    assert '<option value="CN" selected>中国</option>' in form and '<option value="DE">德国</option>' in form
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert (
        "<dd>Germany</dd>" in client.get(reverse("registry:talent_detail", args=[german.pk])).content.decode()
    )


def test_a_phone_number_without_its_area_code_is_refused_saying_what_is_expected(client, world):
    login(client, world, "county_org_dept")
    response = client.post(reverse("registry:talent_create"), talent_form_data(phone="1234567"))
    assert (
        "应为11位手机号（如 13800001234）或带区号的固定电话（如 0570-1234567）" in response.content.decode()
    )
    assert not Talent.objects.filter(name="江山新人").exists()


def test_create_form_puts_a_chinese_message_on_a_bad_id_number_and_writes_nothing(client, world):
    login(client, world, "county_org_dept")
    before = Talent.objects.count()
    response = client.post(
        reverse("registry:talent_create"), talent_form_data(id_number="330881199003070021")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"] == ["身份证号校验位不正确"]
    html = response.content.decode()
    assert 'id="id_id_number_errors"' in html and "身份证号校验位不正确" in html
    assert Talent.objects.count() == before
    assert not AuditEntry.objects.filter(action="talent.register").exists()


def test_create_form_lists_every_rule_the_service_breaks_at_once(client, world):
    login(client, world, "county_org_dept")
    response = client.post(
        reverse("registry:talent_create"),
        talent_form_data(id_number="12345", phone="12", arrival_date="2030-01-01"),
    )
    errors = response.context["form"].errors
    assert errors["id_number"] == ["身份证号须为18位，末位可为X"]
    assert set(errors) == {"id_number", "phone", "arrival_date"}
    assert errors["arrival_date"] == ["来衢日期不能晚于今天"]
    assert not Talent.objects.filter(name="江山新人").exists()


def test_create_form_marks_missing_required_fields_in_chinese(client, world):
    login(client, world, "county_org_dept")
    response = client.post(reverse("registry:talent_create"), talent_form_data(name=""))
    assert response.context["form"].errors["name"] == ["这个字段是必填项。"]


def test_county_officer_cannot_register_a_talent_in_another_county(client, world):
    login(client, world, "county_org_dept")
    response = client.post(reverse("registry:talent_create"), talent_form_data(region="330825"))
    assert "region" in response.context["form"].errors
    assert not Talent.objects.filter(name="江山新人").exists()


def test_create_form_registers_the_talent_and_opens_its_page(client, world):
    login(client, world, "county_org_dept")
    response = client.post(
        reverse("registry:talent_create"), talent_form_data(employer=world.enterprise_a.credit_code)
    )
    talent = Talent.objects.get(name="江山新人")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:talent_detail", args=[talent.pk])
    assert talent.region == world.county_a and talent.current_employer == world.enterprise_a
    assert talent.birth_date == dt.date(1990, 3, 7) and talent.gender == "female"
    assert talent.id_number_masked == "33****************"
    assert AuditEntry.objects.filter(action="talent.register", object_id=str(talent.pk)).exists()
    page = client.get(response["Location"]).content.decode()
    assert "已登记人才：江山新人" in page


def test_registering_an_id_number_twice_is_refused_on_the_field(client, world):
    login(client, world, "county_org_dept")
    client.post(reverse("registry:talent_create"), talent_form_data())
    again = client.post(reverse("registry:talent_create"), talent_form_data(name="江山重复"))
    assert again.context["form"].errors["id_number"] == [services.ID_NUMBER_TAKEN[0]]
    assert not Talent.objects.filter(name="江山重复").exists()


@pytest.mark.parametrize("role", ["department", "enterprise", "talent"])
def test_only_registry_editors_may_open_the_create_form(client, world, role):
    login(client, world, role)
    assert client.get(reverse("registry:talent_create")).status_code == 403
    response = client.post(reverse("registry:talent_create"), talent_form_data())
    assert response.status_code == 403
    assert not Talent.objects.filter(name="江山新人").exists()


def test_edit_form_changes_the_talent_and_keeps_the_id_number_when_left_blank(client, world):
    talent = world.talent_a2
    index_before = talent.id_number_index
    login(client, world, "county_org_dept")
    url = reverse("registry:talent_edit", args=[talent.pk])
    form = client.get(url)
    assert form.context["form"].initial["team"] == "high_skill"
    response = client.post(url, talent_form_data(name="江山乙改", id_number="", phone="", tier="B"))
    assert response.status_code == 302
    talent.refresh_from_db()
    assert (talent.name, talent.tier, talent.id_number_index) == ("江山乙改", "B", index_before)
    assert talent.phone_masked == "138****1234"
    assert AuditEntry.objects.filter(action="talent.update", object_id=str(talent.pk)).exists()


def test_edit_of_another_countys_talent_is_not_found(client, world):
    login(client, world, "county_org_dept")
    response = client.post(reverse("registry:talent_edit", args=[world.talent_b.pk]), talent_form_data())
    assert response.status_code == 404
    world.talent_b.refresh_from_db()
    assert world.talent_b.name == "龙游丙"


# Enterprises, platforms, academicians ---------------------------------------------------------


def test_enterprise_list_is_scoped_and_detail_counts_its_talents(client, world):
    login(client, world, "county_org_dept")
    html = client.get(reverse("registry:enterprise_list")).content.decode()
    assert "江山天蓬测试集团" in html and "龙游测试纸业" not in html
    detail = client.get(reverse("registry:enterprise_detail", args=[world.enterprise_a.pk])).content.decode()
    assert world.enterprise_a.credit_code in detail and 'data-talent-count="1"' in detail
    assert world.platform_a.name in detail
    assert client.get(reverse("registry:enterprise_detail", args=[world.enterprise_b.pk])).status_code == 404


def test_enterprise_create_checks_the_credit_code_then_registers(client, world):
    login(client, world, "county_org_dept")
    data = {
        "credit_code": "91330881MA2DK1234Y",
        "name": "江山新材料有限公司",
        "region": "330881",
        "industry": "chemicals",
        "size": "small",
        "is_high_tech": "on",
    }
    bad = client.post(reverse("registry:enterprise_create"), data)
    assert bad.context["form"].errors["credit_code"] == ["统一社会信用代码校验位不正确"]
    assert not Enterprise.objects.filter(name="江山新材料有限公司").exists()
    good = client.post(reverse("registry:enterprise_create"), {**data, "credit_code": "91330881MA2DK1234X"})
    enterprise = Enterprise.objects.get(credit_code="91330881MA2DK1234X")
    assert good["Location"] == reverse("registry:enterprise_detail", args=[enterprise.pk])
    assert enterprise.is_high_tech and enterprise.region == world.county_a


def test_platform_list_filters_by_kind_and_shows_an_enclaves_location(client, world):
    login(client, world, "city_org_dept")
    html = client.get(reverse("registry:platform_list") + "?kind=enclave").content.decode()
    assert world.platform_b.name in html and "杭州" in html
    assert world.platform_a.name not in html
    detail = client.get(reverse("registry:platform_detail", args=[world.platform_b.pk])).content.decode()
    assert "人才飞地" in detail and "杭州" in detail and "衢江区" not in detail


def test_academician_detail_lists_station_cooperations_in_scope(client, world):
    academician = Academician.objects.create(
        name="测试院士", academy="cae", field="化工", affiliation="浙江大学", region=world.county_a
    )
    StationCooperation.objects.create(
        academician=academician, station=world.platform_a, started_on=dt.date(2017, 4, 1), team_size=6
    )
    login(client, world, "county_org_dept")
    assert "测试院士" in client.get(reverse("registry:academician_list")).content.decode()
    detail = client.get(reverse("registry:academician_detail", args=[academician.pk])).content.decode()
    assert world.platform_a.name in detail and "2017-04-01" in detail and "<td>6</td>" in detail
    station = client.get(reverse("registry:platform_detail", args=[world.platform_a.pk])).content.decode()
    assert "测试院士" in station


# Language ------------------------------------------------------------------------------------


def test_pages_are_chinese_by_default_and_english_when_chosen(client, world):
    login(client, world, "county_org_dept")
    chinese = list_talents(client).content.decode()
    assert "人才名单" in chinese and "证件号码" in chinese
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = list_talents(client).content.decode()
    assert "<th>ID number</th>" in english and "<th>Name</th>" in english
    assert "Export to Excel" in english and "Professionals" in english
    assert "证件号码" not in english
    detail = client.get(reverse("registry:talent_detail", args=[world.talent_a.pk])).content.decode()
    assert "Show full number" in detail and "Education" in detail


def test_form_errors_follow_the_language(client, world):
    login(client, world, "county_org_dept")
    response = client.post(
        reverse("registry:talent_create"),
        talent_form_data(id_number="330881199003070021"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.context["form"].errors["id_number"] == ["ID number check digit is wrong"]
