"""Pages of stations (人才工作站), events (推介会), candidates' registration (public, or by an officer),
attendance, and leads with their outcomes.

Thin: rows through the scoped selectors (out of scope is 404), writes through `services.channels`. The
public registration needs no login; a candidate's ID number and phone show masked everywhere.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.accounts.models import User
from rencai.core.access import Action, holders, may, region_subtree_ids, require, visible_to
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import attempt, show_error
from rencai.core.models import Region
from rencai.recruitment import selectors
from rencai.recruitment.choices import DemandState, LeadOutcome
from rencai.recruitment.forms.channels import EventForm, LeadForm, OutcomeForm, RegistrationForm, StationForm
from rencai.recruitment.models import Candidate, EventRegistration
from rencai.recruitment.services import channels as service
from rencai.registry.models import Enterprise


def _operator_choices():
    return User.objects.filter(holders(Action.RECORD_LEAD), is_active=True).order_by("username")


def _home_region(user) -> Region:
    region = Region.objects.filter(pk=user.region_id).first()
    if region is None:
        raise NotFound()
    return region


def _submit(request, write, success: str) -> tuple[Any, int]:
    """Run a form's service call: (the result, 200) or (None, the refusal's status) with it shown."""
    try:
        result = write()
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
        return None, error.status
    messages.success(request, success)
    return result, 200


# -- stations -------------------------------------------------------------------------------------------


@login_required
@require_GET
def station_list(request):
    user = request.user
    stations = selectors.stations_for(user).order_by("region__path", "name")
    context = {"stations": stations, "can_manage": may(user, Action.MANAGE_RECRUITMENT)}
    return render(request, "recruitment/channels/stations.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def station_form(request, pk: int | None = None):
    user = request.user
    station = selectors.get_station(user, pk) if pk else None
    require(user, Action.MANAGE_RECRUITMENT, station)  # a form page: the service asks again
    initial = {}
    if station is not None:
        initial = {n: getattr(station, n) for n in ("name", "city", "address", "opened_on", "active")}
        initial["operators"] = list(station.operators.all())
    form = StationForm(request.POST or None, initial=initial, operator_choices=_operator_choices())
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data, operators = form.cleaned_data, list(form.cleaned_data["operators"])
            if station is None:
                result, status = _submit(
                    request,
                    lambda: service.station_create(
                        actor=user, region=_home_region(user), data=data, operators=operators
                    ),
                    _("工作站已设立。"),
                )
            else:
                result, status = _submit(
                    request,
                    lambda: service.station_update(
                        actor=user, station=station, data=data, operators=operators
                    ),
                    _("工作站已修改。"),
                )
            if result is not None:
                return redirect("recruitment:station_detail", pk=result.pk)
    return render(
        request, "recruitment/channels/station_form.html", {"form": form, "station": station}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def station_detail(request, pk: int):
    user = request.user
    station = selectors.get_station(user, pk)
    records = may(user, Action.RECORD_LEAD, station)
    form = None
    status = 200
    if records:
        enterprises = Enterprise.objects.filter(region_id__in=region_subtree_ids(station.region_id))
        form = LeadForm(
            request.POST or None,
            candidates=selectors.candidates_for(user),
            enterprises=enterprises.order_by("name"),
            demands=selectors.public_demands().filter(enterprise__in=enterprises),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            result, status = _submit(
                request,
                lambda: service.lead_record(
                    actor=user,
                    candidate=data["candidate"],
                    enterprise=data["enterprise"],
                    station=station,
                    demand=data["demand"],
                    note=data["note"],
                ),
                _("线索已登记。"),
            )
            if result is not None:
                return redirect("recruitment:station_detail", pk=pk)
        elif request.method == "POST":
            status = 422
    elif request.method == "POST":
        require(user, Action.RECORD_LEAD, station)
    context = {
        "station": station,
        "operators": station.operators.order_by("username"),
        "events": selectors.events_for(user).filter(station=station),
        "leads": selectors.leads_for(user).filter(station=station)[:100],
        "lead_form": form,
        "can_manage": may(user, Action.MANAGE_RECRUITMENT, station),
    }
    return render(request, "recruitment/channels/station.html", context, status=status)


# -- events ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def event_list(request):
    user = request.user
    page = Paginator(selectors.events_for(user), settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": "", "can_manage": may(user, Action.MANAGE_RECRUITMENT)}
    return render(request, "recruitment/channels/events.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def event_form(request, pk: int | None = None):
    user = request.user
    event = selectors.get_event(user, pk) if pk else None
    require(user, Action.MANAGE_RECRUITMENT, event)  # a form page: the service asks again
    initial = {}
    if event is not None:
        initial = {n: getattr(event, n) for n in ("name", "held_on", "place", "station")}
        initial |= {"enterprises": list(event.enterprises.all()), "demands": list(event.demands.all())}
    form = EventForm(
        request.POST or None,
        initial=initial,
        stations=selectors.stations_for(user).order_by("name"),
        enterprises=visible_to(user, Enterprise.objects.all()).order_by("name"),
        demands=selectors.demands_for(user, state=DemandState.PUBLISHED),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            carried = {"enterprises": list(data["enterprises"]), "demands": list(data["demands"])}
            if event is None:
                result, status = _submit(
                    request,
                    lambda: service.event_create(
                        actor=user, region=_home_region(user), data=data, station=data["station"], **carried
                    ),
                    _("推介会已创建。"),
                )
            else:
                result, status = _submit(
                    request,
                    lambda: service.event_update(actor=user, event=event, data=data, **carried),
                    _("推介会已修改。"),
                )
            if result is not None:
                return redirect("recruitment:event_detail", pk=result.pk)
    return render(
        request, "recruitment/channels/event_form.html", {"form": form, "event": event}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_detail(request, pk: int):
    """The event with its registrations (masked contact data), attendance, and the lead form."""
    user = request.user
    event = selectors.get_event(user, pk)
    records = may(user, Action.RECORD_LEAD, event)
    registrations = selectors.registrations_of(user, event)
    lead_form = None
    status = 200
    if records:
        lead_form = LeadForm(
            request.POST or None,
            candidates=Candidate.objects.filter(registrations__event=event).order_by("name"),
            enterprises=event.enterprises.order_by("name"),
            demands=event.demands.all(),
        )
        if request.method == "POST":
            status = 422
            if lead_form.is_valid():
                data = lead_form.cleaned_data
                result, status = _submit(
                    request,
                    lambda: service.lead_record(
                        actor=user,
                        candidate=data["candidate"],
                        enterprise=data["enterprise"],
                        event=event,
                        demand=data["demand"],
                        note=data["note"],
                    ),
                    _("线索已登记。"),
                )
                if result is not None:
                    return redirect("recruitment:event_detail", pk=pk)
    elif request.method == "POST":
        require(user, Action.RECORD_LEAD, event)
    context = {
        "event": event,
        "registrations": registrations,
        "leads": selectors.leads_for(user).filter(event=event),
        "lead_form": lead_form,
        "can_record": records,
        "can_manage": may(user, Action.MANAGE_RECRUITMENT, event),
    }
    return render(request, "recruitment/channels/event.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def event_register_by_officer(request, pk: int):
    user = request.user
    event = selectors.get_event(user, pk)
    require(user, Action.RECORD_LEAD, event)  # a form page: the service asks again
    return _registration_page(request, event, actor=user)


@login_required
@require_POST
def attendance(request, pk: int):
    user = request.user
    registration = EventRegistration.objects.filter(pk=pk).select_related("event").first()
    if registration is None or not selectors.events_for(user).filter(pk=registration.event_id).exists():
        raise NotFound()
    attended = request.POST.get("attended") == "1"
    attempt(
        request,
        lambda: service.attendance_record(actor=user, registration=registration, attended=attended),
        _("已记录到场情况。"),
    )
    return redirect("recruitment:event_detail", pk=registration.event_id)


# -- public registration --------------------------------------------------------------------------------


@require_GET
def public_events(request):
    return render(
        request, "recruitment/channels/public_events.html", {"events": selectors.upcoming_events()[:50]}
    )


@require_http_methods(["GET", "POST"])
def public_register(request, pk: int):
    return _registration_page(request, selectors.public_event(pk), actor=None)


def _registration_page(request, event, *, actor):
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            result, status = _submit(
                request,
                lambda: service.candidate_register(actor=actor, event=event, data=form.cleaned_data),
                _("报名成功，工作人员将与您联系。") if actor is None else _("候选人已登记。"),
            )
            if result is not None:
                if actor is None:
                    return redirect("recruitment:public_events")
                return redirect("recruitment:event_detail", pk=event.pk)
    context = {"form": form, "event": event, "public": actor is None}
    return render(request, "recruitment/channels/register.html", context, status=status)


# -- leads ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_list(request):
    user = request.user
    outcome = request.GET.get("outcome", "")
    rows = selectors.leads_for(user, outcome=outcome if outcome in LeadOutcome.values else "")
    page = Paginator(rows, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "outcome": outcome,
        "outcomes": LeadOutcome.choices,
        "query": f"outcome={outcome}" if outcome else "",
        "outcome_form": OutcomeForm(),
    }
    return render(request, "recruitment/channels/leads.html", context)


@login_required
@require_POST
def lead_outcome(request, pk: int):
    user = request.user
    lead = selectors.get_lead(user, pk)
    form = OutcomeForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {"outcome": "", "note": ""}
    attempt(
        request,
        lambda: service.lead_update_outcome(
            actor=user, lead=lead, outcome=data["outcome"], note=data["note"]
        ),
        _("线索结果已更新。"),
    )
    return redirect("recruitment:lead_list")


urlpatterns = [
    path("stations/", station_list, name="station_list"),
    path("stations/new/", station_form, name="station_new"),
    path("stations/<int:pk>/", station_detail, name="station_detail"),
    path("stations/<int:pk>/edit/", station_form, name="station_edit"),
    path("events/", event_list, name="event_list"),
    path("events/new/", event_form, name="event_new"),
    path("events/<int:pk>/", event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", event_form, name="event_edit"),
    path("events/<int:pk>/register/", event_register_by_officer, name="event_register"),
    path("registrations/<int:pk>/attendance/", attendance, name="attendance"),
    path("public/events/", public_events, name="public_events"),
    path("public/events/<int:pk>/register/", public_register, name="public_register"),
    path("leads/", lead_list, name="lead_list"),
    path("leads/<int:pk>/outcome/", lead_outcome, name="lead_outcome"),
]
