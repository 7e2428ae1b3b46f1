"""Policy pages: the list with matching counts, detail, rule editor with live validation, simulation,
explanations and a talent's own benefits.

Thin by design: reads go through `selectors` (scoped; out of scope is NotFound, rendered as 404), writes
through `services` (permission, validation, audit). The match button starts a job (`core.jobs`) that runs
`tasks.match_task`; with the database backend (production, `rencai serve` runs a worker) the list shows the
job's progress in place of the button until it ends, with the immediate backend it has ended already.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core import audit
from rencai.core.access import Action, may, require
from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.core.feedback import in_english, show_error
from rencai.core.models import JobState
from rencai.policies import selectors, services
from rencai.policies.benefits import benefits_of, explain_version, payment_route
from rencai.policies.engine import FEATURES
from rencai.policies.exports import simulation_workbook
from rencai.policies.features import frame_at_hand
from rencai.policies.forms import (
    RULE_FIELDS,
    DraftVersionForm,
    ExplainTalentForm,
    PolicyFilterForm,
    WithdrawForm,
)
from rencai.policies.models import EntitlementStatus, Policy, PolicyVersion, VersionStatus
from rencai.policies.rule_forms import RuleBuilderForm, RuleEditor, rule_catalogue
from rencai.policies.simulation import Simulation, simulate_version
from rencai.registry import selectors as registry_selectors
from rencai.registry.selectors import TalentFilters


def _paginate(request, items) -> tuple[Page, str]:
    page = Paginator(items, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


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
    # The list then shows the job's progress in place of the button (htmx swaps that block in, polling)
    job, created = services.start_match_run(actor=request.user)
    if job.state == JobState.DONE:
        messages.success(request, _("匹配完成：%(summary)s") % {"summary": job.message})
    elif job.state == JobState.FAILED:
        messages.error(request, _("匹配运行失败：%(reason)s") % {"reason": job.message})
    elif created:
        messages.info(request, _("匹配已提交后台运行，完成后本页显示结果"))
    else:
        messages.info(request, _("匹配正在进行中，未重复启动"))
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
        "rule_catalogue": rule_catalogue(),  # rules read in words, with county names
        "item_name": policy.service_item_code and payment_route().item_name(policy.service_item_code),
    }
    return render(request, "policies/policy_detail.html", context)


# -- rule editor ---------------------------------------------------------------------------------


def _feature_reference() -> list[dict]:
    english = in_english()
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


def _lang() -> str:
    return "en" if in_english() else "zh"


def _editor(request, form, policy: Policy, version: PolicyVersion | None, editor: RuleEditor):
    """The editor page: condition rows beside the rule they make (表单), or the rule text (规则文本)."""
    builder = editor.builder
    if builder is not None:
        context = _builder_context(builder)
    else:
        sources = {field: form[field].value() or "" for field in RULE_FIELDS}
        context = {"problems": _engine_problems(sources)}
    context.update(
        form=form,
        policy=policy,
        version=version,
        editor=editor,
        notes=editor.note_lines(_lang()),
        features=_feature_reference(),
    )
    return render(request, "policies/version_form.html", context)


def _engine_problems(sources: dict[str, str]) -> dict[str, list[dict]]:
    return {
        field: services.rule_problems(source, expect=RULE_FIELDS[field], cache=False)
        if source.strip()
        else []
        for field, source in sources.items()
    }


def _builder_context(builder: RuleBuilderForm) -> dict:
    """The rows as the template draws them, and the rules they make with the engine's verdict on them."""
    builder.build()
    generated = {"eligibility_rule": builder.eligibility_rule, "amount_rule": builder.amount_rule}
    return {
        "builder": builder.display(_lang()),
        "generated": generated,
        "problems": _engine_problems(generated),
    }


def _draft_editor(request, policy: Policy, version: PolicyVersion | None, initial: dict, save):
    """GET: the editor, in the form when it can show the rules. POST: a builder button redraws the page
    (nothing saved, nothing typed lost); otherwise the draft is saved with the rules the rows make, or
    with the rule text."""
    catalogue = rule_catalogue()
    if request.method != "POST":
        rules = (
            (version.eligibility_rule, version.amount_rule)
            if version
            else (
                initial.get("eligibility_rule", ""),
                initial.get("amount_rule", ""),
            )
        )
        editor = RuleEditor.for_rules(*rules, catalogue, mode=request.GET.get("mode", ""))
        return _editor(request, DraftVersionForm(initial=initial, instance=version), policy, version, editor)
    editor, data = RuleEditor.from_post(request.POST, catalogue)
    if editor.action:
        typed = {name: data.get(name, "") for name in DraftVersionForm.Meta.fields}
        form = DraftVersionForm(initial=typed, instance=version)
        return _editor(request, form, policy, version, editor)
    form = DraftVersionForm(data, instance=version)
    if form.is_valid() and editor.ready:
        try:
            saved = save(**form.service_arguments())
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已保存草稿第 %(n)s 版") % {"n": saved.number})
            return _after_save(request, saved)
    return _editor(request, form, policy, version, editor)


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

    def save(**arguments) -> PolicyVersion:
        return services.draft_version(actor=user, policy=policy, **arguments)

    return _draft_editor(request, policy, None, initial, save)


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request, pk: int):
    user = request.user
    version = selectors.get_version(user, pk)
    if version.status != VersionStatus.DRAFT:
        messages.info(request, _("已发布或已撤回的版本不能修改，请新建版本"))
        return redirect("policies:policy_detail", pk=version.policy_id)
    require(user, Action.DRAFT_POLICY, version.policy)

    def save(**arguments) -> PolicyVersion:
        return services.update_draft(actor=user, version=version, **arguments)

    return _draft_editor(request, version.policy, version, {}, save)


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
def rule_builder(request):
    """htmx: the condition rows redrawn (a field chosen, a row added or removed) and the rules they make."""
    require(request.user, Action.DRAFT_POLICY)  # for those who draft policies only, like the rule checker
    builder = RuleBuilderForm.from_data(request.POST, rule_catalogue())
    builder.apply(request.POST.get("builder", ""))
    return render(request, "policies/_rule_builder_response.html", _builder_context(builder))


@login_required
@require_POST
def version_issue(request, pk: int):
    version = selectors.get_version(request.user, pk)
    try:
        services.issue_version(actor=request.user, version=version)
    except DomainError as error:
        if isinstance(error, (NotFound, PermissionDenied)):
            raise
        show_error(request, error)
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
        show_error(request, error)
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
    day = timezone.localdate()
    if not frame_at_hand(day):  # a cold frame: built by the task worker, followed here, not in this request
        job, _created = services.prepare_frame(actor=user, day=day, next_page=request.get_full_path())
        context = {"version": version, "policy": version.policy, "preparing": job}
        return render(request, "policies/simulation.html", context, status=202)
    try:
        simulation = simulate_version(version, day=day)
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


EXPLAIN_MATCHES = 20  # a longer list is no help: the officer types more of the name instead


@login_required
@require_GET
def policy_explain(request, pk: int):
    """Any talent in the officer's scope against one policy, in sentences (out of scope: 404).

    The officer finds the talent by name or full ID number (`q`), among the talents they may see; several
    matches are listed to pick from (`talent`, also what links from other pages carry)."""
    user = request.user
    policy = selectors.get_policy(user, pk)
    searching = bool({"q", "talent"} & set(request.GET))
    form = ExplainTalentForm(request.GET if searching else None)
    context = {"policy": policy, "form": form, "version_param": request.GET.get("version", "")}
    if not (form.is_bound and form.is_valid()):
        return render(request, "policies/explain.html", context)
    talent = None
    if form.cleaned_data["talent"]:
        talent = registry_selectors.get_talent(user, form.cleaned_data["talent"])
    else:
        matches = _lookup_talents(request, form.cleaned_data["q"], policy)
        context.update(matches=matches[:EXPLAIN_MATCHES], more_matches=len(matches) > EXPLAIN_MATCHES)
        context["searched"] = True
        talent = matches[0] if len(matches) == 1 else None
    if talent is not None:
        context.update(_explanation_context(user, policy, talent, request.GET.get("version")))
    return render(request, "policies/explain.html", context)


def _lookup_talents(request, query: str, policy: Policy) -> list:
    """The talents the officer may see whose name starts with `query` or whose ID number it is (through
    the blind index); an ID-number lookup is audited like any other read of personal data."""
    user = request.user
    found = list(registry_selectors.talents_for(user, TalentFilters(q=query))[: EXPLAIN_MATCHES + 1])
    if registry_selectors.ID_LIKE.match(query):
        only = found[0] if len(found) == 1 else None
        audit.record(
            actor=user,
            action="pii.lookup",
            obj=only,
            object_type="" if only else "registry.talent",
            region_code="" if only else getattr(user.region, "code", ""),
            ip=request.META.get("REMOTE_ADDR", ""),
            detail={
                "field": "id_number",
                "purpose": "policy_explain",
                "policy": policy.code,
                "found": len(found),
            },
        )
    return found


def _explanation_context(user, policy: Policy, talent, version_id: str | None) -> dict:
    day = timezone.localdate()
    version = _version_to_explain(user, policy, version_id, day)
    applies = any(
        item.version.policy_id == policy.pk for item in selectors.versions_in_force(day, region=talent.region)
    )
    return {
        "talent": talent,
        "version": version,
        "day": day,
        "applies": applies,
        "explanation": explain_version(talent, version, day) if version else None,
        "entitlement": selectors.entitlements_for(user, policy=policy).filter(talent=talent).first(),
    }


def _version_to_explain(user, policy: Policy, version_id: str | None, day: dt.date) -> PolicyVersion | None:
    if version_id and version_id.isdigit():
        version = selectors.get_version(user, int(version_id))
        if version.policy_id != policy.pk:
            raise NotFound()
        return version
    return selectors.version_in_force(policy, day) or selectors.versions_of(user, policy).first()


@login_required
@require_GET
def talent_benefits(request, pk: int):
    """One talent's benefits seen by an officer: every policy in force where the talent lives, each with
    why the talent is or is not entitled (the talent sees their own at `my_benefits`)."""
    user = request.user
    talent = registry_selectors.get_talent(user, pk)  # out of the officer's scope: 404
    if talent.account_id is not None and talent.account_id == user.pk:
        return redirect("policies:my_benefits")
    require(user, Action.BROWSE_POLICIES)
    lines = benefits_of(talent)
    context = {
        "talent": talent,
        "eligible": [line for line in lines if line.eligible],
        "ineligible": [line for line in lines if not line.eligible],
        "day": timezone.localdate(),
    }
    return render(request, "policies/talent_benefits.html", context)


# -- a talent's own benefits ---------------------------------------------------------------------


@login_required
@require_GET
def my_benefits(request):
    """免申即享 seen by the talent: each benefit as one story (the same lines as on 我的办事, with the rule
    explained clause by clause), then what they could get and what they are missing."""
    user = request.user
    talent = selectors.own_talent(user)
    lines = benefits_of(talent)
    route = payment_route()
    explanations = {line.version.policy_id: line.explanation for line in lines}
    stories = route.stories(user, talent, explanations=explanations)
    told = {story.policy_id for story in stories}
    context = {
        "talent": talent,
        "sections": route.groups(stories),
        "eligible": [line for line in lines if line.eligible and line.version.policy_id not in told],
        "missing": [line for line in lines if not line.eligible and line.version.policy_id not in told],
    }
    return render(request, "policies/my_benefits.html", context)


ANSWERS = ("confirm", "decline", "reclaim")


@login_required
@require_POST
def offer_answer(request, pk: int, answer: str):
    """确认领取, 放弃 or 恢复领取, from either of the talent's pages: one service per answer moves the
    entitlement and the application paying it together; the message then says where the benefit stands."""
    if answer not in ANSWERS:
        raise NotFound()
    user = request.user
    entitlement = selectors.own_entitlement(user, pk)
    route = payment_route()
    back = _answer_back(request)
    try:
        if answer == "confirm":
            child_name = request.POST.get("child_name", "").strip()
            form_data = {"child_name": child_name} if child_name else None
            route.confirm(actor=user, entitlement=entitlement, form_data=form_data)
        elif answer == "decline":
            route.decline(actor=user, entitlement=entitlement)
        else:
            route.reclaim(actor=user, entitlement=entitlement)
    except DomainError as error:
        if isinstance(error, (NotFound, PermissionDenied)):
            raise
        show_error(request, error)
        return redirect(back)
    story = next(
        (s for s in route.stories(user, entitlement.talent) if s.policy_id == entitlement.policy_id), None
    )
    if story is not None:
        messages.success(
            request,
            _("%(name)s（%(state)s）：%(detail)s")
            % {"name": story.name, "state": story.state.label, "detail": story.detail},
        )
    return redirect(back)


def _answer_back(request) -> str:
    """The page the answer came from (我的政策红利 or 我的办事), never another site."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("policies:my_benefits")
