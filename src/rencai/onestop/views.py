"""One-stop service pages (最多跑一次): the catalogue and the one application form, my applications, the
window queue with its one correction notice, department queues, the dashboard, the gold card with its QR code,
and the provider's verification and voucher redemption.

Thin by design: reads go through `selectors` (scoped; out of scope is NotFound, rendered as 404), writes
through `services` (permission, state machine, audit). A refused write (DomainError) is shown on the page.
"""

import uuid

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.accounts.throttling import client_ip
from rencai.core.access import Action, may, require, restrict, visible_to
from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.feedback import in_english, show_error
from rencai.onestop import selectors, services
from rencai.onestop.benefit_story import benefit_stories, story_sections
from rencai.onestop.forms import (
    ApplyForm,
    CardSearchForm,
    DecisionForm,
    EmployeeSearchForm,
    LoanDecisionForm,
    RedeemForm,
    ResubmitForm,
    ReturnForm,
    RevokeForm,
    ServiceItemForm,
    StepFormSet,
    VerifyForm,
    step_specs,
)
from rencai.onestop.models import (
    ApplicationState,
    CardStatus,
    LoanStatus,
    Material,
    MaterialType,
    Outcome,
    StepTask,
)
from rencai.onestop.statemachine import Party, party_of
from rencai.onestop.tokens import card_token
from rencai.onestop.verification import flush_verification_log, verify_card
from rencai.policies.models import Policy
from rencai.registry import selectors as registry_selectors
from rencai.registry.selectors import TalentFilters

WITHDRAWABLE = (
    ApplicationState.DRAFT,
    ApplicationState.SUBMITTED,
    ApplicationState.RETURNED,
    ApplicationState.RESUBMITTED,
)
LOG_ROWS = 30
EMPLOYEES_SHOWN = 20  # the employee picker lists this many matches; a search narrows the rest


# -- helpers ------------------------------------------------------------------------------------------------


def _paginate(request, items, per_page: int | None = None) -> tuple[Page, str]:
    """One COUNT and one page query; `query` is the querystring without `page`."""
    page = Paginator(items, per_page or settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def _party(user, application) -> str:
    try:
        return party_of(user, application)
    except PermissionDenied:
        return ""


def _applying_talent(request):
    """The talent an application is for: the signed-in talent, or the employee an enterprise chose."""
    user = request.user
    talent_id = None
    if may(user, Action.APPLY_FOR_EMPLOYEE):
        chosen = request.GET.get("talent") or request.POST.get("talent")
        talent_id = int(chosen) if str(chosen or "").isdigit() else None
    return selectors.applying_talent(user, talent_id)


def _applies(user) -> bool:
    """Talents apply for themselves, enterprises for their employees."""
    return may(user, Action.APPLY_FOR_SELF) or may(user, Action.APPLY_FOR_EMPLOYEE)


def _employees(user, q: str) -> tuple[list, int]:
    """The enterprise's employees matching `q`, the first few and how many. A name matches on any part; an
    ID number (anything with a digit) is looked up the registry's way, through its blind indexes, so the
    picker never learns more of a number than the registry search would show this user."""
    if not may(user, Action.APPLY_FOR_EMPLOYEE):
        return [], 0
    q = q.strip()
    if any(character.isdigit() for character in q):
        employees = registry_selectors.talents_for(user, TalentFilters(q=q))
    else:
        employees = registry_selectors.talents_for(user)
        if q:
            employees = employees.filter(name__icontains=q)
    employees = employees.order_by("name", "pk")
    return list(employees[:EMPLOYEES_SHOWN]), employees.count()


def _employee_search(request) -> dict:
    form = EmployeeSearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    employees, total = _employees(request.user, q)
    return {"search": form, "q": q, "employees": employees, "employee_total": total}


def _openable(user, materials) -> set[int]:
    """Which of these materials' files the user may open (one query): links are shown for those only."""
    ids = {material.pk for material in materials if material is not None and material.file}
    if not ids:
        return set()
    rows = restrict(user, Material.objects.filter(pk__in=ids), Action.VIEW_MATERIAL_FILE)
    return set(rows.values_list("pk", flat=True))


def qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG (error correction M: survives a scratched phone screen)."""
    return segno.make(text, error="m").svg_inline(scale=4, border=2, title=_("人才金卡二维码"))


# -- catalogue and the one application form -----------------------------------------------------------------


@login_required
@require_GET
def catalogue(request):
    user = request.user
    talent = _applying_talent(request) if _applies(user) else None
    if talent is not None:
        items = selectors.items_in_region(talent.region)
    elif _applies(user):
        items = []  # an enterprise chooses the employee first
    else:
        items = selectors.catalogue_for(user)
    context = {
        "talent": talent,
        "items": items,
        "can_apply": talent is not None,
        "picks_employee": may(user, Action.APPLY_FOR_EMPLOYEE),
        **_employee_search(request),
    }
    return render(request, "onestop/catalogue.html", context)


@login_required
@require_GET
def employee_search(request):
    """The employee picker's results alone, for the search box to refresh as one types (htmx)."""
    require(request.user, Action.APPLY_FOR_EMPLOYEE)
    return render(request, "onestop/_employee_results.html", _employee_search(request))


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, code: str):
    user = request.user
    talent = _applying_talent(request)
    if talent is None:
        return redirect("onestop:catalogue")
    item = selectors.item_in_region(code, talent.region)
    if item is None:
        raise NotFound("该事项在您所在地区不可办理", "This service is not offered where the talent lives")
    preview = selectors.application_preview(user, talent, item)
    blocker = services.blocker_of(talent, item)
    form_kwargs = {
        "missing_types": preview.missing,
        "needs_child_name": item.outcome == Outcome.EDUCATION_VOUCHER,
    }
    status = 200
    if request.method == "POST" and blocker is not None:
        status = blocker.error.status  # said before the form: nothing was typed for it
    elif request.method == "POST":
        form = ApplyForm(request.POST, request.FILES, **form_kwargs)
        status = 422  # until the application is made: the form comes back with everything typed
        if form.is_valid():
            try:
                application = services.apply(
                    actor=user,
                    item=item,
                    talent=talent,
                    materials=form.given_materials(),
                    form_data=form.form_data(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
                blocker = services.blocker_of(talent, item)  # e.g. a card issued since the page opened
            else:
                messages.success(request, _("申请已提交，窗口将尽快受理。"))
                return redirect("onestop:application_detail", pk=application.pk)
    if request.method == "GET" or blocker is not None:
        form = ApplyForm(initial={"idempotency_key": uuid.uuid4().hex}, **form_kwargs)
    context = {
        "item": item,
        "talent": talent,
        "preview": preview,
        "form": form,
        "blocker": blocker,
        "blocker_link": _blocker_link(user, blocker),
        "openable": _openable(user, preview.reused),
    }
    return render(request, "onestop/apply.html", context, status=status)


def _blocker_link(user, blocker) -> str:
    """Where the user sees what blocks the application (the card, the open application), if they may."""
    if blocker is None:
        return ""
    if blocker.card is not None and selectors.cards_of(user).filter(pk=blocker.card.pk).exists():
        return reverse("onestop:card_detail", args=[blocker.card.pk])
    application = blocker.application
    if application is not None and selectors.applications_for(user).filter(pk=application.pk).exists():
        return reverse("onestop:application_detail", args=[application.pk])
    return ""


# -- maintaining the catalogue (organization officers) ------------------------------------------------------


@login_required
@require_GET
def item_manage(request):
    require(request.user, Action.MAINTAIN_CATALOGUE)
    rows = selectors.catalogue_to_maintain(request.user)
    return render(request, "onestop/item_manage.html", {"rows": rows})


def _item_initial(item) -> tuple[dict, list[dict]]:
    initial = {
        "region": item.region_id,
        "code": item.code,
        "name": item.name,
        "description": item.description,
        "outcome": item.outcome,
        "policy": item.policy_id,
        "materials": [material.code for material in item.materials.all()],
        "is_active": item.is_active,
    }
    steps = [
        {
            "department_kind": step.department_kind,
            "group": step.group,
            "action": step.action,
            "sla_working_days": step.sla_working_days,
        }
        for step in item.steps.order_by("group", "department_kind")
    ]
    return initial, steps


def _put_back(form, formset, rows: list[int], error: DomainError) -> list[str]:
    """A refusal's details on the fields they concern; what belongs to no field is returned for the page."""
    loose = []
    for detail in error.details:
        text = detail.get("message_en") if in_english() else detail.get("message_zh")
        field = detail.get("field", "")
        if field.startswith("steps.") and field[6:].isdigit() and int(field[6:]) <= len(rows):
            formset.forms[rows[int(field[6:]) - 1]].add_error(None, text)
        elif field in form.fields:
            form.add_error(field, text)
        else:
            loose.append(text)
    return loose or ([] if error.details else [error.message])


def _item_form_page(request, item=None):
    user = request.user
    require(user, Action.MAINTAIN_CATALOGUE)
    regions = selectors.maintained_regions(user)
    policies = visible_to(user, Policy.objects.select_related("region")).order_by("region__path", "code")
    kwargs = {"regions": regions, "policies": policies, "editing": item is not None}
    loose = []
    if request.method == "POST":
        form = ServiceItemForm(request.POST, **kwargs)
        formset = StepFormSet(request.POST, prefix="steps")
        form_ok, steps_ok = form.is_valid(), formset.is_valid()
        if steps_ok and not form_ok:  # show the table's problems too, all at once
            steps, rows = step_specs(formset)
            loose = _put_back(form, formset, rows, ValidationFailed(services.step_problems(steps)))
        if form_ok and steps_ok:
            steps, rows = step_specs(formset)
            region = item.region if item is not None else form.cleaned_data["region"]
            try:
                saved = services.save_service_item(
                    actor=user,
                    region=region,
                    item=item,
                    spec=form.spec(steps, code=item.code if item is not None else ""),
                )
            except NotFound:
                raise
            except DomainError as error:
                loose = _put_back(form, formset, rows, error)
            else:
                messages.success(request, _("服务事项已保存，此后开始的办理环节按此执行。"))
                return redirect("onestop:item_edit", pk=saved.pk)
    else:
        source = item
        if source is None and str(request.GET.get("from", "")).isdigit():
            source = selectors.get_item(user, int(request.GET["from"]))  # a county redefines the city's item
        initial, steps = _item_initial(source) if source is not None else ({"is_active": True}, [])
        initial.setdefault("region", regions.first())
        if item is None and source is not None:
            initial["region"] = (
                regions.exclude(pk=source.region_id).filter(path__startswith=source.region.path).first()
                or regions.first()
            )
        form = ServiceItemForm(initial=initial, **kwargs)
        formset = StepFormSet(initial=steps, prefix="steps")
    context = {"form": form, "formset": formset, "item": item, "loose_errors": loose}
    return render(request, "onestop/item_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def item_new(request):
    return _item_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk: int):
    item = selectors.get_item(request.user, pk)
    if not selectors.maintained_regions(request.user).filter(pk=item.region_id).exists():
        raise PermissionDenied(
            "上级事项只能由上级维护；可在本辖区另行定义同编码事项",
            "A higher region's item is changed there; define an item with the same code for your region",
        )
    return _item_form_page(request, item)


# -- my applications, offers, card, vouchers, loans ---------------------------------------------------------


def _with_steps(applications):
    steps = selectors.with_colour(
        StepTask.objects.select_related("department", "step").order_by("group", "id")
    )
    return applications.select_related("correction_notice").prefetch_related(
        Prefetch("steps", queryset=steps)
    )


@login_required
@require_GET
def my_applications(request):
    user = request.user
    if not _applies(user):
        raise PermissionDenied("此页面供人才和用人单位使用", "This page is for talents and employers")
    if may(user, Action.APPLY_FOR_SELF):
        applications = selectors.applications_of_talent(user)
    else:
        applications = selectors.applications_for(user)
    talent = selectors.own_talent(user)
    # One line per benefit, the same as on 我的政策红利; its application is not listed a second time below
    stories = benefit_stories(user, talent)
    told = [story.application_id for story in stories if story.application_id]
    applications = applications.exclude(state=ApplicationState.OFFERED).exclude(pk__in=told)
    page, query = _paginate(request, _with_steps(applications))
    context = {
        "page": page,
        "query": query,
        "sections": story_sections(stories),
        "cards": list(selectors.cards_of(user)),
        "vouchers": list(selectors.vouchers_of(user)),
        "loans": list(selectors.loans_of(user)),
        "talent": talent,
        "calendar_gap": selectors.calendar_gap(user),
    }
    return render(request, "onestop/my_applications.html", context)


@login_required
@require_GET
def application_detail(request, pk: int):
    return _application_page(request, pk)


def _application_page(request, pk: int, *, kept: dict | None = None, status: int = 200):
    """The application as its parties see it. After a refused action `kept` brings back what the user had
    typed (the acceptance comment, the bound correction-notice or resubmission form), so nothing is lost."""
    kept = kept or {}
    user = request.user
    detail = selectors.application_detail(user, pk)
    application = detail.application
    party = _party(user, application)
    state = application.state
    context = {
        "detail": detail,
        "application": application,
        "role": party,
        "eligibility": application.eligibility or {},
        "can_withdraw": party == Party.APPLICANT and state in WITHDRAWABLE,
        "is_offer": party == Party.APPLICANT and state == ApplicationState.OFFERED,
        "needs_child_name": application.item.outcome == Outcome.EDUCATION_VOUCHER,
        "my_steps": [
            s for s in detail.steps if party == Party.DEPARTMENT and s.department_id == user.department_id
        ],
        "calendar_gap": selectors.calendar_gap(user),
    }
    shown = [used.material for used in detail.materials]
    if party == Party.APPLICANT and state == ApplicationState.RETURNED:
        context["resubmit_form"] = kept.get("resubmit_form") or ResubmitForm(
            material_types=_to_give_again(application, detail.notice)
        )
    if party == Party.WINDOW and state in (ApplicationState.SUBMITTED, ApplicationState.RESUBMITTED):
        needs = selectors.materials_needed(application.talent, application.item)
        shown += [need.material for need in needs]
        context["needs"] = needs
        context["can_accept"] = state == ApplicationState.SUBMITTED or application.window_officer_id in (
            None,
            user.pk,
        )
        context["accept_comment"] = kept.get("accept_comment", "")
        if state == ApplicationState.SUBMITTED and detail.notice is None:
            context["return_form"] = kept.get("return_form") or ReturnForm(needs=needs)
    context["openable"] = _openable(user, shown)
    return render(request, "onestop/application_detail.html", context, status=status)


def _to_give_again(application, notice) -> list[MaterialType]:
    """The material types the notice listed, plus any the item needs that the library still lacks."""
    codes = [entry["material_type"] for entry in (notice.items if notice else [])]
    codes += [
        need.material_type.code
        for need in selectors.materials_needed(application.talent, application.item)
        if need.missing
    ]
    by_code = {t.code: t for t in selectors.material_types().filter(code__in=codes)}
    return [by_code[code] for code in dict.fromkeys(codes) if code in by_code]


@login_required
@require_POST
def resubmit(request, pk: int):
    user = request.user
    application = selectors.get_application(user, pk)
    notice = getattr(application, "correction_notice", None)
    form = ResubmitForm(request.POST, request.FILES, material_types=_to_give_again(application, notice))
    if not form.is_valid():
        return _application_page(request, pk, kept={"resubmit_form": form}, status=422)
    try:
        services.resubmit(
            actor=user,
            application=application,
            materials=form.given_materials(),
            comment=form.cleaned_data["comment"],
        )
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
        return _application_page(request, pk, kept={"resubmit_form": form}, status=error.status)
    messages.success(request, _("补正材料已提交，原受理人员将继续办理。"))
    return redirect("onestop:application_detail", pk=pk)


def _act(request, pk: int, action, success: str):
    """Run a one-button action on an application and come back to it with the outcome."""
    application = selectors.get_application(request.user, pk)
    try:
        action(application)
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, success)
    return redirect("onestop:application_detail", pk=pk)


@login_required
@require_POST
def withdraw(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.withdraw(
            actor=request.user, application=a, comment=request.POST.get("comment", "")
        ),
        _("申请已撤回。"),
    )


@login_required
@require_POST
def confirm_offer(request, pk: int):
    child_name = request.POST.get("child_name", "").strip()
    form_data = {"child_name": child_name} if child_name else None
    return _act(
        request,
        pk,
        lambda a: services.confirm_offer(actor=request.user, application=a, form_data=form_data),
        _("已确认，无需再提交材料，正在转相关部门办理。"),
    )


@login_required
@require_POST
def decline_offer(request, pk: int):
    return _act(
        request,
        pk,
        lambda a: services.decline_offer(actor=request.user, application=a),
        _("已放弃该事项。"),
    )


# -- the window ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def window_queue(request):
    user = request.user
    require(user, Action.WORK_AT_WINDOW)
    page, query = _paginate(request, selectors.window_queue(user).select_related("correction_notice"))
    context = {"page": page, "query": query, "calendar_gap": selectors.calendar_gap(user)}
    return render(request, "onestop/window_queue.html", context)


@login_required
@require_POST
def accept(request, pk: int):
    user = request.user
    application = selectors.get_application(user, pk)
    comment = request.POST.get("comment", "")
    try:
        services.accept(actor=user, application=application, comment=comment)
    except NotFound:
        raise
    except DomainError as error:  # e.g. materials missing: the officer returns it instead, comment kept
        show_error(request, error)
        return _application_page(request, pk, kept={"accept_comment": comment}, status=error.status)
    messages.success(request, _("已受理，已分送相关部门并联办理。"))
    return redirect("onestop:application_detail", pk=pk)


@login_required
@require_POST
def return_application(request, pk: int):
    user = request.user
    application = selectors.get_application(user, pk)
    form = ReturnForm(request.POST, needs=selectors.materials_needed(application.talent, application.item))
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return _application_page(request, pk, kept={"return_form": form}, status=422)
    try:
        services.return_with_notice(
            actor=user, application=application, items=form.notice_items(), note=form.cleaned_data["note"]
        )
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
        return _application_page(request, pk, kept={"return_form": form}, status=error.status)
    messages.success(request, _("已退回，并一次性告知全部补正事项。"))
    return redirect("onestop:application_detail", pk=pk)


@login_required
@require_GET
def material_file(request, pk: int):
    """A material's file, for those who may open it (every opening is logged): PDFs and pictures are
    shown in the browser, anything else is downloaded under the name the applicant gave it."""
    opened = services.open_material_file(actor=request.user, material_id=pk, ip=client_ip(request))
    response = FileResponse(
        opened.handle,
        as_attachment=not opened.inline,
        filename=opened.name,
        content_type=opened.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


# -- department steps ---------------------------------------------------------------------------------------


@login_required
@require_GET
def department_queue(request):
    user = request.user
    require(user, Action.DECIDE_STEP)
    due = request.GET.get("due", "")
    due = due if due in selectors.QUEUE_DUE else ""
    page, query = _paginate(request, selectors.department_queue(user, due=due))
    context = {
        "page": page,
        "query": query,
        "due": due,
        "loans": list(selectors.loan_queue(user)[:50]),
        "loan_form": LoanDecisionForm(),
        "calendar_gap": selectors.calendar_gap(user),
    }
    return render(request, "onestop/department_queue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def step_detail(request, pk: int):
    user = request.user
    task = selectors.get_step_task(user, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_step(
                actor=user, task=task, approve=form.approve, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            raise
        except DomainError as error:
            show_error(request, error)
        else:
            messages.success(request, _("已办理：%(action)s") % {"action": task.step.action})
            return redirect("onestop:department_queue")
    detail = selectors.application_detail(user, task.application_id)
    task.colour = selectors.step_colour(task)
    context = {
        "task": task,
        "detail": detail,
        "application": detail.application,
        "form": form,
        "openable": _openable(user, [used.material for used in detail.materials]),
        "calendar_gap": selectors.calendar_gap(user),
    }
    return render(request, "onestop/step_detail.html", context)


@login_required
@require_GET
def loan_detail(request, pk: int):
    user = request.user
    referral = selectors.get_loan(user, pk)
    can_decide = referral.status == LoanStatus.REFERRED and may(user, Action.DECIDE_LOAN, referral)
    context = {"referral": referral, "can_decide": can_decide, "loan_form": LoanDecisionForm()}
    return render(request, "onestop/loan_detail.html", context)


@login_required
@require_POST
def loan_decision(request, pk: int):
    user = request.user
    referral = selectors.get_loan(user, pk)
    form = LoanDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.record_loan_decision(
                actor=user,
                referral=referral,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except NotFound:
            raise
        except DomainError as error:
            show_error(request, error)
        else:
            messages.success(request, _("已记录审批结果。"))
    return redirect("onestop:loan_detail", pk=pk)


# -- the dashboard ------------------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    user = request.user
    require(user, Action.SEE_SERVICE_DASHBOARD)
    board = selectors.dashboard(user)
    chart = {
        "departments": [row.label for row in board.by_department],
        "department_rates": [_percent(row.rate) for row in board.by_department],
        "items": [row.label for row in board.by_item],
        "item_rates": [_percent(row.rate) for row in board.by_item],
        "series_name": _("按时办结率（%）"),
    }
    states = [(ApplicationState(s).label, n) for s, n in sorted(board.applications_by_state.items())]
    context = {"board": board, "chart": chart, "states": states, "calendar_gap": selectors.calendar_gap(user)}
    return render(request, "onestop/dashboard.html", context)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


# -- gold cards ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def card_list(request):
    user = request.user
    require(user, Action.REVOKE_CARD)
    form = CardSearchForm(request.GET)
    cards = selectors.cards_of(user)
    if form.is_valid():
        q, status = form.cleaned_data["q"].strip(), form.cleaned_data["status"]
        if q:
            cards = cards.filter(Q(card_number__icontains=q) | Q(talent__name__icontains=q))
        if status:
            cards = cards.filter(status=status)
    page, query = _paginate(request, cards)
    return render(request, "onestop/card_list.html", {"page": page, "query": query, "form": form})


@login_required
@require_GET
def my_card(request):
    card = selectors.cards_of(request.user).order_by("status", "-issued_on", "-id").first()
    if card is None:
        return render(request, "onestop/no_card.html")
    return redirect("onestop:card_detail", pk=card.pk)


@login_required
@require_GET
def card_detail(request, pk: int):
    user = request.user
    card = selectors.get_card(user, pk)
    token = card_token(card) if card.status == CardStatus.ACTIVE else ""
    flush_verification_log()
    context = {
        "card": card,
        "token": token,
        "qr": mark_safe(qr_svg(token)) if token else "",  # segno's own SVG of our token
        "verifications": list(selectors.verifications_of_card(user, card)[:LOG_ROWS]),
        "can_revoke": card.status == CardStatus.ACTIVE and may(user, Action.REVOKE_CARD, card),
        "revoke_form": RevokeForm(),
    }
    return render(request, "onestop/card_detail.html", context)


@login_required
@require_POST
def revoke_card(request, pk: int):
    user = request.user
    card = selectors.get_card(user, pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写注销原因"))
        return redirect("onestop:card_detail", pk=pk)
    try:
        services.revoke_gold_card(actor=user, card=card, reason=form.cleaned_data["reason"])
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("人才金卡已注销，核验将失败。"))
    return redirect("onestop:card_detail", pk=pk)


# -- providers: verify a card, redeem a voucher -------------------------------------------------------------


def _provider_page(request, *, verify_form=None, redeem_form=None, result=None, redeemed=None, status=200):
    user = request.user
    require(user, Action.VERIFY_CARD)
    flush_verification_log()
    context = {
        "verify_form": verify_form or VerifyForm(),
        "redeem_form": redeem_form or RedeemForm(),
        "result": result,
        "redeemed": redeemed,
        "log": list(selectors.verifications_of_provider(user)[:LOG_ROWS]),
    }
    return render(request, "onestop/provider_home.html", context, status=status)


@login_required
@require_GET
def provider_home(request):
    return _provider_page(request)


@login_required
@require_POST
def provider_verify(request):
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _provider_page(request, verify_form=form)
    token = "".join(form.cleaned_data["token"].split())  # a scanner may add line breaks
    result = verify_card(provider=request.user, token=token)
    return _provider_page(request, result=result)


@login_required
@require_POST
def provider_redeem(request):
    form = RedeemForm(request.POST)
    if not form.is_valid():
        return _provider_page(request, redeem_form=form)
    try:
        voucher = services.redeem_voucher(
            provider=request.user, voucher_number=form.cleaned_data["voucher_number"]
        )
    except DomainError as error:
        show_error(request, error)
        return _provider_page(request, redeem_form=form)
    messages.success(
        request,
        _("兑付成功：%(number)s，%(child)s，%(amount)s 元")
        % {"number": voucher.voucher_number, "child": voucher.child_name, "amount": voucher.amount},
    )
    return _provider_page(request, redeemed=voucher)
