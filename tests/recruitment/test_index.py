"""The recruitment index (招才引智): the parts each role may use, this year's figures in the user's scope;
the navigation entry; the home-page panel."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rencai.accounts.home import panels_for
from rencai.core.access import may
from rencai.recruitment.choices import Channel, PlacementState, ReferralState
from rencai.recruitment.views.funnel import PARTS, parts_for
from tests.recruitment.builders import (
    make_agency,
    make_agency_user,
    make_candidate,
    make_demand,
    make_placement,
    make_referral,
)

ROLES = ["city_org_dept", "county_org_dept", "department", "enterprise", "superuser"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def this_year(world):
    """Jiangshan: a referral in progress and an arrival this year; Longyou: an arrival this year."""
    today = timezone.localdate()
    agent = make_agency_user(username="agent")
    agency = make_agency(world.regions["330800"], users=[agent])
    demand_a = make_demand(world.enterprise_a)
    make_referral(agency, demand_a, make_candidate(world.county_a), state=ReferralState.INTERVIEWED)
    make_placement(world.talent_a, world.enterprise_a, channel=Channel.DIRECT, arrived_on=today)
    make_placement(world.talent_b, world.enterprise_b, channel=Channel.DIRECT, arrived_on=today)
    return agent


@pytest.mark.parametrize("role", ROLES)
def test_the_index_links_only_the_parts_the_role_may_use(world, role):
    user = world.users[role]

    shown = {part["name"] for part in parts_for(user)}

    allowed = {part.url_name.split(":")[1] for part in PARTS if any(may(user, a) for a in part.actions)}
    assert "funnel" in shown and shown <= allowed


def test_the_index_page_shows_this_years_figures_in_the_users_scope(world, this_year):
    city = client_for(world.users["city_org_dept"]).get(reverse("recruitment:index")).content.decode()
    county = client_for(world.users["county_org_dept"]).get(reverse("recruitment:index")).content.decode()

    assert '<span class="figure" data-figure="arrivals">2</span>' in city
    assert '<span class="figure" data-figure="arrivals">1</span>' in county
    assert '<span class="figure" data-figure="referrals">1</span>' in county
    assert f'href="{reverse("recruitment:funnel")}" data-part="funnel"' in city


def test_an_agency_user_has_the_index_and_a_provider_is_refused(world, this_year):
    agent_page = client_for(this_year).get(reverse("recruitment:index"))

    assert agent_page.status_code == 200
    assert '<span class="figure" data-figure="referrals">1</span>' in agent_page.content.decode()
    assert client_for(world.users["provider"]).get(reverse("recruitment:index")).status_code == 403


def test_the_navigation_names_recruitment_for_those_who_browse_it(world):
    home = client_for(world.users["enterprise"]).get(reverse("home")).content.decode()
    talent_home = client_for(world.users["talent"]).get(reverse("home")).content.decode()

    assert f'<a href="{reverse("recruitment:index")}">招才引智</a>' in home
    assert reverse("recruitment:index") not in talent_home


def test_the_home_panel_counts_arrivals_pending_and_referrals_in_scope(world, this_year):
    make_placement(
        world.talent_a2, world.enterprise_a, state=PlacementState.PENDING, arrived_on=dt.date(2026, 1, 5)
    )

    panels = {panel["template"]: panel for panel in panels_for(world.users["county_org_dept"])}
    agent_panels = {panel["template"]: panel for panel in panels_for(this_year)}

    panel = panels["recruitment/_home_panel.html"]
    assert (panel["arrivals"], panel["pending"], panel["referrals"]) == (1, 1, 1)
    assert agent_panels["recruitment/_home_panel.html"]["referrals"] == 1
    assert "recruitment/_home_panel.html" not in {p["template"] for p in panels_for(world.users["talent"])}


def test_the_home_page_shows_the_panel(world, this_year):
    html = client_for(world.users["city_org_dept"]).get(reverse("home")).content.decode()

    assert 'id="recruitment-panel"' in html and 'data-figure="arrivals"' in html


def test_each_role_is_offered_its_own_parts(world, this_year):
    def offered(user) -> set[str]:
        return {part["name"] for part in parts_for(user)}

    assert {"demand_new", "demand_list"} <= offered(world.users["enterprise"])
    assert not {"demand_queue", "agency_list"} & offered(world.users["enterprise"])
    assert {"demand_queue", "agency_list", "lead_list", "scheme_list"} <= offered(
        world.users["county_org_dept"]
    )
    assert "demand_new" not in offered(world.users["county_org_dept"])
    assert {"referral_list", "demand_search", "funnel"} <= offered(this_year)
    assert not {"agency_list", "demand_new", "demand_queue"} & offered(this_year)
