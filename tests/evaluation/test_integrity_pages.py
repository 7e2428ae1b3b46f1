"""The integrity-findings pages (诚信记录): organization officers find a talent of their region through the
registry search and record a finding with its expiry (audited); findings are read only by the officers
whose region covers the talent and by the talent themself, never by an employer, a department or an expert.
"""

import datetime as dt

import pytest
from django.urls import reverse

from rencai.core.models import AuditEntry
from rencai.evaluation.models import IntegrityFinding
from rencai.evaluation.services import integrity
from tests import factories

pytestmark = pytest.mark.django_db

FOUND = dt.date(2025, 3, 2)
FACTS_A = "申报材料中伪造专利证书"
FACTS_B = "骗取人才补贴"


@pytest.fixture
def findings(world):
    """One finding about talent A (Jiangshan, in force) and one about talent B (Longyou, expired)."""
    county_b_officer = factories.make_user("county_b", "county_org_dept", region=world.county_b)
    return {
        "a": integrity.finding_record(
            actor=world.users["county_org_dept"],
            talent=world.talent_a,
            found_on=FOUND,
            source="江山市市场监督管理局",
            description=FACTS_A,
            expires_on=dt.date(2030, 3, 2),
        ),
        "b": integrity.finding_record(
            actor=county_b_officer,
            talent=world.talent_b,
            found_on=dt.date(2020, 1, 6),
            source="龙游县人力资源和社会保障局",
            description=FACTS_B,
            expires_on=dt.date(2023, 1, 6),
        ),
    }


def signed_in(client, user):
    client.force_login(user)
    return client


# Who reads which finding: the tables are written out by hand from the rule, not computed.
READS = {
    "city_org_dept": {"a", "b"},
    "county_org_dept": {"a"},
    "department": set(),
    "enterprise": set(),  # talent A's employer: still nothing
    "talent": {"a"},  # talent A's own
    "reviewer": set(),
    "provider": set(),
    "superuser": {"a", "b"},
}


@pytest.mark.parametrize("role", sorted(READS))
def test_findings_are_read_only_by_the_regions_organization_officers_and_the_talent(
    client, world, findings, role
):
    client = signed_in(client, world.users[role])
    expected = READS[role]

    listing = client.get(reverse("evaluation:finding_list"))

    if expected:
        html = listing.content.decode()
        assert listing.status_code == 200
        shown = {key for key, finding in findings.items() if f'data-finding="{finding.pk}"' in html}
        assert shown == expected
    else:
        assert listing.status_code == 404
    for key, finding in findings.items():
        detail = client.get(reverse("evaluation:finding_detail", args=[finding.pk]))
        text = detail.content.decode()
        assert detail.status_code == (200 if key in expected else 404), key
        assert (finding.description in text) == (key in expected), key


def test_the_list_says_which_findings_are_in_force(client, world, findings):
    html = (
        signed_in(client, world.users["city_org_dept"])
        .get(reverse("evaluation:finding_list"))
        .content.decode()
    )

    assert f'data-finding="{findings["a"].pk}" data-in-force="true"' in html
    assert f'data-finding="{findings["b"].pk}" data-in-force="false"' in html


def test_a_county_officer_finds_a_talent_of_the_county_and_records_a_finding(client, world):
    client = signed_in(client, world.users["county_org_dept"])
    url = reverse("evaluation:finding_new")

    search = client.get(url, {"q": "江山甲"}).content.decode()
    form = client.get(url, {"talent": world.talent_a.pk}).content.decode()
    response = client.post(
        url,
        {
            "talent": world.talent_a.pk,
            "found_on": "2026-03-02",
            "source": "衢州市科学技术局",
            "description": "项目验收材料造假",
            "expires_on": "2029-03-02",
        },
    )

    assert f'data-candidate="{world.talent_a.pk}"' in search
    assert f'data-talent="{world.talent_a.pk}"' in form and world.talent_a.id_number_masked in form
    finding = IntegrityFinding.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:finding_detail", args=[finding.pk])
    assert (finding.talent, finding.expires_on, finding.recorded_by) == (
        world.talent_a,
        dt.date(2029, 3, 2),
        world.users["county_org_dept"],
    )
    entry = AuditEntry.objects.get(action="evaluation.integrity.record", object_id=str(finding.pk))
    assert entry.detail["after"]["description"] == "项目验收材料造假"
    assert entry.region_code == "330881"


def test_the_search_never_offers_a_talent_of_another_county(client, world):
    client = signed_in(client, world.users["county_org_dept"])

    search = client.get(reverse("evaluation:finding_new"), {"q": world.talent_b.name}).content.decode()
    chosen = client.get(reverse("evaluation:finding_new"), {"talent": world.talent_b.pk})
    posted = client.post(
        reverse("evaluation:finding_new"),
        {"talent": world.talent_b.pk, "found_on": "2026-03-02", "source": "某局", "description": "某事"},
    )

    assert f'data-candidate="{world.talent_b.pk}"' not in search and "在您的辖区内没有找到该人才" in search
    assert chosen.status_code == 404 and world.talent_b.name not in chosen.content.decode()
    assert posted.status_code == 404 and not IntegrityFinding.objects.exists()


def test_a_missing_source_and_an_expiry_before_the_finding_are_refused_together(client, world):
    client = signed_in(client, world.users["county_org_dept"])

    response = client.post(
        reverse("evaluation:finding_new"),
        {
            "talent": world.talent_a.pk,
            "found_on": "2026-03-02",
            "source": "   ",
            "description": "项目验收材料造假",
            "expires_on": "2026-03-01",
        },
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert not IntegrityFinding.objects.exists()
    assert "失效日期须晚于认定日期" in html and "请填写认定机关" in html


def test_the_service_lists_every_problem_at_once(client, world):
    client = signed_in(client, world.users["county_org_dept"])
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()

    response = client.post(
        reverse("evaluation:finding_new"),
        {
            "talent": world.talent_a.pk,
            "found_on": future,
            "source": "衢州市科学技术局",
            "description": "项目验收材料造假",
            "expires_on": future,
        },
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "认定日期不能晚于今天" in html and "失效日期须晚于认定日期" in html
    assert not IntegrityFinding.objects.exists()


@pytest.mark.parametrize("role", ["department", "enterprise", "talent", "reviewer", "provider"])
def test_only_organization_officers_reach_the_recording_form(client, world, role):
    response = signed_in(client, world.users[role]).get(
        reverse("evaluation:finding_new"), {"talent": world.talent_a.pk}
    )

    assert response.status_code == 403
    assert world.talent_a.id_number_masked not in response.content.decode()


@pytest.mark.parametrize("role", ["county_org_dept", "department", "enterprise", "talent"])
def test_the_talents_registry_page_shows_nothing_of_a_finding(client, world, findings, role):
    response = signed_in(client, world.users[role]).get(
        reverse("registry:talent_detail", args=[world.talent_a.pk])
    )

    assert response.status_code == 200
    assert FACTS_A not in response.content.decode()


def test_the_evaluation_index_links_the_findings_for_officers_and_a_talent_with_one(client, world, findings):
    index = reverse("evaluation:index")
    officer = signed_in(client, world.users["county_org_dept"]).get(index).content.decode()
    talent = signed_in(client, world.users["talent"]).get(index).content.decode()
    enterprise = signed_in(client, world.users["enterprise"]).get(index).content.decode()

    assert 'data-part="integrity"' in officer and "诚信记录" in officer
    assert 'data-part="integrity"' in talent and "我的诚信记录" in talent
    assert 'data-part="integrity"' not in enterprise
