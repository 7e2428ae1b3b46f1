"""Exports of the registry lists: per role exactly the list's rows, masked personal data, one audit entry."""

import io

import pytest
from django.urls import include, path, reverse
from openpyxl import load_workbook

from rencai import urls as project_urls
from rencai.core import crypto
from rencai.core.models import AuditEntry
from rencai.registry import export_views, selectors
from rencai.registry import urls as registry_urls
from rencai.registry.selectors import TalentFilters
from tests import factories

# The project's URLs with the export pages bound to export_views (a no-op once registry/urls.py does it).
MINE = {
    "talent_export": export_views.talent_export,
    "enterprise_export": export_views.enterprise_export,
    "platform_export": export_views.platform_export,
    "academician_export": export_views.academician_export,
}
_registry = [
    path(str(p.pattern), MINE[p.name], name=p.name) if p.name in MINE else p
    for p in registry_urls.urlpatterns
]
urlpatterns = [
    path("registry/", include((_registry, "registry"))),
    *(p for p in project_urls.urlpatterns if str(p.pattern) != "registry/"),
]
pytestmark = pytest.mark.urls(__name__)


def download(client, world, role, url_name, query=""):
    client.force_login(world.users[role])
    response = client.get(reverse(f"registry:{url_name}") + query)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    return rows[0], rows[1:]


def by_header(header, rows) -> list[dict]:
    """The rows as {header: value}: the columns are the import's, found by their names."""
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize(
    "role", ["city_org_dept", "county_org_dept", "department", "enterprise", "superuser"]
)
def test_talent_export_holds_exactly_the_rows_of_the_users_list(client, world, role):
    header, rows = download(client, world, role, "talent_export")
    assert header[:4] == ("姓名", "证件类型", "证件号码", "手机号码")
    expected = list(selectors.talents_for(world.users[role]).values_list("name", "id_number_masked"))
    assert [(r["姓名"], r["证件号码"]) for r in by_header(header, rows)] == expected
    assert len(rows) > 0


def test_county_export_leaves_out_the_other_countys_talents_and_enterprises(client, world):
    header, talents = download(client, world, "county_org_dept", "talent_export")
    assert {r["姓名"] for r in by_header(header, talents)} == {"江山甲", "江山乙"}
    assert {r["所在区划"] for r in by_header(header, talents)} == {"江山市"}
    _, enterprises = download(client, world, "county_org_dept", "enterprise_export")
    assert [r[1] for r in enterprises] == ["江山天蓬测试集团"]
    _, platforms = download(client, world, "county_org_dept", "platform_export")
    assert [r[0] for r in platforms] == [world.platform_a.name]


def test_enterprise_account_exports_only_its_own_employees(client, world):
    header, rows = download(client, world, "enterprise", "talent_export")
    assert [(r["姓名"], r["现工作单位"]) for r in by_header(header, rows)] == [("江山甲", "江山天蓬测试集团")]


def test_exported_id_numbers_and_phones_are_masked(client, world):
    header, rows = download(client, world, "city_org_dept", "talent_export")
    plain = {
        crypto.decrypt(t.id_number_ciphertext) for t in (world.talent_a, world.talent_a2, world.talent_b)
    }
    cells = {str(cell) for row in rows for cell in row}
    assert not plain & cells
    assert not any("13800001234" in cell for cell in cells)
    masked = next(r for r in by_header(header, rows) if r["姓名"] == "江山甲")
    assert masked["证件号码"] == world.talent_a.id_number_masked and "*" in masked["证件号码"]
    assert masked["手机号码"] == "138****1234"
    assert masked["出生日期"] == f"{world.talent_a.birth_date.year}-**-**"  # the year, as the list shows


def test_export_applies_the_list_filters_and_is_audited_once(client, world):
    before = AuditEntry.objects.count()
    header, rows = download(client, world, "county_org_dept", "talent_export", "?team=high_skill&q=江山")
    expected = selectors.talents_for(
        world.users["county_org_dept"], TalentFilters(team="high_skill", q="江山")
    )
    assert [r[0] for r in rows] == [t.name for t in expected] == ["江山乙"]
    (row,) = by_header(header, rows)
    assert row["人才队伍"] == "高技能人才" and row["人才类别"] == "E类 基础人才" and row["国籍"] == "中国"
    entries = list(AuditEntry.objects.filter(seq__gt=before).exclude(action="accounts.login"))
    assert len(entries) == 1
    assert entries[0].action == "registry.export" and entries[0].actor_label == "county"
    assert entries[0].detail == {"list": "talents", "filters": {"q": "江山", "team": "high_skill"}, "rows": 1}


def test_a_region_filter_outside_the_scope_exports_nothing(client, world):
    _, rows = download(client, world, "county_org_dept", "talent_export", "?region=330825")
    assert rows == []


def test_academician_export_follows_the_region_scope(client, world):
    from rencai.registry.models import Academician

    Academician.objects.create(
        name="江山院士", academy="cae", field="材料", affiliation="某大学", region=world.county_a
    )
    Academician.objects.create(
        name="龙游院士", academy="cas", field="化学", affiliation="某所", region=world.county_b
    )
    _, rows = download(client, world, "county_org_dept", "academician_export")
    assert rows == [("江山院士", "中国工程院", "材料", "某大学", "江山市")]
    _, rows = download(client, world, "city_org_dept", "academician_export")
    assert {r[0] for r in rows} == {"江山院士", "龙游院士"}


def test_platform_only_enterprise_filter(client, world):
    factories.make_enterprise(world.county_a, name="江山普通企业")
    _, rows = download(client, world, "county_org_dept", "enterprise_export", "?platform_only=1")
    assert [(r[1], r[6]) for r in rows] == [("江山天蓬测试集团", "是")]


@pytest.mark.parametrize("role", ["talent", "reviewer", "provider"])
def test_roles_without_the_export_right_get_no_file(client, world, role):
    client.force_login(world.users[role])
    before = AuditEntry.objects.count()
    response = client.get(reverse("registry:talent_export"))
    assert response.status_code == 403
    assert "无权导出名单" in response.content.decode()
    assert AuditEntry.objects.count() == before


def test_english_user_gets_english_headers_and_labels(client, world):
    client.cookies["django_language"] = "en"
    header, rows = download(client, world, "county_org_dept", "talent_export", "?team=high_skill")
    assert header[0] == "Name" and rows[0][0] == "江山乙"
