"""Achievements (成果): recorded, changed and deleted through the services (audited, all or nothing), scoped
like the other registry rows on the pages and in the API."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from rencai.accounts.models import ApiToken
from rencai.core import crypto
from rencai.core.errors import NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.registry.achievements import (
    AchievementInput,
    achievement_create,
    achievement_delete,
    achievement_update,
)
from rencai.registry.models import Achievement, AchievementHolder
from tests import factories


def id_number(talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


def patent(*holders: str, **overrides) -> AchievementInput:
    values = {
        "kind": "patent_granted",
        "title": "一种氟硅新材料的制备方法",
        "achieved_on": dt.date(2022, 5, 20),
        "holders": list(holders),
        "reference": "zl201910000001.x",
    }
    values.update(overrides)
    return AchievementInput(**values)


def messages(failure: ValidationFailed) -> list[tuple[str, str, str]]:
    return [(p["field"], p["message_zh"], p["message_en"]) for p in failure.details]


# Services ------------------------------------------------------------------------------------------


def test_an_org_officer_records_an_achievement_with_its_holders_in_rank_order_audited(world):
    officer = world.users["county_org_dept"]
    data = patent(
        id_number(world.talent_a2),
        str(world.talent_a.pk),
        amount="1,200.5",
        enterprise_credit_code=world.enterprise_a.credit_code.lower(),
    )

    achievement = achievement_create(actor=officer, data=data)

    assert achievement.reference == "ZL201910000001.X" and achievement.amount == Decimal("1200.50")
    assert achievement.region == world.county_a  # the first holder's
    assert achievement.enterprise == world.enterprise_a
    holders = list(achievement.holders.order_by("rank").values_list("talent_id", "rank"))
    assert holders == [(world.talent_a2.pk, 1), (world.talent_a.pk, 2)]
    entry = AuditEntry.objects.get(action="registry.achievement.create")
    assert entry.object_id == str(achievement.pk) and entry.region_code == "330881"
    assert entry.detail["holders"] == [world.talent_a2.pk, world.talent_a.pk]
    assert entry.detail["after"]["title"] == "一种氟硅新材料的制备方法"


def test_a_county_officer_cannot_name_a_talent_of_another_county_and_nothing_is_written(world):
    officer = world.users["county_org_dept"]

    with pytest.raises(ValidationFailed) as refused:
        achievement_create(actor=officer, data=patent(id_number(world.talent_a), id_number(world.talent_b)))

    [(field, zh, en)] = messages(refused.value)
    assert field == "holders" and "第2位持有人" in zh and "不在您的权限范围内" in zh
    assert "Holder 2" in en and "outside your scope" in en
    assert id_number(world.talent_b) not in zh + en  # an ID number is repeated only masked
    assert not Achievement.objects.exists() and not AchievementHolder.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="registry.achievement").exists()


def test_bad_input_lists_every_problem_in_chinese_and_english_at_once(world):
    officer = world.users["city_org_dept"]
    data = patent(
        kind="invention",
        title="  ",
        achieved_on=dt.date.today() + dt.timedelta(days=1),
        amount="-3",
        level="galactic",
        enterprise_credit_code="91330800MA28F0000M",
        region_code="110105",
    )

    with pytest.raises(ValidationFailed) as refused:
        achievement_create(actor=officer, data=data)

    found = {field: (zh, en) for field, zh, en in messages(refused.value)}
    assert set(found) == {
        "kind",
        "title",
        "achieved_on",
        "amount",
        "level",
        "holders",
        "enterprise_credit_code",
        "region",
    }
    assert found["title"] == ("成果名称不能为空", "The title is required")
    assert found["achieved_on"] == ("成果日期不能晚于今天", "The date cannot be in the future")
    assert not Achievement.objects.exists()


def test_one_kind_and_number_is_one_achievement_in_the_service_and_the_database(world):
    officer = world.users["city_org_dept"]
    achievement_create(actor=officer, data=patent(id_number(world.talent_a)))

    with pytest.raises(ValidationFailed) as refused:
        achievement_create(actor=officer, data=patent(id_number(world.talent_b), title="另一项"))
    assert messages(refused.value)[0][0] == "reference"
    # the constraint itself: the same number again is refused, a blank number may repeat
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_achievement(world.talent_b, reference="ZL201910000001.X")
    factories.make_achievement(world.talent_b, kind="award", reference="")
    factories.make_achievement(world.talent_b, kind="award", reference="")
    # another kind may carry the same number
    factories.make_achievement(world.talent_b, kind="patent_applied", reference="ZL201910000001.X")
    assert Achievement.objects.count() == 4


def test_an_update_changes_fields_and_holders_and_audits_before_and_after(world):
    officer = world.users["city_org_dept"]
    achievement = achievement_create(actor=officer, data=patent(id_number(world.talent_a)))

    achievement_update(
        actor=officer,
        achievement_id=achievement.pk,
        data=patent(str(world.talent_a.pk), f"#{world.talent_b.pk}", amount="50000"),
    )

    achievement.refresh_from_db()
    assert achievement.amount == Decimal("50000.00")
    assert list(achievement.holders.values_list("talent_id", flat=True)) == [
        world.talent_a.pk,
        world.talent_b.pk,
    ]
    entry = AuditEntry.objects.get(action="registry.achievement.update")
    assert entry.detail["changed"] == ["amount", "updated_at"]
    assert entry.detail["holders_before"] == [world.talent_a.pk]
    assert entry.detail["holders"] == [world.talent_a.pk, world.talent_b.pk]


def test_a_county_keeps_a_co_holder_of_another_county_it_cannot_see_when_it_edits(world):
    achievement = factories.make_achievement(world.talent_a, world.talent_b, reference="ZL9")
    officer = world.users["county_org_dept"]

    achievement_update(
        actor=officer,
        achievement_id=achievement.pk,
        data=patent(str(world.talent_a.pk), str(world.talent_b.pk), reference="ZL9", title="改名"),
    )

    assert Achievement.objects.get(pk=achievement.pk).title == "改名"
    assert AchievementHolder.objects.filter(achievement=achievement).count() == 2


def test_a_deletion_is_audited_with_what_was_deleted_and_takes_the_holders(world):
    officer = world.users["county_org_dept"]
    achievement = factories.make_achievement(world.talent_a, reference="ZL7")

    achievement_delete(actor=officer, achievement_id=achievement.pk)

    assert not Achievement.objects.exists() and not AchievementHolder.objects.exists()
    entry = AuditEntry.objects.get(action="registry.achievement.delete")
    assert entry.detail["before"]["reference"] == "ZL7" and entry.detail["holders"] == [world.talent_a.pk]


def test_out_of_scope_is_not_found_and_roles_without_the_right_are_refused(world):
    other = factories.make_achievement(world.talent_b, reference="ZL8")
    with pytest.raises(NotFound):
        achievement_delete(actor=world.users["county_org_dept"], achievement_id=other.pk)
    for role in ("enterprise", "department", "talent"):
        with pytest.raises(PermissionDenied) as refused:
            achievement_create(actor=world.users[role], data=patent(id_number(world.talent_a)))
        assert refused.value.message_zh and refused.value.message_en
    assert Achievement.objects.count() == 1


# Scope on the pages and in the API --------------------------------------------------------------------


@pytest.fixture
def three(world):
    """A Jiangshan achievement linked to enterprise_a, one of Jiangshan's without employer, a Longyou one."""
    return {
        "a_linked": factories.make_achievement(
            world.talent_a, title="江山甲的专利", reference="ZLA", enterprise=world.enterprise_a
        ),
        "a_plain": factories.make_achievement(world.talent_a2, kind="award", title="江山乙的奖项"),
        "b": factories.make_achievement(world.talent_b, kind="tech_transfer", title="龙游丙的转化"),
    }


EXPECTED = {
    "city_org_dept": {"a_linked", "a_plain", "b"},
    "county_org_dept": {"a_linked", "a_plain"},
    "department": {"a_linked", "a_plain"},
    "enterprise": {"a_linked"},
    "talent": set(),
    "reviewer": set(),
    "superuser": {"a_linked", "a_plain", "b"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_list_page_and_the_api_show_exactly_the_roles_achievements(world, three, role):
    client = Client()
    client.force_login(world.users[role])
    html = client.get(reverse("registry:achievement_list")).content.decode()
    _token, key = ApiToken.issue(world.users[role])
    api = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/registry/achievements/")

    for name, achievement in three.items():
        assert (achievement.title in html) == (name in EXPECTED[role]), name
    assert api.status_code == 200
    assert {item["id"] for item in api.json()["items"]} == {three[name].pk for name in EXPECTED[role]}


def test_filters_by_kind_and_county(world, three):
    client = Client()
    client.force_login(world.users["city_org_dept"])
    by_kind = client.get(reverse("registry:achievement_list"), {"kind": "award"}).content.decode()
    by_county = client.get(reverse("registry:achievement_list"), {"region": "330825"}).content.decode()
    assert "江山乙的奖项" in by_kind and "江山甲的专利" not in by_kind
    assert "龙游丙的转化" in by_county and "江山乙的奖项" not in by_county


def test_a_co_holder_of_another_county_is_not_named_to_the_county(world):
    factories.make_achievement(world.talent_a, world.talent_b, title="两县合作专利")
    client = Client()
    client.force_login(world.users["county_org_dept"])
    html = client.get(reverse("registry:achievement_list")).content.decode()
    assert "两县合作专利" in html and world.talent_a.name in html and world.talent_b.name not in html


def test_the_talent_page_lists_the_talents_achievements_to_whoever_sees_the_talent(world, three):
    for role in ("county_org_dept", "enterprise", "talent"):
        client = Client()
        client.force_login(world.users[role])
        html = client.get(reverse("registry:talent_detail", args=[world.talent_a.pk])).content.decode()
        assert 'data-section="achievements"' in html and "江山甲的专利" in html, role
        assert "龙游丙的转化" not in html


def test_the_edit_page_opens_in_scope_only_and_the_form_saves_through_the_service(world, three):
    client = Client()
    client.force_login(world.users["county_org_dept"])
    assert client.get(reverse("registry:achievement_edit", args=[three["b"].pk])).status_code == 404
    url = reverse("registry:achievement_edit", args=[three["a_plain"].pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "kind": "award",
            "title": "江山乙的省级奖项",
            "achieved_on": "2021-05-20",
            "level": "provincial",
            "holders": f"{world.talent_a2.pk}、{id_number(world.talent_a)}",
            "region": "",
        },
    )

    assert response.status_code == 302
    changed = Achievement.objects.get(pk=three["a_plain"].pk)
    assert changed.title == "江山乙的省级奖项" and changed.level == "provincial"
    assert changed.holders.count() == 2


def test_the_create_form_shows_the_services_problems(world):
    client = Client()
    client.force_login(world.users["county_org_dept"])
    response = client.post(
        reverse("registry:achievement_create"),
        {"kind": "patent_applied", "title": "x", "achieved_on": "2021-01-01", "holders": "123456789"},
    )
    assert response.status_code == 200 and "未登记或不在您的权限范围内" in response.content.decode()
    assert not Achievement.objects.exists()
    assert Client().get(reverse("registry:achievement_create")).status_code == 302  # signed out


def test_the_api_records_an_achievement_and_refuses_bad_input_in_both_languages(world):
    _token, key = ApiToken.issue(world.users["county_org_dept"])
    api = Client(headers={"Authorization": f"Bearer {key}"})
    payload = {
        "kind": "tech_transfer",
        "title": "专利许可",
        "achieved_on": "2023-03-01",
        "holders": [world.talent_a.pk],
        "amount": "300000",
        "reference": "HT-2023-1",
    }

    created = api.post("/api/registry/achievements/", json.dumps(payload), content_type="application/json")
    refused = api.post(
        "/api/registry/achievements/",
        json.dumps({**payload, "holders": [world.talent_b.pk], "reference": "HT-2023-2"}),
        content_type="application/json",
    )

    assert created.status_code == 201
    body = created.json()
    assert body["holders"] == [{"talent_id": world.talent_a.pk, "name": world.talent_a.name, "rank": 1}]
    assert body["amount"] in ("300000.00", 300000.0) and body["region"]["code"] == "330881"
    assert refused.status_code == 422
    problem = refused.json()["details"][0]
    assert "不在您的权限范围内" in problem["message_zh"] and "outside your scope" in problem["message_en"]
    assert Achievement.objects.count() == 1
