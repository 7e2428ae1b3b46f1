"""The coordination admin shows the rows the services wrote (sheets and their items, leaders, circulars, work
lists, items, projects, milestones, consultations and comments) and changes nothing."""

import datetime as dt

import pytest
from django.contrib import admin

from rencai.coordination.models import Section
from rencai.coordination.services import consultation as consultations
from rencai.coordination.services import targets, worklists
from rencai.policies.models import Policy, PolicyVersion, VersionStatus
from tests.coordination.target_builders import appoint_leaders, sheet_with_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    city, county, dept = (
        world.users["city_org_dept"],
        world.users["county_org_dept"],
        world.users["department"],
    )
    sheet = sheet_with_items(city, region=world.county_a)
    targets.item_add(
        actor=city,
        sheet=sheet,
        section=Section.BONUS,
        title="省级人才工作表彰",
        max_points="2",
        reason="获表彰",
    )
    leaders = appoint_leaders(city, world.county_a, county, dept)
    worklist = worklists.worklist_create(
        actor=dept, department=dept.department, year=2017, lead_officer="王局长"
    )
    item = worklists.work_item_create(
        actor=dept, worklist=worklist, title="高技能人才培训", responsible="李科长"
    )
    milestone = worklists.milestone_add(
        actor=dept, tracked=item, title="培训方案印发", due_on=dt.date(2017, 3, 1)
    )
    project = worklists.project_create(
        actor=county, region=world.county_a, year=2017, title="人才飞地建设", leader_name="王书记"
    )
    policy = Policy.objects.create(
        code="js-draft", name="江山市人才新政（征求意见稿）", region=world.county_a, kind="subsidy"
    )
    version = PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=dt.date(2017, 7, 1),
        amount_rule="1",
        status=VersionStatus.DRAFT,
    )
    consultation = consultations.consultation_open(
        actor=county,
        version=version,
        deadline=dt.date(2017, 3, 15),
        departments=[dept.department],
        today=dt.date(2017, 3, 1),
    )
    comment = consultations.comment_add(
        actor=dept, consultation=consultation, body="补贴标准偏低", today=dt.date(2017, 3, 2)
    )
    return {
        "targetsheet": sheet,
        "targetitem": sheet.items.get(section=Section.BONUS),
        "leader": leaders[0],
        "worklist": worklist,
        "workitem": item,
        "milestone": milestone,
        "secretaryproject": project,
        "consultation": consultation,
        "comment": comment,
    }


def test_every_coordination_model_has_a_read_only_admin():
    from django.apps import apps

    for model in apps.get_app_config("coordination").get_models():
        registered = admin.site._registry.get(model)
        inline = any(
            getattr(inline, "model", None) is model
            for model_admin in admin.site._registry.values()
            for inline in model_admin.inlines
        )
        assert registered is not None or inline, model
        if registered is not None:
            assert not registered.has_add_permission(None)
            assert not registered.has_change_permission(None)
            assert not registered.has_delete_permission(None)


def test_the_changelists_and_pages_render_for_the_superuser_but_offer_no_change(client, world, rows):
    client.force_login(world.users["superuser"])
    shown = {
        "targetsheet": "江山市",
        "targetitem": "省级人才工作表彰",
        "leader": "王书记",
        "worklist": "王局长",
        "workitem": "高技能人才培训",
        "milestone": "培训方案印发",
        "secretaryproject": "人才飞地建设",
        "consultation": "江山市人才新政",
        "comment": world.users["department"].department.name,
    }
    for name, text in shown.items():
        page = client.get(f"/admin/coordination/{name}/")
        assert page.status_code == 200, name
        body = page.content.decode()
        assert text in body, name
        assert f'href="/admin/coordination/{name}/add/"' not in body
        detail = client.get(f"/admin/coordination/{name}/{rows[name].pk}/change/")
        assert detail.status_code == 200, name
        assert 'name="_save"' not in detail.content.decode()
    # the sheet's page shows its lines, the item's page no evidence upload
    sheet = client.get(f"/admin/coordination/targetsheet/{rows['targetsheet'].pk}/change/").content.decode()
    assert "建成人才驿站" in sheet and "省级人才工作表彰" in sheet
    assert (
        "evidence_file"
        not in client.get(f"/admin/coordination/targetitem/{rows['targetitem'].pk}/change/").content.decode()
    )


def test_writes_through_the_admin_are_refused(client, world, rows):
    client.force_login(world.users["superuser"])
    sheet = rows["targetsheet"]
    assert (
        client.post(f"/admin/coordination/targetsheet/{sheet.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert client.get("/admin/coordination/comment/add/").status_code == 403
    refused = client.post(
        f"/admin/coordination/targetsheet/{sheet.pk}/change/", {"year": 2030, "bonus_cap": "50"}
    )
    assert refused.status_code == 403
    sheet.refresh_from_db()
    assert sheet.year == 2025 and sheet.bonus_cap == 5
