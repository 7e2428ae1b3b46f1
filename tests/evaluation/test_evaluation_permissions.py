"""Evaluation permissions beyond the lists of the matrix (tests/test_permission_matrix.py): notification
links open only for their recipient and name nobody, the home panel and inbox count only the user's own
scope, the evaluation index links exactly the parts each role may use, and the CTO nomination attaches the
nominee's own documents only."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rencai.accounts.models import Role
from rencai.core.models import Notification
from rencai.evaluation.choices import CaseState, Purpose, SeatStatus
from rencai.evaluation.models import Case, CaseMaterial, Seat
from rencai.evaluation.services import panels
from rencai.onestop.models import Material, MaterialType
from rencai.registry.models import Employment
from tests import factories
from tests.evaluation.builders import make_case, make_experts, make_round, make_scheme

pytestmark = pytest.mark.django_db
S = CaseState


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def drawn(world, open_round):
    """Case A drawn to a panel of five with two reserves from a city pool of nine."""
    make_experts(world.regions["330800"], 9)
    case = make_case(open_round, world.talent_a, state=S.FIRST_PASSED)
    panels.panel_draw(actor=world.users["city_org_dept"], case=case, seed="matrix-seed")
    return case


# -- notifications -----------------------------------------------------------------------------------------


def test_only_the_seated_experts_are_told_and_the_message_names_no_applicant(world, drawn):
    seats = list(Seat.objects.filter(panel__case=drawn).select_related("expert__account"))
    members = {s.expert.account_id for s in seats if s.status == SeatStatus.ACTIVE}
    reserves = {s.expert.account_id for s in seats if s.status == SeatStatus.WAITING}

    told = Notification.objects.filter(kind="evaluation.panel.seat")

    assert set(told.values_list("recipient_id", flat=True)) == members and len(members) == 5
    assert not told.filter(recipient_id__in=reserves).exists() and len(reserves) == 2
    for message in told:
        assert world.talent_a.name not in message.subject + message.body
        assert message.link == reverse("evaluation:review_case", args=[drawn.pk])


def test_a_review_link_opens_for_a_seated_expert_and_is_404_for_everyone_else(world, drawn):
    link = Notification.objects.filter(kind="evaluation.panel.seat").first().link
    seats = Seat.objects.filter(panel__case=drawn).select_related("expert__account")
    member = next(s.expert.account for s in seats if s.status == SeatStatus.ACTIVE)
    reserve = next(s.expert.account for s in seats if s.status == SeatStatus.WAITING)
    outsider = make_experts(world.regions["330800"], 1, field="chemicals")[0].account

    assert signed_in(member).get(link).status_code == 200
    for user in (
        reserve,
        outsider,
        world.users["reviewer"],
        world.users["enterprise"],
        world.users["county_org_dept"],
    ):
        response = signed_in(user).get(link)
        assert response.status_code == 404, user.username
        assert world.talent_a.name not in response.content.decode()


def test_a_recused_expert_loses_the_case_and_the_called_reserve_gains_it(world, drawn):
    seat = (
        Seat.objects.filter(panel__case=drawn, status=SeatStatus.ACTIVE)
        .select_related("expert__account")
        .first()
    )
    expert = seat.expert.account
    link = reverse("evaluation:review_case", args=[drawn.pk])

    panels.seat_recuse(actor=expert, seat=seat, reason="曾与申报人合作发表成果")

    assert signed_in(expert).get(link).status_code == 404
    called = Seat.objects.get(replaces=seat).expert.account
    assert signed_in(called).get(link).status_code == 200
    assert Notification.objects.filter(recipient=called, kind="evaluation.panel.seat", link=link).exists()


def test_the_inbox_lists_and_counts_only_the_users_own_messages(world, drawn):
    member = Notification.objects.filter(kind="evaluation.panel.seat").first().recipient
    other = world.users["reviewer"]

    mine = signed_in(member).get(reverse("inbox")).content.decode()
    theirs = signed_in(other).get(reverse("inbox")).content.decode()

    assert f"评审任务：{drawn.round.name}" in mine
    assert f"评审任务：{drawn.round.name}" not in theirs
    assert Notification.objects.filter(recipient=other).count() == 0


# -- counts --------------------------------------------------------------------------------------------------


def _panel_figures(html: str) -> str:
    start = html.find('id="evaluation-panel"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


def test_the_home_panel_counts_only_the_cases_in_the_users_scope(world, open_round):
    # waiting for first review: one in Jiangshan, two in Longyou; the enterprise's employee has one case
    make_case(open_round, world.talent_a, state=S.CONFIRMED)
    make_case(open_round, world.talent_b, state=S.CONFIRMED)
    make_case(open_round, factories.make_talent(world.county_b), state=S.CONFIRMED)

    county = _panel_figures(signed_in(world.users["county_org_dept"]).get(reverse("home")).content.decode())
    city = _panel_figures(signed_in(world.users["city_org_dept"]).get(reverse("home")).content.decode())
    enterprise = _panel_figures(signed_in(world.users["enterprise"]).get(reverse("home")).content.decode())
    reviewer = _panel_figures(signed_in(world.users["reviewer"]).get(reverse("home")).content.decode())

    assert "1 件评价申报待您办理" in county
    assert "3 件评价申报待您办理" in city
    assert "评价申报 1 件" in enterprise
    assert reviewer == ""  # nothing assigned: no panel at all


def test_the_round_counts_show_only_the_users_cases(world, open_round):
    make_case(open_round, world.talent_a, state=S.CONFIRMED)
    make_case(open_round, world.talent_b, state=S.CONFIRMED)
    url = reverse("evaluation:round_detail", args=[open_round.pk])

    county = signed_in(world.users["county_org_dept"]).get(url).content.decode()
    city = signed_in(world.users["city_org_dept"]).get(url).content.decode()

    assert f'data-count="{S.CONFIRMED}">{S.CONFIRMED.label} 1<' in county
    assert f'data-count="{S.CONFIRMED}">{S.CONFIRMED.label} 2<' in city
    assert world.talent_b.name not in county


# -- the evaluation index: every part a role may use, and none other -------------------------------------

PARTS = {
    "city_org_dept": {"round_new", "schemes", "experts", "objections", "integrity", "cto", "notice"},
    "county_org_dept": {"round_new", "schemes", "experts", "objections", "integrity", "cto", "notice"},
    "department": {"schemes", "notice"},
    "enterprise": {"apply", "cto_nominate", "schemes", "cto", "notice"},
    "talent": {"apply", "schemes", "notice"},
    "reviewer": {"reviews", "notice"},
    "superuser": {"round_new", "schemes", "experts", "objections", "integrity", "cto", "notice"},
}


@pytest.mark.parametrize("role", sorted(PARTS))
def test_the_index_links_every_part_the_role_may_use(world, role):
    html = signed_in(world.users[role]).get(reverse("evaluation:index")).content.decode()

    import re

    shown = set(re.findall(r'data-part="(\w+)"', html))
    assert shown == PARTS[role]
    for part in shown - {"notice"}:  # each link opens for the role (the public notice needs no login)
        href = re.search(rf'href="([^"]+)"[^>]*data-part="{part}"', html).group(1)
        assert signed_in(world.users[role]).get(href).status_code == 200, part


@pytest.mark.parametrize("role", ["provider", "intermediary"])
def test_providers_and_intermediaries_have_no_evaluation_page(world, role):
    user = world.users.get(role) or factories.make_user(role, Role.INTERMEDIARY)
    client = signed_in(user)

    for name in ("evaluation:index", "evaluation:scheme_list", "evaluation:cto_register"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("evaluation:finding_list")).status_code == 404
    assert client.get(reverse("notice:list")).status_code == 200


def test_a_talent_who_is_a_cto_sees_the_register_link(world):
    city = world.regions["330800"]
    scheme = make_scheme(city, code="cto-idx", purpose=Purpose.CHIEF_TECH_OFFICER)
    case = make_case(
        make_round(scheme, city),
        world.talent_a,
        state=S.RECOGNIZED,
        enterprise=world.enterprise_a,
        decided_at=timezone.now(),
    )
    from rencai.evaluation.services import cto

    cto.appoint_from_case(actor=world.users["city_org_dept"], case=case)

    html = signed_in(world.users["talent"]).get(reverse("evaluation:index")).content.decode()

    assert 'data-part="cto"' in html


# -- CTO nomination materials ------------------------------------------------------------------------------


def _document(talent, name):
    kind, _ = MaterialType.objects.get_or_create(code="patent_cert", defaults={"name": "专利证书"})
    return Material.objects.create(talent=talent, material_type=kind, reference=name, is_current=True)


def test_the_nomination_attaches_documents_of_the_nominees_library_only(world):
    city = world.regions["330800"]
    scheme = make_scheme(city, code="cto-mat", purpose=Purpose.CHIEF_TECH_OFFICER)
    round_ = make_round(scheme, city, opens_on=timezone.localdate())
    Employment.objects.create(
        talent=world.talent_a,
        enterprise=world.enterprise_a,
        employer_name=world.enterprise_a.name,
        employment_type="full_time",
        started_on=timezone.localdate() - dt.timedelta(days=800),
    )
    own = _document(world.talent_a, "ZL-JS-2019-001")
    foreign = _document(world.talent_b, "ZL-LY-2020-002")
    client = signed_in(world.users["enterprise"])
    url = reverse("evaluation:cto_nominate")

    page = client.get(url, {"round": round_.pk, "talent": world.talent_a.pk}).content.decode()
    refused = client.post(
        url,
        {
            "round": round_.pk,
            "talent": world.talent_a.pk,
            "summary": "研发负责人",
            "materials": [foreign.pk],
            "submit": "1",
        },
    )
    nothing_written = not Case.objects.exists()
    done = client.post(
        url,
        {
            "round": round_.pk,
            "talent": world.talent_a.pk,
            "summary": "研发负责人",
            "materials": [own.pk],
            "submit": "1",
        },
    )

    assert "data-materials" in page and "ZL-JS-2019-001" in page and "ZL-LY-2020-002" not in page
    assert refused.status_code == 422 and nothing_written
    assert done.status_code == 302
    case = Case.objects.get()
    assert list(CaseMaterial.objects.filter(case=case).values_list("material_id", flat=True)) == [own.pk]
