"""Registry pages: lists, details and forms of talents, enterprises, platforms and academicians.

Thin by design: every read goes through `selectors`, every write through `services`; scoping happens there,
so an object out of the user's scope raises NotFound (rendered as 404) before a view sees it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core import pii
from rencai.core.access import Action, may, require
from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.core.masking import mask_birth_date
from rencai.registry import selectors, services
from rencai.registry.forms import (
    AcademicianFilterForm,
    EnterpriseFilterForm,
    EnterpriseForm,
    PlatformFilterForm,
    TalentFilterForm,
    TalentForm,
    TalentTransferForm,
)
from rencai.registry.selectors import TalentFilters


def _paginate(request, queryset) -> tuple[Page, str]:
    """One COUNT and one page query; `query` is the current querystring without `page`."""
    page = Paginator(queryset, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _enterprise_choices(user) -> list[tuple[int, str]]:
    return list(selectors.enterprises_for(user).values_list("pk", "name"))


def _writable_regions(user) -> list:
    regions = sorted(services.writable_regions(user).values(), key=lambda r: r.path)
    if not regions:
        raise PermissionDenied("无权修改人才登记信息", "You may not change the registry")
    return regions


# Talents ---------------------------------------------------------------------------------------


@login_required
@require_GET
def talent_list(request):
    user = request.user
    form = TalentFilterForm(
        request.GET,
        regions=selectors.visible_regions(user),
        enterprises=_enterprise_choices(user) if may(user, Action.SEARCH_REGION) else [],
        id_tail=selectors.may_search_id_tail(user),
    )
    # The list shows the birth year, never an age: see core.masking
    filters = form.filters()
    page, query = _paginate(request, selectors.talents_for(user, filters))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "no_access": not may(user, Action.BROWSE_TALENTS),
        # what was searched and under which filters, said when nothing is found
        "empty": None
        if page.paginator.count
        else form.empty_result(selectors.talent_search_kind(user, filters.q)),
    }
    return render(request, "registry/talent_list.html", context)


@login_required
@require_GET
def talent_detail(request, pk: int):
    user = request.user
    talent = selectors.get_talent(user, pk)
    context = {
        "talent": talent,
        **selectors.talent_details(talent),
        "achievements": selectors.talent_achievements(user, talent),
        "birth_date_masked": mask_birth_date(talent.birth_date),
        "can_reveal": may(user, Action.REVEAL_PERSONAL_DATA, talent),
        "can_edit": may(user, Action.EDIT_REGISTRY),
        "can_transfer": may(user, Action.TRANSFER_TALENT, talent),
    }
    return render(request, "registry/talent_detail.html", context)


@login_required
@require_POST
@never_cache
def talent_reveal(request, pk: int, field: str):
    """The full ID number, phone or birth date, as an htmx fragment; the reveal is audited."""
    talent = selectors.get_talent(request.user, pk)
    if field not in pii.REVEALABLE:
        raise Http404
    value = pii.reveal(actor=request.user, obj=talent, field=field, ip=_client_ip(request))
    return render(request, "registry/_revealed.html", {"field": field, "value": value})


@login_required
@require_http_methods(["GET", "POST"])
def talent_create(request):
    user = request.user
    form = TalentForm(
        request.POST or None, regions=_writable_regions(user), enterprises=_employer_choices(user)
    )
    registered = None
    if request.method == "POST" and form.is_valid():
        try:
            talent = services.register_talent(actor=user, data=form.talent_input())
        except ValidationFailed as failure:
            # read before add_problems, which takes the refused field out of cleaned_data
            registered = _registered_in_scope(user, form.cleaned_data["id_number"], failure)
            form.add_problems(failure)
        else:
            messages.success(request, _("已登记人才：%(name)s") % {"name": talent.name})
            return redirect("registry:talent_detail", pk=talent.pk)
    context = {"form": form, "talent": None, "registered": registered}
    return render(request, "registry/talent_form.html", context)


def _registered_in_scope(user, id_number: str, failure: ValidationFailed):
    """The talent holding a refused ID number, if the user can see it anyway, to link to it.

    The refusal's words are the same wherever the record is (`services.ID_NUMBER_TAKEN`); this scoped
    lookup runs for every refused number, so neither the text nor the queries tell in from out of scope.
    """
    if not any(item.get("field") == "id_number" for item in failure.details):
        return None
    return selectors.talent_with_id_number(user, id_number)  # exact: never a search by name or tail


@login_required
@require_http_methods(["GET", "POST"])
def talent_edit(request, pk: int):
    user = request.user
    talent = selectors.get_talent(user, pk)
    regions = _writable_regions(user)
    employers = _employer_choices(user, keep=talent.current_employer)
    form = TalentForm(
        request.POST or None,
        regions=regions,
        enterprises=employers,
        editing=True,
        initial=TalentForm.initial_for(talent),
    )
    if request.method == "POST" and form.is_valid():
        # The service re-seals the ID number; a blank field keeps the stored one, read through the audited
        # reveal (the officer editing holds that right: every role that edits the registry may reveal).
        current = "" if form.cleaned_data["id_number"] else _current_id_number(request, talent)
        try:
            talent = services.update_talent(
                actor=user, talent_id=talent.pk, data=form.talent_input(current_id_number=current)
            )
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已保存人才：%(name)s") % {"name": talent.name})
            return redirect("registry:talent_detail", pk=talent.pk)
    return render(request, "registry/talent_form.html", {"form": form, "talent": talent})


@login_required
@require_http_methods(["GET", "POST"])
def talent_transfer(request, pk: int):
    """The city moves a talent's record to another county (the route for a talent who moves)."""
    user = request.user
    talent = selectors.get_talent(user, pk)
    require(user, Action.TRANSFER_TALENT, talent)  # guards the form page; the service decides the move
    form = TalentTransferForm(request.POST or None, regions=_writable_regions(user), current=talent.region)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_talent(
                actor=user,
                talent_id=talent.pk,
                region_code=form.cleaned_data["region"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已转移人才：%(name)s") % {"name": talent.name})
            return redirect("registry:talent_detail", pk=talent.pk)
    return render(request, "registry/talent_transfer.html", {"form": form, "talent": talent})


def _current_id_number(request, talent) -> str:
    return pii.reveal(actor=request.user, obj=talent, field="id_number", ip=_client_ip(request))


def _employer_choices(user, keep=None) -> list[tuple[str, str]]:
    choices = list(selectors.enterprises_for(user).values_list("credit_code", "name"))
    if keep is not None and keep.credit_code not in {code for code, _name in choices}:
        choices.insert(0, (keep.credit_code, keep.name))
    return choices


# Enterprises -----------------------------------------------------------------------------------


@login_required
@require_GET
def enterprise_list(request):
    user = request.user
    form = EnterpriseFilterForm(request.GET, regions=selectors.visible_regions(user))
    page, query = _paginate(request, selectors.enterprises_for(user, **form.values()))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "no_access": not may(user, Action.BROWSE_REGISTRY),
    }
    return render(request, "registry/enterprise_list.html", context)


@login_required
@require_GET
def enterprise_detail(request, pk: int):
    user = request.user
    enterprise = selectors.get_enterprise(user, pk)
    context = {
        "enterprise": enterprise,
        "talent_count": selectors.talents_for(user, TalentFilters(enterprise=enterprise.pk)).count(),
        "platforms": selectors.platforms_for(user).filter(host_enterprise=enterprise),
    }
    return render(request, "registry/enterprise_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request):
    user = request.user
    form = EnterpriseForm(request.POST or None, regions=_writable_regions(user))
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.register_enterprise(actor=user, data=form.enterprise_input())
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已登记企业：%(name)s") % {"name": enterprise.name})
            return redirect("registry:enterprise_detail", pk=enterprise.pk)
    return render(request, "registry/enterprise_form.html", {"form": form})


# Platforms -------------------------------------------------------------------------------------


@login_required
@require_GET
def platform_list(request):
    user = request.user
    form = PlatformFilterForm(request.GET, regions=selectors.visible_regions(user))
    page, query = _paginate(request, selectors.platforms_for(user, **form.values()))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "no_access": not may(user, Action.BROWSE_REGISTRY),
    }
    return render(request, "registry/platform_list.html", context)


@login_required
@require_GET
def platform_detail(request, pk: int):
    platform = selectors.get_platform(request.user, pk)
    context = {
        "platform": platform,
        "cooperations": platform.cooperations.select_related("academician").order_by("-started_on"),
        "member_count": platform.memberships.count(),
    }
    return render(request, "registry/platform_detail.html", context)


# Academicians ----------------------------------------------------------------------------------


@login_required
@require_GET
def academician_list(request):
    user = request.user
    form = AcademicianFilterForm(request.GET)
    page, query = _paginate(request, selectors.academicians_for(user, **form.values()))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "no_access": not may(user, Action.SEARCH_REGION),
    }
    return render(request, "registry/academician_list.html", context)


@login_required
@require_GET
def academician_detail(request, pk: int):
    user = request.user
    academician = selectors.get_academician(user, pk)
    visible_stations = selectors.platforms_for(user).values("pk")
    cooperations = (
        academician.cooperations.filter(station__in=visible_stations)
        .select_related("station", "station__region")
        .order_by("-started_on")
    )
    return render(
        request,
        "registry/academician_detail.html",
        {"academician": academician, "cooperations": cooperations},
    )
