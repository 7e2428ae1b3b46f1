"""Who is entitled and why: the officer finds the talent by name or ID number among those they may see, and
opens a talent's benefits from the registry."""

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse

from rencai.core import crypto
from rencai.core.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _explain(client, user, policy, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("policies:policy_explain", args=[policy.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def _id_number(talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


@pytest.fixture
def policy(issue):
    return issue("high-level", 'talent.tier in ["A", "B", "C"]', "10000")


def test_an_officer_finds_a_talent_by_name_and_reads_the_explanation(client, world, policy):
    page = _explain(client, world.users["county_org_dept"], policy, q="江山甲")

    section = _text(page.split('id="explanation"')[1])
    assert "江山甲" in section and "该人才的人才类别为D类，不属于A类、B类、C类" in section
    assert 'value="江山甲"' in page  # what was typed stays in the box


def test_several_matches_are_listed_to_pick_from_with_masked_id_and_county(client, world, policy):
    page = _explain(client, world.users["county_org_dept"], policy, q="江山")

    matches = page.split('id="matches"')[1].split("</section>")[0]
    assert set(re.findall(r'data-match="(\d+)"', matches)) == {
        str(world.talent_a.pk),
        str(world.talent_a2.pk),
    }
    assert world.talent_a.id_number_masked in matches and "江山市" in matches
    assert _id_number(world.talent_a) not in page
    assert 'id="explanation"' not in page
    assert f"?talent={world.talent_a.pk}&amp;q=%E6%B1%9F%E5%B1%B1" in matches


def test_a_search_by_full_id_number_uses_the_blind_index_and_is_audited(client, world, policy):
    number = _id_number(world.talent_a)

    page = _explain(client, world.users["county_org_dept"], policy, q=number)

    assert "江山甲" in _text(page.split('id="explanation"')[1])
    entry = AuditEntry.objects.get(action="pii.lookup")
    assert entry.actor_id == world.users["county_org_dept"].pk
    assert entry.object_id == str(world.talent_a.pk) and entry.region_code == "330881"
    assert entry.detail["field"] == "id_number" and entry.detail["found"] == 1
    assert number not in str(entry.detail)


def test_a_county_officer_does_not_find_another_countys_talent(client, world, policy):
    officer = world.users["county_org_dept"]
    by_name = _explain(client, officer, policy, q="龙游丙")
    by_number = _explain(client, officer, policy, q=_id_number(world.talent_b))

    for page in (by_name, by_number):
        assert 'id="no-match"' in page and "龙游丙" not in page.split("</form>")[1]
        assert 'id="explanation"' not in page
    entry = AuditEntry.objects.get(action="pii.lookup")
    assert entry.detail["found"] == 0 and entry.region_code == "330881"
    # the city sees the whole city
    assert "龙游丙" in _text(_explain(client, world.users["city_org_dept"], policy, q="龙游丙"))


def test_a_name_search_is_not_a_personal_data_lookup(client, world, policy):
    _explain(client, world.users["county_org_dept"], policy, q="江山甲")
    assert not AuditEntry.objects.filter(action="pii.lookup").exists()


def test_a_partial_id_number_is_refused_in_both_languages_and_kept_in_the_box(client, world, policy):
    page = _explain(client, world.users["county_org_dept"], policy, q="33088119900307")
    assert "身份证号须为18位，末位可为X" in page and 'value="33088119900307"' in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _explain(client, world.users["county_org_dept"], policy, q="33088119900307")
    assert "ID number must be 18 characters, the last may be X" in page
    assert not AuditEntry.objects.filter(action="pii.lookup").exists()


def test_an_empty_search_asks_for_a_name_or_id_number(client, world, policy):
    page = _explain(client, world.users["county_org_dept"], policy, q="  ")
    assert "请输入人才的姓名或身份证号" in page


def test_a_link_with_the_talent_still_opens_the_explanation(client, world, policy):
    page = _explain(client, world.users["county_org_dept"], policy, talent=world.talent_a.pk)
    assert "该人才的人才类别为D类" in _text(page)


# -- a talent's benefits, from the registry ----------------------------------------------------------


def test_the_talent_page_links_to_the_talents_benefits(client, world):
    client.force_login(world.users["county_org_dept"])
    page = client.get(reverse("registry:talent_detail", args=[world.talent_a.pk])).content.decode()
    link = reverse("policies:talent_benefits", args=[world.talent_a.pk])
    assert f'<a href="{link}" data-benefits-link>政策红利与资格说明</a>' in page

    client.force_login(world.users["talent"])
    own = client.get(reverse("registry:talent_detail", args=[world.talent_a.pk])).content.decode()
    assert f'<a href="{reverse("policies:my_benefits")}" data-benefits-link>' in own


def test_an_officer_reads_every_policy_in_force_for_the_talent_with_its_reasons(client, world, issue):
    issue("for-d", 'talent.tier == "D"', "8000")
    issue("for-doctors", 'talent.degree == "doctor" && talent.age <= 45', "200000")
    client.force_login(world.users["county_org_dept"])

    page = client.get(reverse("policies:talent_benefits", args=[world.talent_a.pk])).content.decode()

    eligible = _text(page.split('id="eligible"')[1].split("</section>")[0])
    ineligible = _text(page.split('id="ineligible"')[1].split("</section>")[0])
    assert "政策 for-d" in eligible and "该人才的人才类别为D类，符合要求" in eligible
    assert "政策 for-doctors" in ineligible and "要求学历为博士（该人才的学历为硕士）" in ineligible


def test_the_benefits_page_follows_the_officers_scope(client, world):
    client.force_login(world.users["county_org_dept"])
    assert client.get(reverse("policies:talent_benefits", args=[world.talent_b.pk])).status_code == 404
    client.force_login(world.users["enterprise"])  # sees its employee, holds no right to the policies
    assert client.get(reverse("policies:talent_benefits", args=[world.talent_a.pk])).status_code == 403
    client.force_login(world.users["talent"])  # their own: the talent's page
    response = client.get(reverse("policies:talent_benefits", args=[world.talent_a.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("policies:my_benefits")
    assert client.get(reverse("policies:talent_benefits", args=[world.talent_a2.pk])).status_code == 404


def test_a_county_officer_finds_a_talent_registered_later_by_id_number(client, world, policy):
    newcomer = factories.make_talent(world.county_a, name="江山丁", tier="B")
    page = _explain(client, world.users["county_org_dept"], policy, q=_id_number(newcomer).lower())
    assert "该人才的人才类别为B类，属于A类、B类、C类" in _text(page)
