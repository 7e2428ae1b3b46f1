"""Pages of rounds and cases: the evaluation index, a round with its deadlines and cases by state, a case
with its timeline, the application form, the employer's confirmation, the reviews, the officers' objection
list; and the public notice with its objection form (no login, mounted at /notice/).

Thin: reads through `selectors` (scoped; out of scope is 404), writes through the services, a refusal
(DomainError) shown on the page. Every form works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, may, require, restrict, visible_to
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import attempt, show_error
from rencai.core.models import Region
from rencai.evaluation import selectors
from rencai.evaluation.choices import CaseState, IndicatorSource, PanelState, SchemeStatus
from rencai.evaluation.forms.cases import (
    AnswerForm,
    ApplyForm,
    ConfirmForm,
    ObjectionForm,
    PublishForm,
    ReasonForm,
    ResubmitForm,
    ReturnForm,
    ReviewForm,
    RoundForm,
)
from rencai.evaluation.models import CaseCorrection, CtoAppointment, Panel, Scheme
from rencai.evaluation.services import cases as case_services
from rencai.evaluation.services import notices, outcomes, rounds, works

S = CaseState
PAGE_SIZE = 50


# -- the index and rounds ---------------------------------------------------------------------------------


@login_required
@require_GET
def index(request):
    user = request.user
    require(user, Action.BROWSE_EVALUATION)
    round_list = list(selectors.rounds_for(user).order_by("-year", "-opens_on", "pk")[:100])
    counts = selectors.round_counts(user, round_list)
    rows = [(r, counts.get(r.pk, {}), sum(counts.get(r.pk, {}).values())) for r in round_list]
    mine = None
    if may(user, Action.APPLY_FOR_EVALUATION):
        mine = selectors.cases_for(user).order_by("-pk")[:50]
    context = {
        "rows": rows,
        "states": S.choices,
        "mine": mine,
        "can_open": may(user, Action.MANAGE_EVALUATION),
        "can_apply": may(user, Action.APPLY_FOR_EVALUATION),
        "can_answer": may(user, Action.ANSWER_OBJECTION),
        # a talent's own integrity findings and CTO appointment, linked only when there are some
        "has_findings": selectors.findings_for(user).exists(),
        "has_appointments": visible_to(user, CtoAppointment.objects.all()).exists(),
    }
    return render(request, "evaluation/rounds/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request):
    user = request.user
    require(user, Action.MANAGE_EVALUATION)
    schemes = visible_to(user, Scheme.objects.filter(status=SchemeStatus.PUBLISHED)).order_by(
        "code", "-version"
    )
    regions = restrict(user, Region.objects.all(), Action.MANAGE_EVALUATION)
    form = RoundForm(request.POST or None, schemes=schemes, regions=regions)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                round_ = rounds.round_open(
                    actor=user,
                    scheme=form.cleaned_data["scheme"],
                    name=form.cleaned_data["name"],
                    region=form.cleaned_data["region"],
                    opens_on=form.cleaned_data["opens_on"],
                    days=form.days(),
                )
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
            else:
                missing = getattr(round_, "calendar_estimated", ())
                if missing:
                    years = "、".join(str(year) for year in missing)
                    messages.warning(
                        request,
                        _("工作日历缺少 %(years)s 年的节假日安排，相关截止日期暂按周一至周五估算。")
                        % {"years": years},
                    )
                messages.success(request, _("评价批次已开始申报。"))
                return redirect("evaluation:round_detail", pk=round_.pk)
    return render(request, "evaluation/rounds/form.html", {"form": form}, status=status)


@login_required
@require_GET
def round_detail(request, pk: int):
    user = request.user
    round_ = selectors.get_round(user, pk)
    cases = selectors.cases_for(user, round=round_).order_by("state", "pk")
    state = request.GET.get("state", "")
    if state in S.values:
        cases = cases.filter(state=state)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.state_counts(selectors.cases_for(user, round=round_))
    manages = may(user, Action.MANAGE_EVALUATION, round_)
    context = {
        "round": round_,
        "page": page,
        "counts": [(value, label, counts.get(value, 0)) for value, label in S.choices],
        "state": state,
        "query": f"state={state}" if state else "",
        "can_close": manages and round_.state != "closed",
        "can_publish": manages and counts.get(S.SECOND_PASSED, 0) > 0,
        "can_decide": manages and counts.get(S.NOTICE, 0) > 0,
        "publish_form": PublishForm(initial={"days": round_.scheme.notice_days}),
        "notices": round_.notices.order_by("-pk"),
    }
    return render(request, "evaluation/rounds/detail.html", context)


@login_required
@require_POST
def round_close(request, pk: int):
    round_ = selectors.get_round(request.user, pk)
    attempt(request, lambda: rounds.round_close(actor=request.user, round=round_), _("评价批次已结束。"))
    return redirect("evaluation:round_detail", pk=pk)


@login_required
@require_POST
def round_publish(request, pk: int):
    round_ = selectors.get_round(request.user, pk)
    form = PublishForm(request.POST)
    days = form.cleaned_data["days"] if form.is_valid() else None
    attempt(
        request,
        lambda: notices.notice_publish(actor=request.user, round=round_, days=days),
        _("评价结果已公示。"),
    )
    return redirect("evaluation:round_detail", pk=pk)


@login_required
@require_POST
def round_decide(request, pk: int):
    round_ = selectors.get_round(request.user, pk)
    result: dict = {}

    def decide():
        result.update(notices.round_decide(actor=request.user, round=round_))

    if attempt(request, decide, _("已对公示期满的申报作出决定。")):
        messages.info(request, _("已决定 %(decided)d 件，待决定 %(waiting)d 件。") % result)
    return redirect("evaluation:round_detail", pk=pk)


# -- applying ----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    user = request.user
    require(user, Action.APPLY_FOR_EVALUATION)
    chosen = request.GET.get("talent") or request.POST.get("talent")
    talent = selectors.applicant_talent(user, int(chosen) if str(chosen or "").isdigit() else None)
    employees = selectors.applicant_talents(user)[:200] if user.enterprise_id else None
    if talent is None:
        return render(request, "evaluation/cases/apply.html", {"talent": None, "employees": employees})
    form = ApplyForm(
        request.POST or None,
        rounds=selectors.open_rounds_for(user, talent),
        library=selectors.library_of(talent),
        initial={"round": request.GET.get("round")},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = case_services.case_apply(
                    actor=user,
                    round=data["round"],
                    talent=talent,
                    field=data["field"],
                    summary=data["summary"],
                    material_ids=[m.pk for m in data["materials"]],
                    submit="draft" not in request.POST,
                )
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
            else:
                messages.success(request, _("评价申报已提交。"))
                return redirect("evaluation:case_detail", pk=case.pk)
    context = {"talent": talent, "employees": employees, "form": form}
    return render(request, "evaluation/cases/apply.html", context, status=status)


# -- a case ------------------------------------------------------------------------------------------------


def _scored_indicators(case) -> list:
    return list(case.round.scheme.indicators.filter(source=IndicatorSource.SCORED))


def _case_context(user, case) -> dict:
    indicators = list(case.round.scheme.indicators.all())
    names = {i.code: i.name for i in indicators}
    panel = Panel.objects.filter(case=case).first()
    correction = CaseCorrection.objects.filter(case=case).first()
    state = case.state
    confirming = state == S.SUBMITTED and may(user, Action.CONFIRM_AS_EMPLOYER, case)
    reviewing_first = state == S.CONFIRMED and may(user, Action.FIRST_REVIEW, case)
    applicant = may(user, Action.APPLY_FOR_EVALUATION, case)
    manages = may(user, Action.MANAGE_EVALUATION, case.round)
    return {
        "case": case,
        "transitions": case.transitions.select_related("actor").order_by("at", "pk"),
        "materials": case.materials.select_related("material__material_type"),
        "works": case.works.select_related("achievement").order_by("position"),
        "computed": [(names.get(code, code), points) for code, points in (case.computed or {}).items()],
        "employer_scores": [(names.get(code, code), p) for code, p in (case.employer_scores or {}).items()],
        # the panel's result only once it has closed: nobody sees scores while experts are still scoring
        "panel": panel if panel is not None and panel.state == PanelState.CLOSED else None,
        "correction": correction,
        "objections": case.objections.order_by("submitted_at", "pk"),
        "sees_objectors": may(user, Action.ANSWER_OBJECTION, case),
        "confirm_form": ConfirmForm(indicators=_scored_indicators(case)) if confirming else None,
        "decline_form": ReasonForm() if confirming else None,
        "return_form": ReturnForm() if reviewing_first and correction is None else None,
        "first_review_form": ReviewForm() if reviewing_first else None,
        "second_review_form": ReviewForm()
        if state == S.SCORED and may(user, Action.SECOND_REVIEW, case)
        else None,
        "resubmit_form": (
            ResubmitForm(library=selectors.library_of(case.talent))
            if state == S.RETURNED and applicant
            else None
        ),
        "can_submit": state == S.DRAFT and applicant,
        "can_choose_works": applicant and state in works.EDITABLE_STATES,
        "can_withdraw": applicant and state in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.CONFIRMED),
        "can_decide": state == S.NOTICE and manages,
        "revoke_form": ReasonForm() if state == S.RECOGNIZED and manages else None,
    }


@login_required
@require_GET
def case_detail(request, pk: int):
    case = selectors.get_case(request.user, pk)
    return render(request, "evaluation/cases/detail.html", _case_context(request.user, case))


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _back(pk: int):
    return redirect("evaluation:case_detail", pk=pk)


@login_required
@require_POST
def case_confirm(request, pk: int):
    case = selectors.get_case(request.user, pk)
    form = ConfirmForm(request.POST, indicators=_scored_indicators(case))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(pk)
    scores = form.scores()
    attempt(
        request,
        lambda: case_services.case_confirm(actor=request.user, case=case, employer_scores=scores),
        _("已确认申报。"),
    )
    return _back(pk)


@login_required
@require_POST
def case_decline(request, pk: int):
    case = selectors.get_case(request.user, pk)
    reason = request.POST.get("reason", "")
    attempt(
        request,
        lambda: case_services.case_decline(actor=request.user, case=case, reason=reason),
        _("已不予确认。"),
    )
    return _back(pk)


@login_required
@require_POST
def case_return(request, pk: int):
    case = selectors.get_case(request.user, pk)
    form = ReturnForm(request.POST)
    items = form.item_list() if form.is_valid() else []
    attempt(
        request,
        lambda: case_services.case_return(actor=request.user, case=case, items=items),
        _("已退回补正，一次性告知申报人。"),
    )
    return _back(pk)


@login_required
@require_POST
def case_resubmit(request, pk: int):
    case = selectors.get_case(request.user, pk)
    form = ResubmitForm(request.POST, library=selectors.library_of(case.talent))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(pk)
    ids = [m.pk for m in form.cleaned_data["materials"]]
    attempt(
        request,
        lambda: case_services.case_resubmit(actor=request.user, case=case, material_ids=ids),
        _("补正已提交。"),
    )
    return _back(pk)


def _review(request, pk: int, service):
    case = selectors.get_case(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(pk)
    passed, comment = form.cleaned_data["passed"], form.cleaned_data["comment"]
    attempt(
        request,
        lambda: service(actor=request.user, case=case, passed=passed, comment=comment),
        _("审核意见已提交。"),
    )
    return _back(pk)


@login_required
@require_POST
def case_first_review(request, pk: int):
    return _review(request, pk, case_services.case_first_review)


@login_required
@require_POST
def case_second_review(request, pk: int):
    return _review(request, pk, case_services.case_second_review)


@login_required
@require_POST
def case_submit(request, pk: int):
    case = selectors.get_case(request.user, pk)
    attempt(request, lambda: case_services.case_submit(actor=request.user, case=case), _("评价申报已提交。"))
    return _back(pk)


@login_required
@require_POST
def case_withdraw(request, pk: int):
    case = selectors.get_case(request.user, pk)
    reason = request.POST.get("reason", "")
    attempt(
        request,
        lambda: case_services.case_withdraw(actor=request.user, case=case, reason=reason),
        _("评价申报已撤回。"),
    )
    return _back(pk)


@login_required
@require_POST
def case_decide(request, pk: int):
    case = selectors.get_case(request.user, pk)
    attempt(request, lambda: notices.case_decide(actor=request.user, case=case), _("已作出评价决定。"))
    return _back(pk)


@login_required
@require_POST
def case_revoke(request, pk: int):
    case = selectors.get_case(request.user, pk)
    reason = request.POST.get("reason", "")
    attempt(
        request,
        lambda: outcomes.case_revoke(actor=request.user, case=case, reason=reason),
        _("评价结果已撤销，相关政策红利已标记待复核。"),
    )
    return _back(pk)


# -- objections (officers) ---------------------------------------------------------------------------------


@login_required
@require_GET
def objection_list(request):
    require(request.user, Action.ANSWER_OBJECTION)
    rows = selectors.objections_for(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evaluation/cases/objections.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def objection_detail(request, pk: int):
    objection = selectors.get_objection(request.user, pk)
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            done = attempt(
                request,
                lambda: notices.objection_answer(
                    actor=request.user, objection=objection, upheld=data["upheld"], answer=data["answer"]
                ),
                _("异议已答复。"),
            )
            if done:
                return redirect("evaluation:objection_detail", pk=pk)
    context = {"objection": objection, "form": form if objection.state == "open" else None}
    return render(request, "evaluation/cases/objection_detail.html", context, status=status)


urlpatterns = [
    path("", index, name="index"),
    path("rounds/new/", round_new, name="round_new"),
    path("rounds/<int:pk>/", round_detail, name="round_detail"),
    path("rounds/<int:pk>/close/", round_close, name="round_close"),
    path("rounds/<int:pk>/publish/", round_publish, name="round_publish"),
    path("rounds/<int:pk>/decide/", round_decide, name="round_decide"),
    path("apply/", apply, name="apply"),
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/confirm/", case_confirm, name="case_confirm"),
    path("cases/<int:pk>/decline/", case_decline, name="case_decline"),
    path("cases/<int:pk>/return/", case_return, name="case_return"),
    path("cases/<int:pk>/resubmit/", case_resubmit, name="case_resubmit"),
    path("cases/<int:pk>/first-review/", case_first_review, name="case_first_review"),
    path("cases/<int:pk>/second-review/", case_second_review, name="case_second_review"),
    path("cases/<int:pk>/submit/", case_submit, name="case_submit"),
    path("cases/<int:pk>/withdraw/", case_withdraw, name="case_withdraw"),
    path("cases/<int:pk>/decide/", case_decide, name="case_decide"),
    path("cases/<int:pk>/revoke/", case_revoke, name="case_revoke"),
    path("objections/", objection_list, name="objection_list"),
    path("objections/<int:pk>/", objection_detail, name="objection_detail"),
]


# -- the public notice: no login --------------------------------------------------------------------------


@require_GET
def notice_list(request):
    return render(request, "evaluation/notice/list.html", {"notices": selectors.public_notices()[:50]})


@require_GET
def notice_detail(request, pk: int):
    notice = selectors.public_notice(pk)
    context = {
        "notice": notice,
        "lines": selectors.notice_lines(notice),
        "open": notices.notice_is_open(notice),
    }
    return render(request, "evaluation/notice/detail.html", context)


@require_http_methods(["GET", "POST"])
def notice_object(request, pk: int):
    notice = selectors.public_notice(pk)
    lines = selectors.notice_lines(notice)
    form = ObjectionForm(request.POST or None, request.FILES or None, lines=lines)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            case = notice.cases.filter(pk=data["case"]).first()
            if case is None:
                raise NotFound()
            try:
                notices.objection_submit(
                    notice=notice,
                    case=case,
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    point=data["point"],
                    statement=data["statement"],
                    evidence=data["evidence"],
                )
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
            else:
                messages.success(request, _("异议已提交，我们将在十个工作日内答复。"))
                return redirect("notice:detail", pk=pk)
    context = {"notice": notice, "form": form, "open": notices.notice_is_open(notice)}
    response: HttpResponse = render(request, "evaluation/notice/object.html", context, status=status)
    return response


public_urlpatterns = [
    path("", notice_list, name="list"),
    path("<int:pk>/", notice_detail, name="detail"),
    path("<int:pk>/object/", notice_object, name="object"),
]
