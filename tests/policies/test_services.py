import datetime as dt
from decimal import Decimal

import pytest

from rencai.core.errors import DomainError, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.policies import selectors, services
from rencai.policies.models import Policy


@pytest.fixture
def city_policy(world):
    return services.create_policy(
        actor=world.users["city_org_dept"],
        code="p1",
        name="测试政策",
        region=world.regions["330800"],
        kind="subsidy",
        budget_total=Decimal("1000"),
    )


def test_an_invalid_rule_is_never_issued_and_the_error_names_line_and_column(world, city_policy):
    city = world.users["city_org_dept"]
    draft = services.draft_version(
        actor=city,
        policy=city_policy,
        eligibility_rule='talent.age > "x"',
        amount_rule="1000",
        effective_from=dt.date(2026, 1, 1),
    )
    with pytest.raises(ValidationFailed) as caught:
        services.issue_version(actor=city, version=draft)
    problem = caught.value.details[0]
    assert problem["line"] == 1 and problem["column"] >= 1
    assert "类型" in problem["message_zh"] or "比较" in problem["message_zh"]
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_unknown_variables_are_reported_in_chinese(world, city_policy):
    problems = services.rule_problems("talent.salary > 3", expect="bool")
    assert problems and "talent.salary" in problems[0]["message_zh"] and "未知" in problems[0]["message_zh"]


def test_issuing_a_new_version_ends_the_previous_one_the_day_before(world, city_policy):
    city = world.users["city_org_dept"]
    first = services.draft_version(
        actor=city,
        policy=city_policy,
        eligibility_rule='talent.tier == "A"',
        amount_rule="1",
        effective_from=dt.date(2020, 1, 1),
    )
    services.issue_version(actor=city, version=first)
    second = services.draft_version(
        actor=city,
        policy=city_policy,
        eligibility_rule='talent.tier == "B"',
        amount_rule="2",
        effective_from=dt.date(2026, 1, 1),
    )
    services.issue_version(actor=city, version=second)
    first.refresh_from_db()
    assert first.effective_to == dt.date(2025, 12, 31)
    assert selectors.version_in_force(city_policy, dt.date(2025, 6, 1)) == first
    assert selectors.version_in_force(city_policy, dt.date(2026, 6, 1)) == second
    assert AuditEntry.objects.filter(action="policy.issue").count() == 2


def test_issued_versions_cannot_be_edited(world, city_policy):
    city = world.users["city_org_dept"]
    version = services.draft_version(
        actor=city,
        policy=city_policy,
        eligibility_rule='talent.tier == "A"',
        amount_rule="1",
        effective_from=dt.date(2020, 1, 1),
    )
    services.issue_version(actor=city, version=version)
    with pytest.raises(DomainError, match="cannot change"):
        services.update_draft(
            actor=city,
            version=version,
            eligibility_rule="true",
            amount_rule="1",
            effective_from=dt.date(2020, 1, 1),
        )


def test_only_organization_departments_draft_policies_and_only_in_their_region(world, city_policy):
    with pytest.raises(PermissionDenied):
        services.create_policy(
            actor=world.users["department"], code="x", name="x", region=world.county_a, kind="subsidy"
        )
    with pytest.raises(PermissionDenied):
        services.create_policy(
            actor=world.users["county_org_dept"], code="y", name="y", region=world.county_b, kind="subsidy"
        )
    assert not Policy.objects.filter(code__in=["x", "y"]).exists()


def test_counties_see_city_policies_but_not_other_counties_policies(world, issue):
    city = issue("city", "true")
    mine = issue("mine", "true", region=world.county_a)
    theirs = issue("theirs", "true", region=world.county_b)
    visible = set(selectors.policies_for(world.users["county_org_dept"]))
    assert visible == {city, mine}
    assert set(selectors.policies_for(world.users["city_org_dept"])) == {city, mine, theirs}
    # a talent and an enterprise see the policies that apply where they are
    assert set(selectors.policies_for(world.users["talent"])) == {city, mine}
    assert set(selectors.policies_for(world.users["enterprise"])) == {city, mine}
    assert set(selectors.policies_for(world.users["reviewer"])) == set()


def test_editing_issuing_and_withdrawing_a_version_audit_it_whole_under_the_policys_region(
    world, city_policy
):
    city = world.users["city_org_dept"]
    first = services.draft_version(
        actor=city,
        policy=city_policy,
        eligibility_rule="true",
        amount_rule="1",
        effective_from=dt.date(2020, 1, 1),
    )
    services.issue_version(actor=city, version=first)
    draft = services.draft_version(
        actor=city,
        policy=city_policy,
        eligibility_rule="true",
        amount_rule="1",
        effective_from=dt.date(2026, 1, 1),
    )
    services.update_draft(
        actor=city,
        version=draft,
        eligibility_rule="true",
        amount_rule="2",
        effective_from=dt.date(2026, 1, 1),
    )
    services.issue_version(actor=city, version=draft)
    services.withdraw_version(actor=city, version=draft, reason="测试撤回")

    update = AuditEntry.objects.get(action="policy.draft_update")
    assert update.detail["before"]["amount_rule"] == "1" and update.detail["after"]["amount_rule"] == "2"
    assert update.detail["changed"] == ["amount_rule"] and update.detail["version"] == 2
    issue = AuditEntry.objects.filter(action="policy.issue").order_by("seq").last()
    assert (issue.object_type, issue.object_id) == ("policies.policyversion", str(draft.pk))
    assert issue.detail["before"]["status"] == "draft" and issue.detail["after"]["status"] == "issued"
    assert issue.detail["effective_from"] == "2026-01-01" and issue.region_code == "330800"
    ended = AuditEntry.objects.get(action="policy.version_end")
    assert ended.object_id == str(first.pk) and ended.detail["changed"] == ["effective_to"]
    assert ended.detail["before"]["effective_to"] is None
    assert ended.detail["after"]["effective_to"] == "2025-12-31"
    withdrawn = AuditEntry.objects.get(action="policy.withdraw")
    assert withdrawn.detail["reason"] == "测试撤回" and withdrawn.detail["changed"] == ["status"]
    assert withdrawn.detail["after"]["status"] == "withdrawn" and withdrawn.region_code == "330800"
