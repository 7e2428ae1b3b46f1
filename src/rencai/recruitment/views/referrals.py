"""Pages of intermediaries and referrals: the agencies (officers), an agency's "我的推荐", the refer form from
a published demand, an enterprise's referrals to its demands, and one referral with its state moves.

Thin: reads through the scoped readers of `services.agencies` / `services.referrals` (out of scope: 404),
writes through their services; a refusal is shown on the page with every problem.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, may, require, restrict, visible_to
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import show_error
from rencai.core.models import Region
from rencai.recruitment.choices import ReferralState
from rencai.recruitment.forms.referrals import AgencyForm, MemberForm, ReferralForm, ReferralStateForm
from rencai.recruitment.selectors import public_demand
from rencai.recruitment.services import agencies, referrals
from rencai.registry.choices import Tier

PAGE = 100


# -- referrals ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def referral_list(request):
    """An agency's own referrals ("我的推荐"), an enterprise's received ones, a region's for officers."""
    user = request.user
    require(user, Action.BROWSE_RECRUITMENT)
    rows = referrals.referrals_for(user)
    state = request.GET.get("state", "")
    if state:
        rows = rows.filter(state=state)
    context = {
        "referrals": rows[:PAGE],
        "state": state,
        "states": ReferralState.choices,
        "is_agency": may(user, Action.REFER_CANDIDATE),
        "is_enterprise": may(user, Action.POST_DEMAND),
        "agency": agencies.agency_of(user),
    }
    return render(request, "recruitment/referrals/list.html", context)


@login_required
@require_GET
def referral_detail(request, pk: int):
    referral = referrals.referrals_for(request.user).filter(pk=pk).first()
    if referral is None:
        raise NotFound()
    moves = referrals.TRANSITIONS.get(referral.state, {})
    allowed = [
        (state, label)
        for state, label in ReferralState.choices
        if state in moves and may(request.user, moves[state], referral)
    ]
    context = {"referral": referral, "moves": allowed}
    return render(request, "recruitment/referrals/detail.html", context)


@login_required
@require_POST
def referral_state(request, pk: int):
    referral = referrals.referrals_for(request.user).filter(pk=pk).first()
    if referral is None:
        raise NotFound()
    form = ReferralStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择要变更的状态。"))
        return redirect("recruitment:referral_detail", pk=pk)
    try:
        referrals.referral_update_state(
            actor=request.user, referral=referral, state=form.cleaned_data["state"]
        )
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("已更新推荐状态。"))
    return redirect("recruitment:referral_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def refer(request, demand_pk: int):
    """The refer form from a published demand (an agency's login under contract)."""
    user = request.user
    require(user, Action.REFER_CANDIDATE)  # a form page: the service asks again, for the agency
    demand = public_demand(demand_pk)
    form = ReferralForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                referral = referrals.referral_create(
                    actor=user,
                    demand=demand,
                    candidate_data=form.candidate_data(),
                    consent_statement=form.cleaned_data["consent_statement"],
                    consent_at=form.cleaned_data["consent_at"],
                    note=form.cleaned_data["note"],
                )
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error, form)
                status = error.status if error.status != 400 else 409
            else:
                messages.success(request, _("已推荐%(name)s。") % {"name": referral.candidate.name})
                return redirect("recruitment:referral_detail", pk=referral.pk)
        else:
            status = 422
    context = {"form": form, "demand": demand, "agency": agencies.agency_of(user)}
    return render(request, "recruitment/referrals/refer.html", context, status=status)


# -- agencies -----------------------------------------------------------------------------------------------


def _regions(user):
    return restrict(user, Region.objects.order_by("path"), Action.MANAGE_RECRUITMENT)


@login_required
@require_GET
def agency_list(request):
    user = request.user
    require(user, Action.MANAGE_RECRUITMENT)
    rows = agencies.agencies_for(user).order_by("region__path", "name")
    context = {"agencies": rows[:PAGE], "today": timezone.localdate()}
    return render(request, "recruitment/agencies/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def agency_form(request, pk: int | None = None):
    """Put an agency under contract, or change its contract."""
    user = request.user
    require(user, Action.MANAGE_RECRUITMENT)  # a form page: the service asks again for the region
    agency = None
    if pk is not None:
        agency = agencies.agencies_for(user).filter(pk=pk).first()
        if agency is None:
            raise NotFound()
    initial = {}
    if agency is not None:
        initial = {
            name: getattr(agency, name)
            for name in (
                "name",
                "credit_code",
                "region",
                "contract_starts",
                "contract_ends",
                "target_count",
                "active",
            )
        }
        initial.update({f"fee_{tier}": amount for tier, amount in agency.fee_schedule.items()})
    form = AgencyForm(request.POST or None, initial=initial, regions=_regions(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if agency is None:
                    agency = agencies.agency_create(actor=user, data=form.data_for_service())
                else:
                    agencies.agency_update(actor=user, agency=agency, data=form.data_for_service())
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error, form)
                status = error.status
            else:
                messages.success(request, _("已保存中介机构。"))
                return redirect("recruitment:agency_detail", pk=agency.pk)
        else:
            status = 422
    return render(request, "recruitment/agencies/form.html", {"form": form, "agency": agency}, status=status)


@login_required
@require_GET
def agency_detail(request, pk: int):
    user = request.user
    require(user, Action.MANAGE_RECRUITMENT)
    agency = agencies.agencies_for(user).filter(pk=pk).first()
    if agency is None:
        raise NotFound()
    rows = visible_to(user, agency.referrals.select_related("demand", "enterprise", "candidate")).order_by(
        "-created_at"
    )
    placed = rows.filter(state=ReferralState.PLACED).count()
    fees = [(label, agency.fee_schedule.get(tier)) for tier, label in Tier.choices]
    context = {
        "agency": agency,
        "members": agency.members.select_related("user").order_by("-active", "user__username"),
        "referrals": rows[:PAGE],
        "placed": placed,
        "fees": fees,
        "member_form": MemberForm(),
        "under_contract": agencies.under_contract(agency),
    }
    return render(request, "recruitment/agencies/detail.html", context)


@login_required
@require_POST
def agency_member(request, pk: int):
    user = request.user
    agency = agencies.agencies_for(user).filter(pk=pk).first()
    if agency is None:
        raise NotFound()
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            agencies.agency_member_add(actor=user, agency=agency, username=form.cleaned_data["username"])
        except NotFound:
            raise
        except DomainError as error:
            show_error(request, error)
        else:
            messages.success(request, _("已关联账号。"))
    return redirect("recruitment:agency_detail", pk=pk)


@login_required
@require_POST
def agency_member_remove(request, pk: int, member_pk: int):
    user = request.user
    agency = agencies.agencies_for(user).filter(pk=pk).first()
    member = agency.members.filter(pk=member_pk).first() if agency is not None else None
    if member is None:
        raise NotFound()
    try:
        agencies.agency_member_remove(actor=user, member=member)
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("已停用该账号。"))
    return redirect("recruitment:agency_detail", pk=pk)


urlpatterns: list = [
    path("referrals/", referral_list, name="referral_list"),
    path("referrals/<int:pk>/", referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/state/", referral_state, name="referral_state"),
    path("demands/<int:demand_pk>/refer/", refer, name="refer"),
    path("agencies/", agency_list, name="agency_list"),
    path("agencies/new/", agency_form, name="agency_create"),
    path("agencies/<int:pk>/", agency_detail, name="agency_detail"),
    path("agencies/<int:pk>/edit/", agency_form, name="agency_update"),
    path("agencies/<int:pk>/members/", agency_member, name="agency_member"),
    path(
        "agencies/<int:pk>/members/<int:member_pk>/remove/", agency_member_remove, name="agency_member_remove"
    ),
]
