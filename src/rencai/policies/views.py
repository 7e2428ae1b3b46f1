"""Policy pages: the list with matching counts, detail, rule editor with live validation, simulation,
explanations and a talent's own benefits.

Thin by design: reads go through `selectors` (scoped; out of scope is NotFound, rendered as 404), writes
through `services` (permission, validation, audit). The match button enqueues `tasks.match_task`; with the
immediate task backend the run has finished when the page reloads, with the database backend (production,
`rencai serve` runs a worker) the page says it was queued and the list shows the last finished run.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tasks import TaskResultStatus

from rencai.core.access import Action, may, require
from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.policies import selectors, services
from rencai.policies.benefits import benefits_of, explain_version
from rencai.policies.engine import FEATURES
from rencai.policies.exports import simulation_workbook
from rencai.policies.forms import (
    RULE_FIELDS,
    DraftVersionForm,
    ExplainTalentForm,
    PolicyFilterForm,
    WithdrawForm,
)
from rencai.policies.models import EntitlementStatus, Policy, PolicyVersion, VersionStatus
from rencai.policies.simulation import Simulation, simulate_version
from rencai.registry import selectors as registry_selectors


def _paginate(request, items) -> tuple[Page, str]:
    page = Paginator(items, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def _error_messages(request, error: DomainError) -> None:
    messages.error(request, error.message)
    for detail in error.details:
        messages.error(request, detail.get("message_en") if _english() else detail.get("message_zh"))


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


# -- list and detail -----------------------------------------------------------------------------


@login_required
@require_GET
def policy_list(request):
    user = request.user
    form = PolicyFilterForm(request.GET)
    rows = selectors.policy_rows(user, timezone.localdate(), **form.filters())
    context = {
        "form": form,
        "rows": [row for row in rows if row.replaced_by is None],
        "replaced_rows": [row for row in rows if row.replaced_by is not None],
        "last_run": selectors.latest_match_run(user),
        "can_match": may(user, Action.START_MATCHING),
    }
    return render(request, "policies/policy_list.html", context)


@login_required
@require_POST
def match_start(request):
    result = services.start_match_run(actor=request.user)
    if result.status == TaskResultStatus.SUCCESSFUL:
        counts = result.return_value
        messages.success(
            request,
            _("匹配完成：新发要约 %(offered)s，直接兑现 %(granted)s，预算排队 %(queued)s，待复核 %(flagged)s")
            % counts,
        )
    elif result.status == TaskResultStatus.FAILED:
        messages.error(request, _("匹配运行失败，请查看任务日志"))
    else:
        messages.info(request, _("匹配已提交后台运行，完成后本页显示结果"))
    return redirect("policies:policy_list")


@login_required
@require_GET
def policy_detail(request, pk: int):
    user = request.user
    policy = selectors.get_policy(user, pk)
    day = timezone.localdate()
    entitlements = selectors.entitlements_for(user, policy=policy, status=request.GET.get("status", ""))
    entitlements = entitlements.select_related("talent__region", "policy_version").order_by("status", "pk")
    page, query = _paginate(request, entitlements)
    queued = selectors.entitlements_for(user, policy=policy, status=EntitlementStatus.QUEUED).select_related(
        "talent__region"
    )
    flagged = selectors.entitlements_for(user, policy=policy, status=EntitlementStatus.FLAGGED)
    flagged = flagged.select_related("talent__region")
    context = {
        "policy": policy,
        "versions": selectors.versions_of(user, policy),
        "in_force": selectors.version_in_force(policy, day),
        "counts": selectors.entitlement_counts(user, [policy.pk])[policy.pk],
        "budget": selectors.budget_figures([policy], day.year)[policy.pk],
        "replaced_by": selectors.replacements_where(user, day).get(policy.pk),
        "overridden_by": selectors.policies_for(user).filter(overrides=policy),
        "queue": queued.order_by("queue_position", "pk")[: settings.RENCAI_PAGE_SIZE],
        "queue_total": queued.count(),
        "flagged": flagged.order_by("pk")[: settings.RENCAI_PAGE_SIZE],
        "flagged_total": flagged.count(),
        "page": page,
        "query": query,
        "status": request.GET.get("status", ""),
        "status_choices": EntitlementStatus.choices,
        "can_draft": may(user, Action.DRAFT_POLICY, policy),
        "withdraw_form": WithdrawForm(),
    }
    return render(request, "policies/policy_detail.html", context)


# -- rule editor ---------------------------------------------------------------------------------


def _feature_reference() -> list[dict]:
    english = _english()
    return [
        {
            "name": f"talent.{feature.name}",
            "label": feature.label_en if english else feature.label_zh,
            "type": feature.cel_type,
            "description": feature.description_en if english else feature.description_zh,
            "values": [
                (value, labels[1] if english else labels[0]) for value, labels in feature.values.items()
            ],
        }
        for feature in FEATURES.values()
    ]


def _editor(request, form, policy: Policy, version: PolicyVersion | None, status: int = 200):
    problems = {}
    for field, expect in RULE_FIELDS.items():
        source = form[field].value() or ""
        problems[field] = services.rule_problems(source, expect=expect) if source.strip() else []
    context = {
        "form": form,
        "policy": policy,
        "version": version,
        "problems": problems,
        "features": _feature_reference(),
    }
    return render(request, "policies/version_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def version_create(request, pk: int):
    user = request.user
    policy = selectors.get_policy(user, pk)
    require(user, Action.DRAFT_POLICY, policy)
    basis = selectors.version_in_force(policy, timezone.localdate()) or policy.versions.first()
    initial = {"effective_from": timezone.localdate() + dt.timedelta(days=1)}
    if basis is not None:
        initial.update(eligibility_rule=basis.eligibility_rule, amount_rule=basis.amount_rule)
    form = DraftVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.draft_version(actor=user, policy=policy, **form.service_arguments())
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已保存草稿第 %(n)s 版") % {"n": version.number})
            return _after_save(request, version)
    return _editor(request, form, policy, None)


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request, pk: int):
    user = request.user
    version = selectors.get_version(user, pk)
    if version.status != VersionStatus.DRAFT:
        messages.info(request, _("已发布或已撤回的版本不能修改，请新建版本"))
        return redirect("policies:policy_detail", pk=version.policy_id)
    require(user, Action.DRAFT_POLICY, version.policy)
    form = DraftVersionForm(request.POST or None, instance=version)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.update_draft(actor=user, version=version, **form.service_arguments())
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已保存草稿第 %(n)s 版") % {"n": version.number})
            return _after_save(request, version)
    return _editor(request, form, version.policy, version)


def _after_save(request, version: PolicyVersion):
    if request.POST.get("then") == "simulate":
        return redirect("policies:version_simulate", pk=version.pk)
    return redirect("policies:version_edit", pk=version.pk)


@login_required
@require_POST
def rule_validate(request):
    """htmx: the problems of the rule being typed (line, column, message), as a fragment."""
    field = request.POST.get("field", "eligibility_rule")
    if field not in RULE_FIELDS:
        raise NotFound()
    source = request.POST.get(field, "")
    problems = services.check_rule_text(actor=request.user, source=source, expect=RULE_FIELDS[field])
    context = {"problems": problems, "empty": not source.strip(), "field": field}
    return render(request, "policies/_rule_problems.html", context)


@login_required
@require_POST
def version_issue(request, pk: int):
    version = selectors.get_version(request.user, pk)
    try:
        services.issue_version(actor=request.user, version=version)
    except DomainError as error:
        if isinstance(error, (NotFound, PermissionDenied)):
            raise
        _error_messages(request, error)
        return redirect("policies:version_edit", pk=version.pk)
    messages.success(request, _("第 %(n)s 版已发布") % {"n": version.number})
    return redirect("policies:policy_detail", pk=version.policy_id)


@login_required
@require_POST
def version_withdraw(request, pk: int):
    version = selectors.get_version(request.user, pk)
    form = WithdrawForm(request.POST)
    try:
        services.withdraw_version(actor=request.user, version=version, reason=form.data.get("reason", ""))
    except DomainError as error:
        if isinstance(error, (NotFound, PermissionDenied)):
            raise
        _error_messages(request, error)
    else:
        messages.success(request, _("第 %(n)s 版已撤回") % {"n": version.number})
    return redirect("policies:policy_detail", pk=version.policy_id)


# -- simulation ----------------------------------------------------------------------------------


def _draft_for_simulation(user, pk: int) -> PolicyVersion:
    version = selectors.get_version(user, pk)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(ErrorCode.VERSION_NOT_DRAFT, "只能模拟草稿版本", "Only a draft can be simulated")
    require(user, Action.DRAFT_POLICY, version.policy)
    return version


def _chart_data(simulation: Simulation) -> dict:
    names = simulation.region_names
    regions = [g for g in simulation.result.by_region if g.current_count or g.draft_count]
    tiers = simulation.result.by_tier

    def series(groups, label):
        return {
            "labels": [label(g.key) for g in groups],
            "current": [g.current_count for g in groups],
            "draft": [g.draft_count for g in groups],
            "current_cost": [str(g.current_cost) for g in groups],
            "draft_cost": [str(g.draft_cost) for g in groups],
        }

    return {
        "by_region": series(regions, lambda code: names.get(code, code)),
        "by_tier": series(tiers, lambda tier: tier or _("未分类")),
        "labels": {"current": _("现行版本"), "draft": _("草稿"), "count": _("人数"), "cost": _("金额（元）")},
    }


@login_required
@require_GET
def version_simulate(request, pk: int):
    user = request.user
    version = _draft_for_simulation(user, pk)
    try:
        simulation = simulate_version(version)
    except ValidationFailed as failure:
        context = {"version": version, "policy": version.policy, "failure": failure}
        return render(request, "policies/simulation.html", context, status=422)
    show = "removed" if request.GET.get("show") == "removed" else "added"
    ids = simulation.result.added_ids if show == "added" else simulation.result.removed_ids
    page, query = _paginate(request, ids)
    talents = registry_selectors.talents_for(user).filter(pk__in=list(page.object_list))
    context = {
        "version": version,
        "policy": version.policy,
        "simulation": simulation,
        "result": simulation.result,
        "regions": [
            (simulation.region_names.get(g.key, g.key), g)
            for g in simulation.result.by_region
            if g.current_count or g.draft_count
        ],
        "show": show,
        "page": page,
        "query": query,
        "talents": talents.select_related("region").order_by("pk"),
        "chart_data": _chart_data(simulation),
        "can_export": may(user, Action.EXPORT),
    }
    return render(request, "policies/simulation.html", context)


@login_required
@require_GET
def version_simulate_export(request, pk: int):
    version = _draft_for_simulation(request.user, pk)
    simulation = simulate_version(version)
    content = simulation_workbook(actor=request.user, simulation=simulation)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"simulation-{version.policy.code}-v{version.number}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- explanations --------------------------------------------------------------------------------


@login_required
@require_GET
def policy_explain(request, pk: int):
    """Any talent in the officer's scope against one policy, clause by clause (out of scope: 404)."""
    user = request.user
    policy = selectors.get_policy(user, pk)
    form = ExplainTalentForm(request.GET if "talent" in request.GET else None)
    context = {"policy": policy, "form": form}
    if form.is_bound and form.is_valid():
        talent = registry_selectors.get_talent(user, form.cleaned_data["talent"])
        day = timezone.localdate()
        version = _version_to_explain(user, policy, request.GET.get("version"), day)
        applies = any(
            item.version.policy_id == policy.pk
            for item in selectors.versions_in_force(day, region=talent.region)
        )
        context.update(
            talent=talent,
            version=version,
            day=day,
            applies=applies,
            explanation=explain_version(talent, version, day) if version else None,
            entitlement=selectors.entitlements_for(user, policy=policy).filter(talent=talent).first(),
        )
    return render(request, "policies/explain.html", context)


def _version_to_explain(user, policy: Policy, version_id: str | None, day: dt.date) -> PolicyVersion | None:
    if version_id and version_id.isdigit():
        version = selectors.get_version(user, int(version_id))
        if version.policy_id != policy.pk:
            raise NotFound()
        return version
    return selectors.version_in_force(policy, day) or selectors.versions_of(user, policy).first()


# -- a talent's own benefits ---------------------------------------------------------------------


@login_required
@require_GET
def my_benefits(request):
    """免申即享 seen by the talent: what they hold, are offered, could get, and what they are missing."""
    talent = selectors.own_talent(request.user)
    lines = benefits_of(talent)
    shown = {line.version.policy_id for line in lines}
    others = selectors.entitlements_for(request.user).filter(talent=talent).exclude(policy_id__in=shown)
    groups = {"granted": [], "offered": [], "waiting": [], "eligible": [], "missing": []}
    for line in lines:
        status = line.entitlement.status if line.entitlement else ""
        if status in (EntitlementStatus.GRANTED, EntitlementStatus.OFFERED):
            groups[status].append(line)
        elif status in (EntitlementStatus.QUEUED, EntitlementStatus.FLAGGED):
            groups["waiting"].append(line)
        elif line.eligible:
            groups["eligible"].append(line)
        else:
            groups["missing"].append(line)
    context = {"talent": talent, "groups": groups, "others": others.select_related("policy")}
    return render(request, "policies/my_benefits.html", context)


@login_required
@require_POST
def offer_answer(request, pk: int, answer: str):
    entitlement = selectors.own_entitlement(request.user, pk)
    if answer == "confirm":
        services.confirm_offer(actor=request.user, entitlement=entitlement)
        messages.success(request, _("已确认：%(name)s") % {"name": entitlement.policy.name})
    elif answer == "decline":
        services.decline_offer(actor=request.user, entitlement=entitlement)
        messages.success(request, _("已放弃：%(name)s") % {"name": entitlement.policy.name})
    else:
        raise NotFound()
    return redirect("policies:my_benefits")
