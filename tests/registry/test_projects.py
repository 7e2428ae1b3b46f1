"""Projects (带着项目入驻): registered by the organization departments with their lead, team, investment and
company, every problem listed at once, audited; the team kept exactly as given; scoped pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.registry.models import Project, ProjectMember
from rencai.registry.projects import ProjectInput, project_create, project_update, projects_for
from tests import factories

pytestmark = pytest.mark.django_db


def _input(world, **overrides) -> ProjectInput:
    values = {
        "name": "高性能氟硅新材料项目",
        "region_code": "330881",
        "lead": str(world.talent_a.pk),
        "industry": "chemicals",
        "landed_on": dt.date(2026, 5, 1),
        "members": [str(world.talent_a2.pk)],
        "investment": "50000000",
        "company_credit_code": world.enterprise_a.credit_code,
    }
    values.update(overrides)
    return ProjectInput(**values)


def test_county_officer_registers_a_project_with_its_lead_and_team(world):
    project = project_create(actor=world.users["county_org_dept"], data=_input(world))
    assert project.investment == Decimal("50000000.00") and project.company == world.enterprise_a
    members = dict(ProjectMember.objects.filter(project=project).values_list("talent_id", "role"))
    assert members == {world.talent_a.pk: "lead", world.talent_a2.pk: ""}
    entry = AuditEntry.objects.get(action="registry.project.create")
    assert entry.detail["after"]["name"] == "高性能氟硅新材料项目"


def test_every_problem_of_a_project_is_listed_at_once(world):
    bad = _input(
        world,
        name="",
        region_code="330825",  # Longyou: not the Jiangshan officer's
        lead=str(world.talent_b.pk),  # a Longyou talent the officer does not see
        industry="nope",
        landed_on=dt.date.today() + dt.timedelta(days=3),
        members=["330881199003070021"],
        investment="-1",
    )
    with pytest.raises(ValidationFailed) as refused:
        project_create(actor=world.users["county_org_dept"], data=bad)
    fields = [detail["field"] for detail in refused.value.details]
    assert fields == ["name", "region_code", "industry", "landed_on", "investment", "lead", "members"]
    assert "330881199003070021" not in str(refused.value.details)  # an ID number is repeated masked
    assert not Project.objects.exists()


def test_only_officers_register_projects(world):
    with pytest.raises(PermissionDenied):
        project_create(actor=world.users["enterprise"], data=_input(world))


def test_updating_the_team_removes_and_adds_members_and_audits_it(world):
    officer = world.users["county_org_dept"]
    project = project_create(actor=officer, data=_input(world))
    newcomer = factories.make_talent(world.county_a, name="江山丁")
    project_update(
        actor=officer,
        project=project,
        data=_input(world, lead=str(world.talent_a2.pk), members=[str(newcomer.pk)]),
    )
    members = dict(ProjectMember.objects.filter(project=project).values_list("talent_id", "role"))
    assert members == {world.talent_a2.pk: "lead", newcomer.pk: ""}
    entry = AuditEntry.objects.get(action="registry.project.update")
    assert "lead_id" in entry.detail["changed"]


def test_projects_are_scoped_and_the_pages_work(client, world):
    mine = project_create(actor=world.users["county_org_dept"], data=_input(world))
    other = project_create(
        actor=world.users["city_org_dept"],
        data=_input(
            world,
            name="龙游纸基新材料项目",
            region_code="330825",
            lead=str(world.talent_b.pk),
            members=[],
            company_credit_code="",
        ),
    )
    assert list(projects_for(world.users["county_org_dept"])) == [mine]
    assert set(projects_for(world.users["city_org_dept"])) == {mine, other}
    client.force_login(world.users["county_org_dept"])
    html = client.get(reverse("registry:project_list")).content.decode()
    assert "高性能氟硅新材料项目" in html and "龙游纸基新材料项目" not in html
    assert client.get(reverse("registry:project_edit", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("registry:project_create"),
        {
            "name": "数字经济项目",
            "lead": str(world.talent_a2.pk),
            "members": "",
            "industry": "chemicals",
            "investment": "1000000",
            "landed_on": "2026-06-01",
            "company_credit_code": "",
            "region_code": "330881",
        },
    )
    assert response.status_code == 302
    assert Project.objects.filter(name="数字经济项目", lead=world.talent_a2).exists()
    refused = client.post(reverse("registry:project_create"), {"name": "", "landed_on": "2026-06-01"})
    assert refused.status_code == 422
