"""The expert pool: adding and changing experts with their links, sealed phones, reviewer logins, scope."""

import datetime as dt

import pytest

from rencai.accounts.models import Role, User
from rencai.core import crypto
from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.evaluation.choices import EvaluatorKind
from rencai.evaluation.models import DeclaredRelation, Expert, ExpertEmployment
from rencai.evaluation.services.experts import (
    EmploymentInput,
    ExpertInput,
    RelationInput,
    expert_create,
    expert_deactivate,
    expert_link_account,
    expert_update,
    experts_for,
    get_expert,
)

pytestmark = pytest.mark.django_db


def _input(world, **changes) -> ExpertInput:
    values = {
        "name": "王教授",
        "region_id": world.county_a.pk,
        "evaluator_kind": EvaluatorKind.PROFESSIONAL_BODY,
        "employer_name": "衢州学院",
        "title": "教授",
        "phone": "13912345678",
        "fields": ("electronics", "equipment"),
        "employments": (
            EmploymentInput(
                "江山天蓬测试集团", world.enterprise_a.pk, dt.date(2010, 1, 1), dt.date(2020, 6, 30)
            ),
        ),
        "platform_ids": (world.platform_b.pk,),
        "relations": (RelationInput(world.talent_b.pk, "师生"),),
    }
    values.update(changes)
    return ExpertInput(**values)


def test_officer_adds_an_expert_with_fields_links_and_a_sealed_phone(world):
    expert = expert_create(actor=world.users["county_org_dept"], data=_input(world))
    assert sorted(expert.fields.values_list("field", flat=True)) == ["electronics", "equipment"]
    assert expert.employments.get().enterprise_id == world.enterprise_a.pk
    assert list(expert.platforms.values_list("platform_id", flat=True)) == [world.platform_b.pk]
    assert expert.relations.get().relation == "师生"
    assert expert.phone_masked != "13912345678" and crypto.decrypt(expert.phone_ciphertext) == "13912345678"
    entry = AuditEntry.objects.get(action="evaluation.expert.create")
    assert "phone_ciphertext" not in entry.detail["after"] and entry.detail["fields"] == [
        "electronics",
        "equipment",
    ]


def test_every_problem_of_an_expert_is_listed_at_once(world):
    bad = _input(
        world,
        name=" ",
        employer_name="",
        evaluator_kind=EvaluatorKind.EMPLOYER,
        phone="123",
        fields=("astrology",),
        employments=(EmploymentInput("某单位", None, dt.date(2020, 1, 1), dt.date(2019, 1, 1)),),
        platform_ids=(999999,),
        relations=(RelationInput(999999, "亲属"),),
    )
    with pytest.raises(ValidationFailed) as refused:
        expert_create(actor=world.users["city_org_dept"], data=bad)
    fields = {d["field"] for d in refused.value.details}
    assert fields == {
        "name",
        "employer_name",
        "evaluator_kind",
        "phone",
        "fields",
        "employments.1",
        "platforms",
        "talent",
    }
    assert not Expert.objects.exists()


def test_county_officer_cannot_add_an_expert_in_another_county(world):
    with pytest.raises(PermissionDenied) as refused:
        expert_create(actor=world.users["county_org_dept"], data=_input(world, region_id=world.county_b.pk))
    assert refused.value.message_en == "You may only manage evaluations of your own region"


def test_experts_and_reviewers_cannot_manage_the_pool(world):
    for role in ("reviewer", "enterprise", "talent", "department"):
        with pytest.raises(PermissionDenied):
            expert_create(actor=world.users[role], data=_input(world))


def test_update_replaces_links_keeps_the_phone_and_audits_both(world):
    city = world.users["city_org_dept"]
    expert = expert_create(actor=city, data=_input(world))
    relation = DeclaredRelation.objects.get(expert=expert)
    changed = _input(
        world,
        phone="",
        fields=("biomedicine",),
        employments=(),
        relations=(RelationInput(world.talent_b.pk, "同学"),),
    )
    expert = expert_update(actor=city, expert=expert, data=changed)
    assert list(expert.fields.values_list("field", flat=True)) == ["biomedicine"]
    assert not ExpertEmployment.objects.filter(expert=expert).exists()
    kept = DeclaredRelation.objects.get(expert=expert)
    assert kept.pk == relation.pk and kept.declared_at == relation.declared_at and kept.relation == "同学"
    assert crypto.decrypt(Expert.objects.get(pk=expert.pk).phone_ciphertext) == "13912345678"
    entry = AuditEntry.objects.get(action="evaluation.expert.update")
    assert entry.detail["links_before"]["fields"] == ["electronics", "equipment"]
    assert entry.detail["links_after"]["fields"] == ["biomedicine"]


def test_a_deactivated_expert_leaves_the_pool(world):
    city = world.users["city_org_dept"]
    expert = expert_create(actor=city, data=_input(world))
    expert_deactivate(actor=city, expert=expert, reason="退休")
    assert not Expert.objects.get(pk=expert.pk).active
    assert AuditEntry.objects.get(action="evaluation.expert.deactivate").detail["reason"] == "退休"
    assert list(experts_for(city, active=True)) == []


def test_linking_a_login_creates_a_reviewer_account_without_a_usable_password(world):
    city = world.users["city_org_dept"]
    expert = expert_create(actor=city, data=_input(world))
    account = expert_link_account(actor=city, expert=expert, username="wang.prof")
    assert account.role == Role.REVIEWER and not account.has_usable_password()
    assert Expert.objects.get(pk=expert.pk).account == account
    assert AuditEntry.objects.filter(action="evaluation.expert.link_account").exists()


def test_an_officers_or_another_experts_login_cannot_be_linked(world):
    city = world.users["city_org_dept"]
    first = expert_create(actor=city, data=_input(world))
    second = expert_create(actor=city, data=_input(world, name="李研究员", phone=""))
    expert_link_account(actor=city, expert=first, username="shared")
    for username in ("shared", "county"):
        with pytest.raises(DomainError) as refused:
            expert_link_account(actor=city, expert=second, username=username)
        assert refused.value.details[0]["field"] == "username"
    assert User.objects.get(username="county").role == Role.COUNTY_ORG_DEPT


def test_a_talent_is_at_most_one_expert(world):
    city = world.users["city_org_dept"]
    expert_create(actor=city, data=_input(world, talent_id=world.talent_b.pk))
    with pytest.raises(ValidationFailed) as refused:
        expert_create(actor=city, data=_input(world, talent_id=world.talent_b.pk, phone=""))
    assert [d["field"] for d in refused.value.details] == ["talent"]


def test_pool_is_scoped_to_the_officers_region(world):
    city, county = world.users["city_org_dept"], world.users["county_org_dept"]
    in_a = expert_create(actor=city, data=_input(world))
    in_b = expert_create(
        actor=city, data=_input(world, region_id=world.county_b.pk, name="龙游专家", phone="")
    )
    assert set(experts_for(city)) == {in_a, in_b}
    assert list(experts_for(county)) == [in_a]
    with pytest.raises(NotFound):
        get_expert(county, in_b.pk)
    assert list(experts_for(world.users["reviewer"])) == []


def test_pool_filters_by_field_kind_and_state(world):
    city = world.users["city_org_dept"]
    expert = expert_create(actor=city, data=_input(world))
    assert list(experts_for(city, field="electronics", kind=EvaluatorKind.PROFESSIONAL_BODY)) == [expert]
    assert list(experts_for(city, field="biomedicine")) == []
    assert list(experts_for(city, kind=EvaluatorKind.MARKET)) == []


def test_the_pool_pages_list_add_and_edit_experts(client, world):
    city = world.users["city_org_dept"]
    client.force_login(city)
    response = client.post(
        "/evaluation/experts/new/",
        {
            "name": "赵高工",
            "region": world.county_a.pk,
            "evaluator_kind": EvaluatorKind.MARKET,
            "employer_name": "衢州某研究院",
            "review_fields": ["electronics"],
            "employments": "杭州某公司||2012-01-01|2018-12-31",
            "platform_ids": str(world.platform_a.pk),
            "relations": f"{world.talent_a.pk}|亲属",
        },
    )
    assert response.status_code == 302
    expert = Expert.objects.get(name="赵高工")
    assert expert.employments.get().employer_name == "杭州某公司"
    assert expert.relations.get().talent_id == world.talent_a.pk
    page = client.get("/evaluation/experts/?field=electronics").content.decode()
    assert f'data-expert="{expert.pk}"' in page
    assert (
        f'data-expert="{expert.pk}"' not in client.get("/evaluation/experts/?field=tourism").content.decode()
    )
    assert client.get(f"/evaluation/experts/{expert.pk}/").status_code == 200
    bad = client.post("/evaluation/experts/new/", {"name": "", "region": world.county_a.pk, "relations": "x"})
    assert bad.status_code == 422


def test_reviewers_cannot_open_the_pool_pages(client, world):
    client.force_login(world.users["reviewer"])
    assert client.get("/evaluation/experts/").status_code == 403
