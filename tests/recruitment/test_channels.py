"""Stations, events, candidates' registration, attendance and leads: who may record them, validation in
both languages with nothing written, contact data sealed and masked, leads with their outcomes."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.recruitment import selectors
from rencai.recruitment.choices import DemandState, LeadOutcome
from rencai.recruitment.models import Candidate, EventRegistration, Lead, Station
from rencai.recruitment.services import channels
from tests import factories
from tests.recruitment.builders import (
    make_agency_user,
    make_candidate,
    make_demand,
    make_event,
    make_lead,
    make_station,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = "330881199003070020"


def _person(**overrides) -> dict:
    data = {
        "name": "周明",
        "id_number": ID_NUMBER,
        "phone": "13912345678",
        "degree": "doctor",
        "field": "electronics",
        "consent": True,
    }
    data.update(overrides)
    return data


@pytest.fixture
def operator(db):
    return make_agency_user(username="hz-operator")


@pytest.fixture
def station(world, operator):
    return make_station(world.regions["330800"], operators=[operator], name="衢州驻杭州人才工作站")


@pytest.fixture
def event(world, station):
    demand = make_demand(world.enterprise_a)
    return make_event(
        world.regions["330800"], station=station, enterprises=[world.enterprise_a], demands=[demand]
    )


# -- stations and events ------------------------------------------------------------------------------------


def test_the_city_sets_up_a_station_with_its_operators_and_audits_it(world, operator):
    station = channels.station_create(
        actor=world.users["city_org_dept"],
        region=world.regions["330800"],
        data={"name": "衢州驻上海人才工作站", "city": "上海", "opened_on": dt.date(2018, 5, 1)},
        operators=[operator],
    )
    assert list(station.operators.all()) == [operator]
    entry = AuditEntry.objects.get(action="recruitment.station.create")
    assert entry.detail["operators"] == [operator.pk]
    assert list(selectors.stations_for(operator)) == [station]


def test_station_problems_are_listed_in_both_languages_and_nothing_is_written(world):
    with pytest.raises(ValidationFailed) as refused:
        channels.station_create(
            actor=world.users["city_org_dept"], region=world.regions["330800"], data={"name": "", "city": ""}
        )
    details = {d["field"]: (d["message_zh"], d["message_en"]) for d in refused.value.details}
    assert details == {
        "name": ("请填写工作站名称", "Give the station's name"),
        "city": ("请填写所在城市", "Give the city"),
        "opened_on": ("请填写设立日期", "Give the date the station opened"),
    }
    assert not Station.objects.exists()


def test_a_county_cannot_manage_another_countys_station(world):
    station = make_station(world.county_b)
    with pytest.raises(PermissionDenied):
        channels.station_update(
            actor=world.users["county_org_dept"],
            station=station,
            data={"name": "x", "city": "y", "opened_on": "2020-01-01"},
        )
    with pytest.raises(PermissionDenied):
        channels.station_create(actor=world.users["enterprise"], region=world.county_a, data={})


def test_an_event_carries_published_demands_and_their_enterprises_only(world, station):
    draft = make_demand(world.enterprise_a, state=DemandState.DRAFT, title="未发布岗位")
    with pytest.raises(ValidationFailed) as refused:
        channels.event_create(
            actor=world.users["city_org_dept"],
            region=world.regions["330800"],
            data={"name": "杭州推介会", "place": "杭州", "held_on": "2027-03-01"},
            demands=[draft],
        )
    assert "未发布岗位" in refused.value.details[0]["message_zh"]
    published = make_demand(world.enterprise_b)
    event = channels.event_create(
        actor=world.users["city_org_dept"],
        region=world.regions["330800"],
        data={"name": "杭州推介会", "place": "杭州", "held_on": "2027-03-01"},
        station=station,
        demands=[published],
    )
    assert list(event.enterprises.all()) == [world.enterprise_b]
    assert event.held_on == dt.date(2027, 3, 1)


# -- registration -------------------------------------------------------------------------------------------


def test_a_public_registration_without_consent_or_with_bad_numbers_writes_nothing(event):
    with pytest.raises(ValidationFailed) as refused:
        channels.candidate_register(
            actor=None, event=event, data=_person(id_number="330881199003070021", phone="12", consent=False)
        )
    details = {d["field"]: d for d in refused.value.details}
    assert set(details) == {"id_number", "phone", "consent"}
    assert details["consent"]["message_en"] == "The candidate must consent to be contacted"
    assert details["id_number"]["message_zh"] == "身份证号校验位不正确"
    assert not Candidate.objects.exists() and not EventRegistration.objects.exists()


def test_a_candidate_registers_once_with_contact_data_sealed(event):
    registration = channels.candidate_register(actor=None, event=event, data=_person())
    candidate = registration.candidate
    assert ID_NUMBER not in candidate.id_number_ciphertext and "13912345678" not in candidate.phone_ciphertext
    assert candidate.id_number_masked != ID_NUMBER and candidate.id_number_masked.endswith("0020") is False
    assert "*" in candidate.id_number_masked and "*" in candidate.phone_masked
    again = channels.candidate_register(
        actor=None, event=event, data=_person(name="冒名者", phone="13700000000")
    )
    assert again.pk == registration.pk and Candidate.objects.count() == 1
    candidate.refresh_from_db()
    assert candidate.name == "周明"  # a second registration never overwrites the person's data
    entry = AuditEntry.objects.get(action="recruitment.event.register")
    assert entry.detail["consent_statement"] == channels.CONSENT_STATEMENT and entry.detail["self_registered"]
    created = AuditEntry.objects.get(action="recruitment.candidate.create")
    assert not any(key.endswith("ciphertext") or key.endswith("_index") for key in created.detail["after"])


def test_registration_closes_once_the_event_is_over(world, station):
    past = make_event(
        world.regions["330800"], station=station, held_on=timezone.localdate() - dt.timedelta(days=1)
    )
    with pytest.raises(DomainError) as refused:
        channels.candidate_register(actor=None, event=past, data=_person())
    assert refused.value.code == ErrorCode.DEADLINE_PASSED
    assert Client().get(f"/recruitment/public/events/{past.pk}/register/").status_code == 404


def test_the_public_registration_page_needs_no_login(event):
    client = Client()
    page = client.get("/recruitment/public/events/")
    assert event.name in page.content.decode()
    response = client.post(f"/recruitment/public/events/{event.pk}/register/", {**_person(), "consent": "on"})
    assert response.status_code == 302
    assert EventRegistration.objects.filter(event=event).count() == 1
    refused = client.post(f"/recruitment/public/events/{event.pk}/register/", _person(consent=""))
    assert refused.status_code == 422
    assert "须经本人同意方可登记联系方式" in refused.content.decode()


def test_the_event_page_shows_contact_data_masked_to_its_operator(event, operator, world):
    registration = channels.candidate_register(actor=None, event=event, data=_person())
    client = Client()
    client.force_login(operator)
    page = client.get(f"/recruitment/events/{event.pk}/").content.decode()
    assert (
        registration.candidate.id_number_masked in page
        and ID_NUMBER not in page
        and "13912345678" not in page
    )
    outsider = Client()
    outsider.force_login(make_agency_user(username="other-agent"))
    assert outsider.get(f"/recruitment/events/{event.pk}/").status_code == 404


def test_the_stations_operator_records_attendance_and_an_outsider_cannot(world, event, operator):
    registration = channels.candidate_register(actor=None, event=event, data=_person())
    channels.attendance_record(actor=operator, registration=registration, attended=True)
    registration.refresh_from_db()
    assert registration.attended
    with pytest.raises(NotFound):
        channels.attendance_record(actor=make_agency_user(), registration=registration, attended=False)
    with pytest.raises(PermissionDenied):
        channels.attendance_record(
            actor=factories.make_user("ent2", "enterprise", enterprise=world.enterprise_b),
            registration=registration,
            attended=False,
        )
    registration.refresh_from_db()
    assert registration.attended


# -- leads --------------------------------------------------------------------------------------------------


def test_a_lead_is_recorded_at_an_event_and_moves_to_its_outcome(world, event, operator):
    candidate = channels.candidate_register(actor=operator, event=event, data=_person()).candidate
    demand = event.demands.get()
    lead = channels.lead_record(
        actor=operator,
        candidate=candidate,
        enterprise=world.enterprise_a,
        event=event,
        demand=demand,
        note="有意向",
    )
    assert (lead.station, lead.region, lead.outcome) == (event.station, event.region, LeadOutcome.NEW)
    channels.lead_update_outcome(actor=operator, lead=lead, outcome=LeadOutcome.INTERVIEWED, note="已约面试")
    lead.refresh_from_db()
    assert (lead.outcome, lead.note) == (LeadOutcome.INTERVIEWED, "已约面试")
    with pytest.raises(ValidationFailed):
        channels.lead_update_outcome(actor=operator, lead=lead, outcome="vanished")
    assert list(selectors.leads_for(operator)) == [lead]
    assert list(selectors.leads_for(world.users["enterprise"])) == [lead]  # its own enterprise's lead
    assert list(selectors.leads_for(world.users["county_org_dept"])) == []  # a city event, not the county's
    assert list(selectors.leads_for(world.users["city_org_dept"])) == [lead]
    actions = set(AuditEntry.objects.filter(object_type="recruitment.lead").values_list("action", flat=True))
    assert actions == {"recruitment.lead.create", "recruitment.lead.outcome"}


def test_a_lead_needs_a_source_and_a_demand_of_its_enterprise(world, event, operator):
    candidate = make_candidate(world.county_a)
    with pytest.raises(ValidationFailed):
        channels.lead_record(actor=operator, candidate=candidate, enterprise=world.enterprise_a)
    other = make_demand(world.enterprise_b)
    with pytest.raises(ValidationFailed) as refused:
        channels.lead_record(
            actor=operator, candidate=candidate, enterprise=world.enterprise_a, event=event, demand=other
        )
    assert refused.value.details[0]["message_en"] == "The demand chosen is not the enterprise's"
    assert not Lead.objects.exists()


def test_a_county_records_leads_of_its_own_station_only(world):
    own = make_station(world.county_a)
    other = make_station(world.county_b)
    candidate = make_candidate(world.county_a)
    county = world.users["county_org_dept"]
    lead = channels.lead_record(actor=county, candidate=candidate, enterprise=world.enterprise_a, station=own)
    assert lead.region == world.county_a
    with pytest.raises(NotFound):
        channels.lead_record(actor=county, candidate=candidate, enterprise=world.enterprise_a, station=other)
    foreign = make_lead(candidate, world.enterprise_b, station=other)
    with pytest.raises(NotFound):
        channels.lead_update_outcome(actor=county, lead=foreign, outcome=LeadOutcome.HIRED)


def test_the_leads_page_lists_masked_candidates_and_updates_outcomes(world, event, operator):
    candidate = channels.candidate_register(actor=operator, event=event, data=_person()).candidate
    lead = make_lead(candidate, world.enterprise_a, event=event)
    client = Client()
    client.force_login(operator)
    page = client.get("/recruitment/leads/").content.decode()
    assert candidate.id_number_masked in page and ID_NUMBER not in page
    response = client.post(f"/recruitment/leads/{lead.pk}/outcome/", {"outcome": "contacted", "note": ""})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.outcome == LeadOutcome.CONTACTED
