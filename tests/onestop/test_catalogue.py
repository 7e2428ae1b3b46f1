"""Maintaining the service catalogue: organization officers define items for their region, a county replaces
a city item by defining its own with the same code, validation explains every problem in Chinese and English
and stores nothing, changed steps apply to applications accepted afterwards, and scope holds in UI and API."""

import pytest
from django.test import Client

from rencai.accounts.models import ApiToken
from rencai.core.calendar import add_working_days
from rencai.core.errors import NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.onestop import selectors, services
from rencai.onestop.models import ServiceItem, ServiceStep
from rencai.onestop.services import ItemSpec, StepSpec
from rencai.policies.models import Policy
from tests.onestop.builders import in_progress_gold_card

pytestmark = pytest.mark.django_db

RECRUIT_STEPS = (
    StepSpec("hrss", 1, "岗位与合同核验", 5),
    StepSpec("finance", 1, "资金来源核定", 5),
    StepSpec("org", 2, "人才办审定并公示", 3),
)


def recruit_spec(**changes) -> ItemSpec:
    fields = {
        "code": "js-craftsman",
        "name": "江山工匠津贴申领",
        "outcome": "payment",
        "description": "江山本地高技能人才津贴。",
        "material_codes": ("id_copy", "employment_contract"),
        "steps": RECRUIT_STEPS,
    }
    fields.update(changes)
    return ItemSpec(**fields)


def problems_of(error: ValidationFailed) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for detail in error.details:
        found.setdefault(detail["field"], []).append((detail["message_zh"], detail["message_en"]))
    return found


# -- services -----------------------------------------------------------------------------------------------


def test_a_county_defines_its_own_item_which_only_its_talents_see(onestop, world):
    item = services.save_service_item(actor=onestop.window, region=world.county_a, spec=recruit_spec())

    assert item.region == world.county_a and item.outcome == "payment"
    assert sorted(item.materials.values_list("code", flat=True)) == ["employment_contract", "id_copy"]
    assert sorted(item.steps.values_list("group", "department_kind", "sla_working_days")) == [
        (1, "finance", 5),
        (1, "hrss", 5),
        (2, "org", 3),
    ]
    assert "js-craftsman" in [i.code for i in selectors.items_in_region(world.county_a)]
    assert "js-craftsman" not in [i.code for i in selectors.items_in_region(world.county_b)]
    entry = AuditEntry.objects.get(action="onestop.item.create")
    assert entry.object_id == str(item.pk) and entry.region_code == "330881"
    assert entry.detail["steps"] == [[1, "hrss", 5], [1, "finance", 5], [2, "org", 3]]


def test_a_county_replaces_the_city_item_by_defining_the_same_code(onestop, world):
    city_item = onestop.items["gold_card"]
    local = services.save_service_item(
        actor=onestop.window,
        region=world.county_a,
        spec=recruit_spec(
            code="gold_card", name="江山人才金卡", outcome="gold_card", steps=RECRUIT_STEPS[:1]
        ),
    )

    assert selectors.item_in_region("gold_card", world.county_a) == local
    assert selectors.item_in_region("gold_card", world.county_b) == city_item
    rows = {(item.code, item.region.code): (editable, replaced) for item, editable, replaced in
            selectors.catalogue_to_maintain(onestop.window)}  # fmt: skip
    assert rows[("gold_card", "330881")] == (True, city_item)
    assert rows[("gold_card", "330800")] == (False, None)


def test_an_application_after_the_change_gets_the_countys_steps(onestop, world):
    services.save_service_item(
        actor=onestop.window,
        region=world.county_a,
        spec=recruit_spec(
            code="gold_card",
            name="江山人才金卡",
            outcome="gold_card",
            material_codes=("id_copy", "photo", "talent_certificate"),
            steps=(StepSpec("hrss", 1, "人才类别核验", 2),),
        ),
    )
    application = in_progress_gold_card(onestop)
    assert list(application.steps.values_list("department__kind", flat=True)) == ["hrss"]


@pytest.mark.parametrize(
    ("user_key", "region_key"),
    [
        ("county_org_dept", "330800"),  # a county may not change the city's catalogue
        ("county_org_dept", "330825"),  # nor another county's
        ("department", "330881"),  # department officers decide steps, they do not define items
        ("enterprise", "330881"),
        ("talent", "330881"),
        ("provider", "330881"),
    ],
)
def test_who_may_not_define_items(onestop, world, user_key, region_key):
    with pytest.raises(PermissionDenied):
        services.save_service_item(
            actor=world.users[user_key], region=world.regions[region_key], spec=recruit_spec()
        )
    assert not ServiceItem.objects.filter(code="js-craftsman").exists()


def test_the_city_defines_items_for_itself_and_for_any_county(onestop, world):
    city = world.users["city_org_dept"]
    for code in ("330800", "330825"):
        services.save_service_item(actor=city, region=world.regions[code], spec=recruit_spec())
    made = ServiceItem.objects.filter(code="js-craftsman").values_list("region__code", flat=True)
    assert sorted(made) == ["330800", "330825"]


def test_a_county_cannot_change_the_city_item_nor_see_another_countys(onestop, world):
    city_item = onestop.items["gold_card"]
    with pytest.raises(PermissionDenied):
        services.save_service_item(
            actor=onestop.window, region=world.county_a, item=city_item, spec=recruit_spec(code="gold_card")
        )
    longyou = services.save_service_item(
        actor=world.users["city_org_dept"], region=world.county_b, spec=recruit_spec()
    )
    with pytest.raises(NotFound):
        services.save_service_item(
            actor=onestop.window, region=world.county_a, item=longyou, spec=recruit_spec()
        )
    city_item.refresh_from_db()
    assert city_item.name == "人才金卡申领"


def test_every_problem_is_listed_in_both_languages_and_nothing_is_stored(onestop, world):
    longyou_policy = Policy.objects.get(code="longyou-settlement-doctor")
    bad = recruit_spec(
        code="bad code!",
        name=" ",
        outcome="cash",
        policy_id=longyou_policy.pk,
        material_codes=("id_copy", "diploma_scan"),
        steps=(
            StepSpec("hrss", 1, "核验", 0),
            StepSpec("hrss", 1, "重复", 3),
            StepSpec("police", 3, "", 61),
        ),
    )
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.save_service_item(actor=onestop.window, region=world.county_a, spec=bad)

    found = problems_of(caught.value)
    assert found["code"] == [
        ("事项编码只能包含字母、数字、下划线和连字符", "Use letters, digits, - and _ in the code")
    ]
    assert found["name"] == [("请填写事项名称", "Give the item a name")]
    assert found["outcome"][0][0] == "请选择办结产出"
    assert found["policy"][0][0] == "只能选择本区划或上级区划发布的政策"
    assert found["materials"] == [("未知的材料类型：diploma_scan", "Unknown material type: diploma_scan")]
    assert found["steps.1"][0][0] == "第1个环节：承诺时限应为1至60个工作日"
    assert found["steps.2"][0][0] == "第2个环节：同一部门在同一顺序中只能出现一次"
    assert [zh for zh, _en in found["steps.3"]] == [
        "第3个环节：请选择办理部门",
        "第3个环节：请填写办理内容",
        "第3个环节：承诺时限应为1至60个工作日",
    ]
    assert found["steps"][0][1].startswith("Order numbers must run 1, 2, 3")
    assert not ServiceItem.objects.filter(region=world.county_a).exists()
    assert AuditEntry.objects.count() == audit_before


def test_a_duplicate_code_and_an_item_without_steps_are_refused(onestop, world):
    services.save_service_item(actor=onestop.window, region=world.county_a, spec=recruit_spec())
    with pytest.raises(ValidationFailed) as caught:
        services.save_service_item(actor=onestop.window, region=world.county_a, spec=recruit_spec(steps=()))
    found = problems_of(caught.value)
    assert found["code"] == [
        ("本区划已有编码为 js-craftsman 的事项", "江山市 already has an item js-craftsman")
    ]
    assert found["steps"] == [("至少需要一个办理环节", "An item needs at least one department step")]


GOLD_CARD_MATERIALS = ("id_copy", "photo", "talent_certificate")
SLOWER = (StepSpec("hrss", 1, "人才类别核验", 10), StepSpec("org", 1, "人才办审定", 3))


def slow_down_gold_card(onestop, world) -> None:
    item = onestop.items["gold_card"]
    services.save_service_item(
        actor=world.users["city_org_dept"],
        region=item.region,
        item=item,
        spec=recruit_spec(code="gold_card", name=item.name, outcome="gold_card", steps=SLOWER,
                          material_codes=GOLD_CARD_MATERIALS),
    )  # fmt: skip


def test_changed_limits_apply_to_applications_accepted_afterwards(onestop, world):
    slow_down_gold_card(onestop, world)
    application = in_progress_gold_card(onestop)
    hrss = application.steps.get(department__kind="hrss")
    org = application.steps.get(department__kind="org")
    assert hrss.due_on == add_working_days(hrss.opened_on, 10)
    assert org.due_on == add_working_days(org.opened_on, 3)


def test_running_deadlines_keep_their_promised_dates(onestop, world):
    running = in_progress_gold_card(onestop)
    promised = dict(running.steps.values_list("department__kind", "due_on"))
    slow_down_gold_card(onestop, world)

    assert dict(running.steps.values_list("department__kind", "due_on")) == promised
    assert ServiceStep.objects.filter(item=onestop.items["gold_card"]).count() == 2
    assert (
        running.steps.get(department__kind="hrss").step.sla_working_days == 10
    )  # same row, changed in place


def test_a_running_application_opens_its_later_group_as_now_defined(onestop, world):
    item = services.save_service_item(actor=onestop.window, region=world.county_a, spec=recruit_spec())
    for code in ("id_copy", "employment_contract"):
        services.add_material(actor=onestop.talent_user, given=services.NewMaterial(code, f"电子证照 {code}"))
    application = services.apply(actor=onestop.talent_user, item=item)
    services.accept(actor=onestop.window, application=application)
    assert sorted(application.steps.values_list("department__kind", flat=True)) == ["finance", "hrss"]

    longer_review = (*RECRUIT_STEPS[:2], StepSpec("org", 2, "人才办审定并公示", 7))
    services.save_service_item(
        actor=onestop.window, region=world.county_a, item=item, spec=recruit_spec(steps=longer_review)
    )
    for task in application.steps.all():
        services.decide_step(actor=onestop.officers[task.department.kind], task=task, approve=True)

    review = application.steps.get(department__kind="org")
    assert review.due_on == add_working_days(review.opened_on, 7)


def test_a_step_applications_went_through_cannot_be_removed_and_nothing_changes(onestop, world):
    city = world.users["city_org_dept"]
    item = onestop.items["gold_card"]
    in_progress_gold_card(onestop)
    with pytest.raises(ValidationFailed) as caught:
        services.save_service_item(
            actor=city,
            region=item.region,
            item=item,
            spec=recruit_spec(code="gold_card", name="改名后的金卡", outcome="gold_card",
                              steps=(StepSpec("hrss", 1, "人才类别核验", 3),)),
        )  # fmt: skip
    assert "组织部（人才办审定）" in caught.value.details[0]["message_zh"]
    item.refresh_from_db()
    assert item.name == "人才金卡申领" and item.steps.count() == 2


def test_an_unused_step_can_be_removed_and_a_deactivated_item_leaves_the_catalogue(onestop, world):
    item = services.save_service_item(actor=onestop.window, region=world.county_a, spec=recruit_spec())
    services.save_service_item(
        actor=onestop.window,
        region=world.county_a,
        item=item,
        spec=recruit_spec(steps=RECRUIT_STEPS[:1], is_active=False),
    )
    assert list(item.steps.values_list("department_kind", flat=True)) == ["hrss"]
    assert "js-craftsman" not in [i.code for i in selectors.items_in_region(world.county_a)]
    update = AuditEntry.objects.get(action="onestop.item.update", object_id=str(item.pk))
    assert update.detail["changed"] == ["is_active"] and update.detail["before"]["is_active"] is True
    assert update.detail["active"] is False and update.detail["steps"] == [[1, "hrss", 5]]


# -- pages --------------------------------------------------------------------------------------------------


def step_rows(rows: list[tuple], extra: int = 1) -> dict:
    data = {"steps-TOTAL_FORMS": str(len(rows) + extra), "steps-INITIAL_FORMS": "0"}
    for index, (group, kind, action, days) in enumerate(rows):
        data |= {
            f"steps-{index}-group": str(group),
            f"steps-{index}-department_kind": kind,
            f"steps-{index}-action": action,
            f"steps-{index}-sla_working_days": str(days),
        }
    return data


def item_form(region_pk: int, **changes) -> dict:
    data = {
        "region": str(region_pk),
        "code": "js-craftsman",
        "name": "江山工匠津贴申领",
        "outcome": "payment",
        "description": "",
        "materials": ["id_copy", "employment_contract"],
        "is_active": "on",
    }
    data |= step_rows([(1, "hrss", "岗位与合同核验", 5), (1, "finance", "资金来源核定", 5)])
    data.update(changes)
    return data


def test_the_maintenance_page_shows_inherited_and_own_items(client, onestop, world):
    services.save_service_item(actor=world.users["city_org_dept"], region=world.county_b, spec=recruit_spec())
    mine = services.save_service_item(
        actor=onestop.window, region=world.county_a, spec=recruit_spec(code="js-own", name="江山自有事项")
    )
    client.force_login(onestop.window)
    page = client.get("/services/items/").content.decode()

    assert 'data-item-row="gold_card" data-region="330800" data-editable="no"' in page
    assert f'href="/services/items/new/?from={onestop.items["gold_card"].pk}"' in page
    assert 'data-item-row="js-own" data-region="330881" data-editable="yes"' in page
    assert f'href="/services/items/{mine.pk}/edit/"' in page
    assert 'data-region="330825"' not in page  # Longyou's own item is not Jiangshan's business
    assert "服务事项" in client.get("/").content.decode()  # in the navigation


def test_an_officer_defines_an_item_through_the_form(client, onestop, world):
    client.force_login(onestop.window)
    form_page = client.get("/services/items/new/").content.decode()
    regions = form_page.split('name="region"')[1].split("</select>")[0]
    assert f'<option value="{world.county_a.pk}" selected>' in regions
    assert regions.count("<option") == 1  # only the officer's own region

    response = client.post("/services/items/new/", item_form(world.county_a.pk))
    item = ServiceItem.objects.get(region=world.county_a, code="js-craftsman")
    assert response.status_code == 302 and response["Location"] == f"/services/items/{item.pk}/edit/"
    assert sorted(item.steps.values_list("department_kind", flat=True)) == ["finance", "hrss"]
    edit = client.get(response["Location"]).content.decode()
    assert 'value="岗位与合同核验"' in edit and "服务事项已保存" in edit


def test_the_form_puts_each_problem_on_its_row_and_stores_nothing(client, onestop, world):
    client.force_login(onestop.window)
    data = item_form(world.county_a.pk, name="")
    data |= step_rows([(1, "hrss", "核验", 5), (1, "hrss", "重复核验", 5), (3, "org", "审定", 3)])
    response = client.post("/services/items/new/", data)
    page = response.content.decode()

    assert response.status_code == 200
    name_field = page.split('name="name"')[1].split("</label>")[1]
    assert "这个字段是必填项" in name_field  # the name field's own error, beside it
    assert "第2个环节：同一部门在同一顺序中只能出现一次" in page
    assert "办理顺序应从1开始连续编号" in page
    assert 'value="重复核验"' in page  # what the officer typed is kept
    assert not ServiceItem.objects.filter(code="js-craftsman").exists()


def test_service_errors_land_on_the_step_rows(client, onestop, world):
    client.force_login(onestop.window)
    data = item_form(world.county_a.pk)
    data |= step_rows([(1, "hrss", "核验", 5), (1, "hrss", "重复核验", 5)])
    page = client.post("/services/items/new/", data).content.decode()
    row = page.split('data-step-row="1"')[1].split("</tr>")[0]
    assert "第2个环节：同一部门在同一顺序中只能出现一次" in row
    assert not ServiceItem.objects.filter(code="js-craftsman").exists()


def test_the_county_starts_its_own_version_from_the_city_item(client, onestop, world):
    client.force_login(onestop.window)
    city_item = onestop.items["gold_card"]
    page = client.get(f"/services/items/new/?from={city_item.pk}").content.decode()
    assert 'value="gold_card"' in page and 'value="人才类别核验"' in page and 'value="人才办审定"' in page
    assert f'<option value="{world.county_a.pk}" selected>' in page

    assert client.get(f"/services/items/{city_item.pk}/edit/").status_code == 403
    longyou = services.save_service_item(
        actor=world.users["city_org_dept"], region=world.county_b, spec=recruit_spec()
    )
    assert client.get(f"/services/items/{longyou.pk}/edit/").status_code == 404
    assert client.get(f"/services/items/new/?from={longyou.pk}").status_code == 404


@pytest.mark.parametrize("user_key", ["department", "enterprise", "talent", "provider", "reviewer"])
def test_only_organization_officers_reach_the_maintenance_pages(client, onestop, world, user_key):
    client.force_login(world.users[user_key])
    assert client.get("/services/items/").status_code == 403
    assert client.get("/services/items/new/").status_code == 403
    response = client.post("/services/items/new/", item_form(world.county_a.pk))
    assert response.status_code == 403
    assert not ServiceItem.objects.filter(code="js-craftsman").exists()


# -- API ----------------------------------------------------------------------------------------------------


def api_client(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


ITEM_BODY = {
    "region": "330881",
    "code": "js-craftsman",
    "name": "江山工匠津贴申领",
    "outcome": "payment",
    "policy": "skill-master-allowance",
    "materials": ["id_copy"],
    "steps": [
        {"group": 1, "department_kind": "hrss", "action": "岗位核验", "sla_working_days": 5},
        {"group": 2, "department_kind": "org", "action": "审定", "sla_working_days": 3},
    ],
}


def test_the_api_defines_and_changes_an_item(onestop, world):
    api = api_client(onestop.window)
    created = api.post("/api/services/items", ITEM_BODY, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["region"] == "330881" and body["policy"] == "skill-master-allowance"
    assert body["steps"] == [
        {"group": 1, "department_kind": "hrss", "action": "岗位核验", "sla_working_days": 5},
        {"group": 2, "department_kind": "org", "action": "审定", "sla_working_days": 3},
    ]

    changed = api.put(
        f"/api/services/items/{body['id']}",
        ITEM_BODY | {"region": "", "code": "", "steps": ITEM_BODY["steps"][:1], "is_active": False},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert [s["department_kind"] for s in changed.json()["steps"]] == ["hrss"]

    renamed = api.put(
        f"/api/services/items/{body['id']}", ITEM_BODY | {"code": "other"}, content_type="application/json"
    )
    assert (
        renamed.status_code == 422 and renamed.json()["details"][0]["message_zh"] == "事项编码创建后不能修改"
    )


def test_the_api_refuses_bad_items_out_of_scope_regions_and_other_roles(onestop, world):
    api = api_client(onestop.window)
    gap = ITEM_BODY | {"steps": [ITEM_BODY["steps"][0] | {"group": 2}], "policy": "no-such-policy"}
    refused = api.post("/api/services/items", gap, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["details"] == [
        {
            "field": "policy",
            "message_zh": "未知的政策：no-such-policy",
            "message_en": "Unknown policy: no-such-policy",
        }
    ]
    gap["policy"] = None
    refused = api.post("/api/services/items", gap, content_type="application/json")
    assert refused.json()["details"][0]["message_zh"].startswith("办理顺序应从1开始连续编号")

    elsewhere = api.post(
        "/api/services/items", ITEM_BODY | {"region": "330825"}, content_type="application/json"
    )
    assert elsewhere.status_code == 404
    city_item = onestop.items["gold_card"]
    assert (
        api.put(f"/api/services/items/{city_item.pk}", ITEM_BODY, content_type="application/json").status_code
        == 403
    )
    department = api_client(world.users["department"])
    assert (
        department.post("/api/services/items", ITEM_BODY, content_type="application/json").status_code == 403
    )
    assert not ServiceItem.objects.filter(code="js-craftsman").exists()
