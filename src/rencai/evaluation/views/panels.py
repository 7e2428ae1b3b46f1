"""Pages of the expert pool and panels: the pool and an expert's record (officers), the expert's own review
tasks and scoring form (我的评审任务), and the officer's panel page (draw, reserves, recusal, close).

Thin: reads through the scoped reads of `services.experts` / `services.panels`, writes through their
services; a refused write (DomainError) is shown on the page, out of scope is 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, require
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import show_error
from rencai.evaluation import scoring
from rencai.evaluation.choices import ConflictKind, PanelState, SeatStatus
from rencai.evaluation.forms.panels import (
    AccountForm,
    DrawForm,
    ExpertFilterForm,
    ExpertForm,
    ReasonForm,
    ReservesForm,
    ScoreForm,
)
from rencai.evaluation.models import Case, Expert, Indicator, Seat
from rencai.evaluation.services import experts as expert_services
from rencai.evaluation.services import panels as panel_services

# -- helpers ------------------------------------------------------------------------------------------------


def _page(request, items):
    page = Paginator(items, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


# -- the expert pool (officers) ----------------------------------------------------------------------------


@login_required
@require_GET
def expert_list(request):
    require(request.user, Action.MANAGE_EVALUATION)
    filters = ExpertFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    active = {"1": True, "0": False}.get(data.get("active", ""))
    experts = expert_services.experts_for(
        request.user,
        field=data.get("field", ""),
        kind=data.get("kind", ""),
        active=active,
        q=data.get("q", ""),
    ).select_related("account")
    page, query = _page(request, experts)
    return render(request, "evaluation/experts/list.html", {"page": page, "query": query, "filters": filters})


@login_required
@require_http_methods(["GET", "POST"])
def expert_new(request):
    require(request.user, Action.MANAGE_EVALUATION)
    regions = expert_services.manageable_regions(request.user)
    form = ExpertForm(request.POST or None, regions=regions)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            expert = expert_services.expert_create(actor=request.user, data=form.to_input())
        except DomainError as error:
            show_error(request, error)
            status = error.status
        else:
            messages.success(request, _("专家已入库。"))
            return redirect("evaluation:expert_detail", pk=expert.pk)
    elif request.method == "POST":
        status = 422
    return render(request, "evaluation/experts/form.html", {"form": form, "expert": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def expert_detail(request, pk: int):
    user = request.user
    expert = expert_services.get_expert(user, pk)
    regions = expert_services.manageable_regions(user)
    form = ExpertForm(request.POST or None, regions=regions, initial=ExpertForm.initial_of(expert))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            expert_services.expert_update(actor=user, expert=expert, data=form.to_input())
        except DomainError as error:
            show_error(request, error)
            status = error.status
        else:
            messages.success(request, _("专家信息已保存。"))
            return redirect("evaluation:expert_detail", pk=pk)
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "expert": expert,
        "account_form": AccountForm(),
        "reason_form": ReasonForm(),
        "seats": expert.seats.select_related("panel__case__round").order_by("-panel__drawn_at")[:20],
    }
    return render(request, "evaluation/experts/form.html", context, status=status)


@login_required
@require_POST
def expert_deactivate(request, pk: int):
    expert = expert_services.get_expert(request.user, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        expert_services.expert_deactivate(actor=request.user, expert=expert, reason=reason)
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("专家已出库，不再参与抽取。"))
    return redirect("evaluation:expert_detail", pk=pk)


@login_required
@require_POST
def expert_account(request, pk: int):
    expert = expert_services.get_expert(request.user, pk)
    form = AccountForm(request.POST)
    try:
        expert_services.expert_link_account(
            actor=request.user, expert=expert, username=form.data.get("username", "")
        )
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("评审登录账号已关联。"))
    return redirect("evaluation:expert_detail", pk=pk)


# -- the expert's review tasks ----------------------------------------------------------------------------


@login_required
@require_GET
def review_list(request):
    user = request.user
    require(user, Action.SCORE_CASE)
    page, query = _page(request, panel_services.review_cases(user))
    cases = list(page.object_list)
    submitted = set(
        Seat.objects.filter(
            panel__case__in=cases, expert__account=user, status=SeatStatus.ACTIVE, submitted_at__isnull=False
        ).values_list("panel__case_id", flat=True)
    )
    rows = [(case, case.pk in submitted) for case in cases]
    return render(request, "evaluation/panels/review_list.html", {"page": page, "query": query, "rows": rows})


def _review_page(request, case: Case, *, form: ScoreForm | None = None, status: int = 200):
    user = request.user
    indicators = list(panel_services.scored_indicators(case))
    own = panel_services.own_scores(user, case)
    if form is None:
        initial: dict[str, object] = {}
        for code, score in own.items():
            initial[f"points_{code}"] = score.points
            initial[f"comment_{code}"] = score.comment
        form = ScoreForm(indicators=indicators, initial=initial)
    computed_names = dict(
        Indicator.objects.filter(scheme_id=case.round.scheme_id).values_list("code", "name")
    )
    context = {
        "case": case,
        "talent": case.talent,
        "form": form,
        "own": own,
        "seat": panel_services.own_seat(user, case),
        "computed": [
            (computed_names.get(code, code), points) for code, points in (case.computed or {}).items()
        ],
        "works": case.works.select_related("achievement").order_by("position"),
        "reason_form": ReasonForm(),
        "scoring_open": case.panel.state == PanelState.SCORING,
    }
    return render(request, "evaluation/panels/review_case.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review_case(request, case_id: int):
    user = request.user
    case = panel_services.review_case(user, case_id)
    if request.method == "GET":
        return _review_page(request, case)
    form = ScoreForm(request.POST, indicators=list(panel_services.scored_indicators(case)))
    if not form.is_valid():
        return _review_page(request, case, form=form, status=422)
    try:
        panel_services.score_submit(actor=user, case=case, points=form.points(), comments=form.comments())
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
        return _review_page(request, case, form=form, status=error.status)
    messages.success(request, _("评分已提交；评审组结束前可以修改。"))
    return redirect("evaluation:review_case", case_id=case_id)


@login_required
@require_POST
def review_recuse(request, case_id: int):
    user = request.user
    case = panel_services.review_case(user, case_id)
    seat = panel_services.own_seat(user, case)
    if seat is None:
        raise NotFound()
    form = ReasonForm(request.POST)
    try:
        panel_services.seat_recuse(actor=user, seat=seat, reason=form.data.get("reason", ""))
    except DomainError as error:
        show_error(request, error)
        return redirect("evaluation:review_case", case_id=case_id)
    messages.success(request, _("已申请回避，该申报不再由您评审。"))
    return redirect("evaluation:review_list")


# -- the officer's panel page -------------------------------------------------------------------------------


@login_required
@require_GET
def panel_page(request, case_id: int):
    user = request.user
    case = panel_services.managed_case(user, case_id)
    panel = getattr(case, "panel", None)
    context: dict = {"case": case, "panel": panel, "draw_form": DrawForm(), "reserves_form": ReservesForm()}
    if panel is not None:
        seats = panel_services.panel_seats(panel)
        context.update(
            seats=seats,
            excluded=_excluded_rows(panel),
            progress=panel_services.progress(panel),
            quorum=scoring.quorum(panel.size),
            scores=panel_services.closed_scores(user, case),
            reason_form=ReasonForm(),
            waiting=sum(1 for s in seats if s.status == SeatStatus.WAITING),
        )
    return render(request, "evaluation/panels/panel.html", context)


def _excluded_rows(panel) -> list[tuple[object, list]]:
    excluded = dict(panel.draw.get("excluded", {}))
    for more in panel.draw.get("more", []):
        excluded.update(more.get("excluded", {}))
    experts = Expert.objects.in_bulk([int(pk) for pk in excluded])
    return [
        (experts.get(int(pk)), [ConflictKind(kind).label for kind in kinds]) for pk, kinds in excluded.items()
    ]


def _panel_action(request, case_id: int, action, success: str):
    case = panel_services.managed_case(request.user, case_id)
    try:
        action(case)
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, success)
    return redirect("evaluation:panel", case_id=case_id)


@login_required
@require_POST
def panel_draw(request, case_id: int):
    form = DrawForm(request.POST)
    seed = form.cleaned_data["seed"] if form.is_valid() else ""
    return _panel_action(
        request,
        case_id,
        lambda case: panel_services.panel_draw(actor=request.user, case=case, seed=seed.strip() or None),
        _("评审组已抽取，已通知评审专家。"),
    )


@login_required
@require_POST
def panel_reserves(request, case_id: int):
    form = ReservesForm(request.POST)
    count = form.cleaned_data["count"] if form.is_valid() else 0
    return _panel_action(
        request,
        case_id,
        lambda case: panel_services.reserves_add(actor=request.user, panel=case.panel, count=count),
        _("已增补候补专家。"),
    )


@login_required
@require_POST
def panel_close(request, case_id: int):
    return _panel_action(
        request,
        case_id,
        lambda case: panel_services.panel_close(actor=request.user, case=case),
        _("评审组已结束，得分已计算。"),
    )


@login_required
@require_POST
def seat_recuse(request, case_id: int, seat_id: int):
    def recuse(case: Case) -> None:
        seat = (
            Seat.objects.filter(pk=seat_id, panel__case=case).select_related("panel__case", "expert").first()
        )
        if seat is None:
            raise NotFound()
        panel_services.seat_recuse(actor=request.user, seat=seat, reason=request.POST.get("reason", ""))

    return _panel_action(request, case_id, recuse, _("该专家已回避，候补专家已递补。"))


urlpatterns = [
    path("experts/", expert_list, name="expert_list"),
    path("experts/new/", expert_new, name="expert_new"),
    path("experts/<int:pk>/", expert_detail, name="expert_detail"),
    path("experts/<int:pk>/deactivate/", expert_deactivate, name="expert_deactivate"),
    path("experts/<int:pk>/account/", expert_account, name="expert_account"),
    path("reviews/", review_list, name="review_list"),
    path("reviews/<int:case_id>/", review_case, name="review_case"),
    path("reviews/<int:case_id>/recuse/", review_recuse, name="review_recuse"),
    path("cases/<int:case_id>/panel/", panel_page, name="panel"),
    path("cases/<int:case_id>/panel/draw/", panel_draw, name="panel_draw"),
    path("cases/<int:case_id>/panel/reserves/", panel_reserves, name="panel_reserves"),
    path("cases/<int:case_id>/panel/close/", panel_close, name="panel_close"),
    path("cases/<int:case_id>/panel/seats/<int:seat_id>/recuse/", seat_recuse, name="seat_recuse"),
]
