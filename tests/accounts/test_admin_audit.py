"""Rights granted in the Django admin enter the hash-chained audit log with their before and after."""

import pytest
from django.contrib.auth.models import Group, Permission

from rencai.core.audit import verify_chain
from rencai.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _change_form_data(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "role": user.role,
        "display_name": user.display_name,
        "region": user.region_id or "",
        "department": user.department_id or "",
        "enterprise": user.enterprise_id or "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "08:00:00",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_role_change_in_the_admin_is_audited_with_before_and_after(client, world):
    root = world.users["superuser"]
    target = world.users["department"]
    client.force_login(root)

    response = client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        _change_form_data(target, role="county_org_dept", is_staff="on", department=None),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.role == "county_org_dept" and target.is_staff
    entry = AuditEntry.objects.get(action="accounts.user.rights_change")
    assert entry.actor_id == root.pk and entry.object_id == str(target.pk)
    before, after = entry.detail["before"], entry.detail["after"]
    assert before["role"] == "department" and after["role"] == "county_org_dept"
    assert {"role", "is_staff", "department_id"} <= set(entry.detail["changed"])
    assert "password" not in entry.detail["after"]
    assert AuditEntry.objects.filter(action="admin.log.change", object_type="accounts.user").exists()
    assert verify_chain().ok


def test_a_groups_permissions_changed_in_the_admin_are_in_the_chain(client, world):
    group = Group.objects.create(name="审计员")
    permission = Permission.objects.get(codename="view_auditentry")
    client.force_login(world.users["superuser"])

    response = client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "审计员", "permissions": [permission.pk]}
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.log.change", object_type="auth.group")
    assert entry.object_id == str(group.pk) and "权限" in entry.detail["change"]


def test_a_registry_change_in_the_admin_is_audited_once_by_its_own_admin(client, world):
    department = world.users["department"].department
    client.force_login(world.users["superuser"])

    response = client.post(
        f"/admin/registry/department/{department.pk}/change/",
        {"region": department.region_id, "kind": department.kind, "name": "江山市人社局（改）"},
    )

    assert response.status_code == 302, response.content.decode()[:1500]
    entries = AuditEntry.objects.filter(object_type="registry.department", object_id=str(department.pk))
    assert list(entries.values_list("action", flat=True)) == ["admin.change"]
    assert entries.get().detail == {"fields": ["name"]}
