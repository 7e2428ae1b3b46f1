"""Pages of the evaluation schemes: the list, a scheme with its indicators, weights, "三唯" warnings and
versions, the draft form (indicator rows, weight sums), publishing and new versions.

Thin: reads through the scoped reads of `services.schemes` (out of scope is 404), writes through its
services; a refusal (DomainError) is shown on the page, each problem beside the field or row it concerns.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, may, require, restrict
from rencai.core.errors import DomainError, ErrorCode, NotFound
from rencai.core.feedback import in_english, show_error
from rencai.core.models import Region
from rencai.evaluation.choices import EvaluatorKind, Purpose, SchemeStatus
from rencai.evaluation.forms.schemes import (
    IndicatorFormSet,
    NewVersionForm,
    SchemeForm,
    indicator_inputs,
    tier_field,
    weight_field,
)
from rencai.evaluation.models import Scheme
from rencai.evaluation.services import schemes as services

PAGE_SIZE = 50


def _text(detail) -> str:
    return str(detail.get("message_en") if in_english() else detail.get("message_zh"))


def _managed_regions(user):
    return restrict(user, Region.objects.order_by("path"), Action.MANAGE_EVALUATION)


@login_required
@require_GET
def scheme_list(request):
    require(request.user, Action.BROWSE_EVALUATION)
    status, purpose, q = (request.GET.get(k, "") for k in ("status", "purpose", "q"))
    schemes = (
        services.schemes_for(request.user, status=status, purpose=purpose, q=q)
        .annotate(indicator_sum=Sum("indicators__weight"), indicator_count=Count("indicators"))
        .order_by("region__path", "code", "-version")
    )
    page = Paginator(schemes, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "purpose": purpose,
        "q": q,
        "query": urlencode({"status": status, "purpose": purpose, "q": q}),
        "statuses": SchemeStatus.choices,
        "purposes": Purpose.choices,
        "can_manage": may(request.user, Action.MANAGE_EVALUATION),
    }
    return render(request, "evaluation/schemes/list.html", context)


@login_required
@require_GET
def scheme_detail(request, pk: int):
    scheme = services.get_scheme(request.user, pk)
    indicator_sum, evaluator_sum = services.weight_sums(scheme)
    context = {
        "scheme": scheme,
        "indicators": scheme.indicators.all(),
        "evaluators": scheme.evaluators.all(),
        "indicator_sum": indicator_sum,
        "evaluator_sum": evaluator_sum,
        "warnings": [_text(w) for w in services.three_only_warnings(scheme)],
        "versions": services.versions_of(request.user, scheme),
        "can_manage": may(request.user, Action.MANAGE_EVALUATION, scheme),
        "version_form": NewVersionForm(),
    }
    return render(request, "evaluation/schemes/detail.html", context)


def _initial(scheme: Scheme) -> tuple[dict, list[dict]]:
    initial = {
        "name": scheme.name,
        "purpose": scheme.purpose,
        "team": scheme.team,
        "effective_from": scheme.effective_from,
        "pass_score": scheme.pass_score,
        "honour": scheme.honour,
        "max_works": scheme.max_works,
        "notice_days": scheme.notice_days,
        "description": scheme.description,
        **{tier_field(tier): score for tier, score in scheme.tier_thresholds.items()},
        **{weight_field(kind): weight for kind, weight in scheme.evaluators.values_list("kind", "weight")},
    }
    rows = [
        {
            "code": i.code,
            "name": i.name,
            "source": i.source,
            "basis": i.basis,
            "weight": i.weight,
            "rule": i.rule,
            "rubric": i.rubric,
        }
        for i in scheme.indicators.all()
    ]
    return initial, rows


def _put_back(form, formset, rows: list[int], error: DomainError) -> list[str]:
    """A refusal's details on the fields and rows they concern; the rest is returned for the page."""
    loose = []
    for detail in error.details:
        text, field = _text(detail), str(detail.get("field", ""))
        number = field.removeprefix("indicators.")
        if field.startswith("indicators.") and number.isdigit() and int(number) <= len(rows):
            formset.forms[rows[int(number) - 1]].add_error(None, text)
        elif field.startswith("weights"):
            form.add_error(None, text)
        elif field in form.fields:
            form.add_error(field, text)
        elif field == "tier_thresholds":
            form.add_error(None, text)
        else:
            loose.append(text)
    # a list of problems placed beside their fields needs no headline; a refusal (weights) always has one
    placed = error.code == ErrorCode.VALIDATION_FAILED and error.details
    return loose if placed else [error.message, *loose]


def _sums(form, formset) -> tuple[int | None, int | None]:
    """The weights written on the page (shown beside the tables while drafting)."""
    if not form.is_bound:
        return None, None
    indicators = 0
    for row in formset.forms:
        data = getattr(row, "cleaned_data", None) or {}
        if not data.get("DELETE") and isinstance(data.get("weight"), int):
            indicators += data["weight"]
    weights = getattr(form, "cleaned_data", None) or {}
    evaluators = sum(weights.get(weight_field(kind)) or 0 for kind in EvaluatorKind.values)
    return indicators, evaluators


def _form_page(request, scheme: Scheme | None = None):
    user = request.user
    require(user, Action.MANAGE_EVALUATION)
    regions = _managed_regions(user)
    loose: list[str] = []
    warnings: list[str] = []
    if request.method == "POST":
        form = SchemeForm(request.POST, regions=regions, editing=scheme is not None)
        formset = IndicatorFormSet(request.POST, prefix="indicators")
        if form.is_valid() and formset.is_valid():
            indicators, rows = indicator_inputs(formset)
            region = scheme.region if scheme is not None else form.cleaned_data["region"]
            code = scheme.code if scheme is not None else form.cleaned_data["code"]
            publish = "publish" in request.POST
            try:
                saved = services.scheme_draft_save(
                    actor=user,
                    scheme=scheme,
                    data=form.scheme_input(region=region, code=code),
                    indicators=indicators,
                    weights=form.weights(),
                    publish=publish,
                )
            except NotFound:
                raise
            except DomainError as error:
                loose = _put_back(form, formset, rows, error)
                warnings = [_text(w) for w in services.three_only_problems(indicators)]
            else:
                _after_save(request, saved, publish)
                return redirect("evaluation:scheme_detail", pk=saved.pk)
    else:
        initial, rows_initial = _initial(scheme) if scheme is not None else ({}, [])
        initial.setdefault("region", regions.first())
        form = SchemeForm(initial=initial, regions=regions, editing=scheme is not None)
        formset = IndicatorFormSet(initial=rows_initial, prefix="indicators")
        if scheme is not None:
            warnings = [_text(w) for w in services.three_only_warnings(scheme)]
    indicator_sum, evaluator_sum = _sums(form, formset)
    if scheme is not None and not form.is_bound:
        indicator_sum, evaluator_sum = services.weight_sums(scheme)
    context = {
        "form": form,
        "formset": formset,
        "scheme": scheme,
        "loose_errors": loose,
        "warnings": warnings,
        "indicator_sum": indicator_sum,
        "evaluator_sum": evaluator_sum,
    }
    return render(request, "evaluation/schemes/form.html", context)


def _after_save(request, scheme: Scheme, published: bool) -> None:
    if published:
        messages.success(request, _("评价方案已发布，此后不能修改；如需调整请新建版本。"))
        for warning in services.three_only_warnings(scheme):
            messages.warning(request, _text(warning))
    else:
        messages.success(request, _("评价方案草稿已保存。"))


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new(request):
    return _form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request, pk: int):
    scheme = services.get_scheme(request.user, pk)
    if scheme.is_published:
        messages.error(request, _("评价方案已发布，不能修改；如需调整请新建版本。"))
        return redirect("evaluation:scheme_detail", pk=scheme.pk)
    return _form_page(request, scheme)


@login_required
@require_POST
def scheme_publish(request, pk: int):
    scheme = services.get_scheme(request.user, pk)
    try:
        services.scheme_publish(actor=request.user, scheme=scheme)
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
    else:
        _after_save(request, scheme, published=True)
    return redirect("evaluation:scheme_detail", pk=scheme.pk)


@login_required
@require_POST
def scheme_new_version(request, pk: int):
    scheme = services.get_scheme(request.user, pk)
    form = NewVersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写新版本的生效日期"))
        return redirect("evaluation:scheme_detail", pk=scheme.pk)
    try:
        draft = services.scheme_new_version(
            actor=request.user, scheme=scheme, effective_from=form.cleaned_data["effective_from"]
        )
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
        return redirect("evaluation:scheme_detail", pk=scheme.pk)
    messages.success(request, _("已新建草稿版本，修改后发布即生效。"))
    return redirect("evaluation:scheme_edit", pk=draft.pk)


urlpatterns = [
    path("schemes/", scheme_list, name="scheme_list"),
    path("schemes/new/", scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/", scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/edit/", scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/publish/", scheme_publish, name="scheme_publish"),
    path("schemes/<int:pk>/new-version/", scheme_new_version, name="scheme_new_version"),
]
