"""Pages of placements and rewards: the placements the registry confirmed, the reward schemes (officers), the
rewards with their instalments (officers in their region; an enterprise the rewards paid to it; an agency
its own), and the settlement button of the city organization department.

Thin: reads through the scoped readers of `services.rewards` (out of scope: 404), writes through its
services; a refusal is shown on the page with every problem. Everything works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, may, require, visible_to
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import show_error
from rencai.recruitment.choices import Channel, InstalmentState, PlacementState, RewardPurpose, RewardState
from rencai.recruitment.forms.rewards import RewardSchemeForm
from rencai.recruitment.models import RewardScheme
from rencai.recruitment.services import rewards as services

PAGE_SIZE = 50


@login_required
@require_GET
def placement_list(request):
    rows = services.placements_for(request.user)
    state, channel = request.GET.get("state", ""), request.GET.get("channel", "")
    if state:
        rows = rows.filter(state=state)
    if channel:
        rows = rows.filter(channel=channel)
    context = {
        "page": Paginator(rows.order_by("-arrived_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page")),
        "state": state,
        "channel": channel,
        "states": PlacementState.choices,
        "channels": Channel.choices,
        "query": f"state={state}&channel={channel}",
    }
    return render(request, "recruitment/placements/list.html", context)


@login_required
@require_GET
def scheme_list(request):
    require(request.user, Action.BROWSE_RECRUITMENT)
    schemes = (
        visible_to(request.user, RewardScheme.objects.select_related("policy", "region"))
        .annotate(
            reward_count=Count("rewards", filter=~Q(rewards__state=RewardState.CANCELLED)),
            committed=Sum("rewards__amount", filter=~Q(rewards__state=RewardState.CANCELLED)),
        )
        .order_by("-effective_from", "code")
    )
    context = {"schemes": schemes, "can_manage": may(request.user, Action.MANAGE_RECRUITMENT)}
    return render(request, "recruitment/rewards/schemes.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new(request):
    require(request.user, Action.MANAGE_RECRUITMENT)  # a form page: the service asks again on saving
    form = RewardSchemeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.reward_scheme_create(actor=request.user, data=form.data_for_service())
        except DomainError as error:
            show_error(request, error, form)
        else:
            messages.success(request, _("奖励方案已创建"))
            return redirect("recruitment:scheme_list")
    return render(request, "recruitment/rewards/scheme_form.html", {"form": form})


@login_required
@require_GET
def reward_list(request):
    rows = services.rewards_for(request.user)
    purpose, state = request.GET.get("purpose", ""), request.GET.get("state", "")
    if purpose:
        rows = rows.filter(purpose=purpose)
    if state:
        rows = rows.filter(state=state)
    rows = rows.annotate(
        paid=Sum("instalments__amount", filter=Q(instalments__state=InstalmentState.PAID)),
    ).order_by("-pk")
    context = {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "purpose": purpose,
        "state": state,
        "purposes": RewardPurpose.choices,
        "states": RewardState.choices,
        "query": f"purpose={purpose}&state={state}",
        "can_settle": may(request.user, Action.SETTLE_REWARDS),
        "report": request.session.pop("recruitment_settle_report", None),
    }
    return render(request, "recruitment/rewards/list.html", context)


@login_required
@require_GET
def reward_detail(request, pk: int):
    reward = services.rewards_for(request.user).filter(pk=pk).first()
    if reward is None:
        raise NotFound()
    return render(
        request,
        "recruitment/rewards/detail.html",
        {"reward": reward, "instalments": reward.instalments.order_by("number")},
    )


@login_required
@require_POST
def reward_settle(request):
    try:
        report = services.rewards_settle(actor=request.user)
    except DomainError as error:
        show_error(request, error)
    else:
        request.session["recruitment_settle_report"] = report.as_dict()
        messages.success(
            request,
            _("结算完成：新增奖励 %(created)s 笔，支付分期 %(paid)s 笔")
            % {"created": report.created, "paid": report.instalments_paid},
        )
    return redirect("recruitment:reward_list")


urlpatterns = [
    path("placements/", placement_list, name="placement_list"),
    path("rewards/schemes/", scheme_list, name="scheme_list"),
    path("rewards/schemes/new/", scheme_new, name="scheme_new"),
    path("rewards/", reward_list, name="reward_list"),
    path("rewards/settle/", reward_settle, name="reward_settle"),
    path("rewards/<int:pk>/", reward_detail, name="reward_detail"),
]
