"""The representative-works page (代表作): the applicant chooses, in order, a few of the talent's achievements
with a contribution statement each while the application may still change; the case page and the
expert's review page then show them. Others cannot reach the page."""

import pytest
from django.urls import reverse

from rencai.core.models import AuditEntry
from rencai.evaluation.choices import CaseState, SeatRole, SeatStatus
from rencai.evaluation.models import CaseWork, Panel, Seat
from tests import factories
from tests.evaluation.builders import make_case, make_experts

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world, open_round):
    return make_case(open_round, world.talent_a, state=CaseState.DRAFT)


@pytest.fixture
def achievements(world):
    return [
        factories.make_achievement(world.talent_a, title=title, enterprise=world.enterprise_a)
        for title in ("一种纸基复合材料的制备方法", "高强度特种纸生产线", "特种纸国家标准")
    ]


def signed_in(client, user):
    client.force_login(user)
    return client


def chosen(case) -> list[tuple[int, int, str]]:
    return list(CaseWork.objects.filter(case=case).values_list("position", "achievement_id", "statement"))


def test_the_talent_chooses_works_in_order_and_the_case_page_shows_them(client, world, case, achievements):
    first, second, third = achievements
    signed_in(client, world.users["talent"])
    url = reverse("evaluation:case_works", args=[case.pk])

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "achievement_1": third.pk,
            "statement_1": "项目负责人，主持全部研发",
            "achievement_2": first.pk,
            "statement_2": "第一发明人",
        },
    )

    assert all(a.title in page for a in achievements) and 'data-position="3"' in page  # max_works is 3
    assert response.status_code == 302 and response["Location"] == reverse(
        "evaluation:case_detail", args=[case.pk]
    )
    assert chosen(case) == [(1, third.pk, "项目负责人，主持全部研发"), (2, first.pk, "第一发明人")]
    assert AuditEntry.objects.filter(action="evaluation.case.works", object_id=str(case.pk)).count() == 1
    detail = client.get(reverse("evaluation:case_detail", args=[case.pk])).content.decode()
    assert detail.index(third.title) < detail.index(first.title)
    assert second.title not in detail
    assert "data-choose-works" in detail


def test_a_new_choice_replaces_the_old_and_the_page_starts_from_it(client, world, case, achievements):
    first, second, _third = achievements
    signed_in(client, world.users["enterprise"])  # the employer applies for its employee
    url = reverse("evaluation:case_works", args=[case.pk])
    client.post(url, {"achievement_1": first.pk, "statement_1": "第一发明人"})

    client.post(url, {"achievement_1": second.pk, "statement_1": "技术负责人"})

    assert chosen(case) == [(1, second.pk, "技术负责人")]
    page = client.get(url).content.decode()
    assert f'<option value="{second.pk}" selected>' in page


def test_a_missing_statement_is_refused_with_the_problem_and_nothing_is_written(
    client, world, case, achievements
):
    first, second, _third = achievements
    signed_in(client, world.users["talent"])

    response = client.post(
        reverse("evaluation:case_works", args=[case.pk]),
        {"achievement_1": first.pk, "statement_1": "第一发明人", "achievement_2": second.pk},
    )

    assert response.status_code == 422
    assert "请填写第2件代表作的本人贡献说明" in response.content.decode()
    assert chosen(case) == []


def test_an_achievement_the_talent_does_not_hold_cannot_be_chosen(client, world, case, achievements):
    others = factories.make_achievement(world.talent_a2, title="江山乙的成果")
    signed_in(client, world.users["talent"])
    url = reverse("evaluation:case_works", args=[case.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"achievement_1": others.pk, "statement_1": "冒用"})

    assert others.title not in page
    assert response.status_code == 422 and chosen(case) == []


def test_a_statement_without_an_achievement_is_refused(client, world, case, achievements):
    signed_in(client, world.users["talent"])

    response = client.post(reverse("evaluation:case_works", args=[case.pk]), {"statement_2": "贡献说明"})

    assert response.status_code == 422 and "请选择对应的成果" in response.content.decode()


def test_after_the_employer_confirms_the_works_are_shown_but_cannot_change(client, world, case, achievements):
    first, second, _third = achievements
    signed_in(client, world.users["talent"])
    url = reverse("evaluation:case_works", args=[case.pk])
    client.post(url, {"achievement_1": first.pk, "statement_1": "第一发明人"})
    case.state = CaseState.CONFIRMED
    case.save(update_fields=["state"])

    page = client.get(url).content.decode()
    refused = client.post(url, {"achievement_1": second.pk, "statement_1": "技术负责人"})

    assert "data-locked" in page and first.title in page and "works-form" not in page
    assert refused.status_code == 400 and "代表作不能再修改" in refused.content.decode()
    assert chosen(case) == [(1, first.pk, "第一发明人")]
    assert (
        "data-choose-works"
        not in client.get(reverse("evaluation:case_detail", args=[case.pk])).content.decode()
    )


def test_the_expert_on_the_panel_sees_the_works_on_the_review_page(client, world, case, achievements):
    first, *_ = achievements
    signed_in(client, world.users["talent"])
    client.post(
        reverse("evaluation:case_works", args=[case.pk]),
        {"achievement_1": first.pk, "statement_1": "第一发明人"},
    )
    case.state = CaseState.PANEL
    case.save(update_fields=["state"])
    expert = make_experts(world.regions["330800"], 1)[0]
    panel = Panel.objects.create(case=case, field=case.field, seed="test", size=5)
    Seat.objects.create(
        panel=panel, expert=expert, position=1, role=SeatRole.MEMBER, status=SeatStatus.ACTIVE
    )

    html = (
        signed_in(client, expert.account)
        .get(reverse("evaluation:review_case", args=[case.pk]))
        .content.decode()
    )

    assert first.title in html and "第一发明人" in html


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("county_org_dept", 403),
        ("department", 403),
        ("reviewer", 404),
        ("provider", 404),
        ("city_org_dept", 403),
    ],
)
def test_only_the_applicant_reaches_the_works_page(client, world, case, achievements, role, status):
    response = signed_in(client, world.users[role]).get(reverse("evaluation:case_works", args=[case.pk]))

    assert response.status_code == status
    assert achievements[0].title not in response.content.decode()


def test_another_enterprise_does_not_learn_the_case_exists(client, world, case, achievements):
    other = factories.make_user("ent_b", "enterprise", enterprise=world.enterprise_b)

    response = signed_in(client, other).post(
        reverse("evaluation:case_works", args=[case.pk]),
        {"achievement_1": achievements[0].pk, "statement_1": "x"},
    )

    assert response.status_code == 404 and chosen(case) == []
