"""Pages of target responsibility (目标责任制考核): the sheets by year, one sheet with its items and live
measured progress (the mid-year view), the unit's agreement and self-assessment, the city's scoring and
lock, and the circular (printable page and Excel).

Thin: reads through `selectors.targets` (out of scope: 404), writes through `services.targets` and
`circulars`; a refusal is shown on the page with every problem. Everything works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.coordination import circulars, scoring
from rencai.coordination.forms.targets import (
    ItemForm,
    LeaderForm,
    NoteForm,
    ScoreForm,
    SelfAssessForm,
    SheetForm,
)
from rencai.coordination.models import ItemKind, Section, SheetState
from rencai.coordination.selectors import targets as selectors
from rencai.coordination.services import targets as services
from rencai.core import audit
from rencai.core.access import Action, may, require
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import show_error, show_form_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
S = SheetState


@login_required
@require_GET
def index(request):
    require(request.user, Action.BROWSE_COORDINATION)
    years = selectors.years_for(request.user)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or (years[0] if years else today.year))
    except ValueError:
        year = today.year
    sheets = selectors.sheets_for(request.user, year=year).order_by(
        F("department_id").asc(nulls_first=True), "region__path", "department__kind"
    )
    context = {
        "year": year,
        "years": sorted(set(years) | {year}, reverse=True),
        "sheets": sheets,
        "circulars": selectors.circulars_for(request.user),
        "can_set": may(request.user, Action.SET_TARGETS),
    }
    return render(request, "coordination/targets/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_new(request):
    require(request.user, Action.SET_TARGETS)  # a form page: the service asks again on saving
    form = SheetForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        try:
            sheet = services.sheet_create(
                actor=request.user,
                year=form.cleaned_data["year"],
                bonus_cap=form.cleaned_data["bonus_cap"],
                deduction_cap=form.cleaned_data["deduction_cap"],
                **form.unit_kwargs(),
            )
        except DomainError as error:
            show_error(request, error, form)
        else:
            messages.success(request, _("考核表已创建，请添加考核项目"))
            return redirect("coordination:target_sheet", pk=sheet.pk)
    return render(request, "coordination/targets/sheet_form.html", {"form": form})


def _sheet_context(request, sheet, **forms) -> dict:
    user = request.user
    today = timezone.localdate()
    day = scoring.measure_day(sheet.year, today)
    items = list(sheet.items.order_by("section", "position", "pk"))
    # Until the result is scored the page measures the indicators live (the mid-year view); afterwards it
    # shows what was measured when the city scored
    live = sheet.state not in (S.SCORED, S.LOCKED)
    score = scoring.score_sheet(sheet, day=day, live=live, items=items)
    is_city = may(user, Action.SET_TARGETS, sheet)
    is_unit = may(user, Action.ASSESS_TARGETS, sheet)
    sections = [
        (value, label, [line for line in score.lines if line.item.section == value])
        for value, label in Section.choices
    ]
    moves = []
    if is_city:
        moves += services.allowed_moves(sheet.state, services.Party.CITY)
    if is_unit:
        moves += services.allowed_moves(sheet.state, services.Party.UNIT)
    return {
        "sheet": sheet,
        "score": score,
        "sections": sections,
        "day": day,
        "live": live,
        "is_city": is_city,
        "is_unit": is_unit,
        "moves": moves,
        "state_labels": dict(S.choices),
        "points_total": sum(
            (line.item.max_points for line in score.lines if line.item.section in ("indicators", "targets")),
            0,
        ),
        "can_edit_items": is_city and sheet.state == S.DRAFT,
        "can_add_bonus": is_city and sheet.state in (S.SELF_ASSESSED, S.SCORED),
        "can_assess": is_unit and sheet.state == S.MIDYEAR,
        "can_score": is_city and sheet.state == S.SELF_ASSESSED,
        "item_form": forms.get("item_form") or ItemForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "assess_form": SelfAssessForm(),
        "score_form": ScoreForm(),
        "circular": sheet.state == S.LOCKED and circulars.Circular.objects.filter(year=sheet.year).first(),
        "ItemKind": ItemKind,
    }


@login_required
@require_GET
def sheet_detail(request, pk: int):
    sheet = selectors.sheet_for(request.user, pk)
    return render(request, "coordination/targets/sheet.html", _sheet_context(request, sheet))


DONE = {
    S.ISSUED: gettext_lazy("考核表已下达"),
    S.AGREED: gettext_lazy("已确认本年度目标"),
    S.MIDYEAR: gettext_lazy("已记录年中检查"),
    S.SELF_ASSESSED: gettext_lazy("已提交自评"),
    S.SCORED: gettext_lazy("已评分"),
    S.LOCKED: gettext_lazy("考核结果已审定锁定"),
}


@login_required
@require_POST
def sheet_move(request, pk: int):
    sheet = selectors.sheet_for(request.user, pk)
    to_state = request.POST.get("to", "")
    text = request.POST.get("comment", "")
    try:
        services.sheet_move(actor=request.user, sheet=sheet, to=to_state, comment=text)
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, DONE[S(to_state)])
    return redirect("coordination:target_sheet", pk=sheet.pk)


@login_required
@require_POST
def item_add(request, pk: int):
    sheet = selectors.sheet_for(request.user, pk)
    form = ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.item_add(
                actor=request.user,
                sheet=sheet,
                section=data["section"],
                title=data["title"],
                description=data["description"],
                max_points=data["max_points"],
                indicator_code=data["indicator_code"],
                baseline=data["baseline"],
                target_value=data["target_value"],
                reason=data["reason"],
            )
        except DomainError as error:
            show_error(request, error, form)
        else:
            messages.success(request, _("考核项目已添加"))
            return redirect("coordination:target_sheet", pk=sheet.pk)
    context = _sheet_context(request, sheet, item_form=form)
    return render(request, "coordination/targets/sheet.html", context, status=422)


@login_required
@require_POST
def item_remove(request, pk: int):
    item = selectors.item_for(request.user, pk)
    try:
        services.item_remove(actor=request.user, item=item)
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("考核项目已删除"))
    return redirect("coordination:target_sheet", pk=item.sheet_id)


@login_required
@require_POST
def item_assess(request, pk: int):
    item = selectors.item_for(request.user, pk)
    form = SelfAssessForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.item_self_assess(
                actor=request.user,
                item=item,
                claimed_points=form.cleaned_data["claimed_points"],
                evidence=form.cleaned_data["evidence"],
                evidence_file=form.cleaned_data["evidence_file"],
            )
        except DomainError as error:
            show_error(request, error)
        else:
            messages.success(request, _("自评已保存"))
    else:
        show_form_errors(request, form)
    return redirect("coordination:target_sheet", pk=item.sheet_id)


@login_required
@require_POST
def item_score(request, pk: int):
    item = selectors.item_for(request.user, pk)
    form = ScoreForm(request.POST)
    if form.is_valid():
        try:
            services.item_score(
                actor=request.user,
                item=item,
                points=form.cleaned_data["points"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            show_error(request, error)
        else:
            messages.success(request, _("评分已保存"))
    else:
        show_form_errors(request, form)
    return redirect("coordination:target_sheet", pk=item.sheet_id)


@login_required
@require_GET
def item_evidence(request, pk: int):
    """A work item's evidence file, for those who see the sheet (every opening is audited)."""
    item = selectors.item_for(request.user, pk)
    if not item.evidence_file:
        raise NotFound()
    audit.record(actor=request.user, action="coordination.item.evidence_open", obj=item)
    name = (item.evidence_file.name or "").rsplit("/", 1)[-1]
    response = FileResponse(item.evidence_file.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_POST
def circular_issue(request):
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        raise NotFound() from None
    try:
        circular = circulars.circular_issue(actor=request.user, year=year)
    except DomainError as error:
        show_error(request, error)
        return redirect(f"{_index_url()}?year={year}")
    messages.success(request, _("考核通报已发布"))
    return redirect("coordination:target_circular", pk=circular.pk)


def _index_url() -> str:
    from django.urls import reverse

    return reverse("coordination:target_index")


@login_required
@require_GET
def circular_detail(request, pk: int):
    """The printable circular (opening it marks its notification read: the link is this page)."""
    circular = selectors.circular_for(request.user, pk)
    rows = circular.ranking
    context = {
        "circular": circular,
        "counties": [row for row in rows if row["kind"] == circulars.COUNTY],
        "departments": [row for row in rows if row["kind"] == circulars.DEPARTMENT],
    }
    return render(request, "coordination/targets/circular.html", context)


@login_required
@require_GET
def circular_excel(request, pk: int):
    circular = selectors.circular_for(request.user, pk)
    audit.record(actor=request.user, action="coordination.circular.export", obj=circular)
    filename = f"{_('考核通报')}-{circular.year}.xlsx"
    return FileResponse(
        circulars.workbook(circular), as_attachment=True, filename=filename, content_type=XLSX
    )


@login_required
@require_http_methods(["GET", "POST"])
def leaders(request):
    """The leaders who receive circulars (officers see their region's; the city records them)."""
    can_set = may(request.user, Action.SET_TARGETS)
    form = LeaderForm(request.POST or None) if can_set else None
    if request.method == "POST":
        if form is None:
            require(request.user, Action.SET_TARGETS)
        elif form.is_valid():
            try:
                circulars.leader_appoint(
                    actor=request.user,
                    post=form.cleaned_data["post"],
                    user=form.cleaned_data["user"],
                    name=form.cleaned_data["name"],
                    **form.unit_kwargs(),
                )
            except DomainError as error:
                show_error(request, error, form)
            else:
                messages.success(request, _("已登记"))
                return redirect("coordination:target_leaders")
    rows = selectors.leaders_for(request.user).order_by("region__path", "department__kind", "post")
    return render(request, "coordination/targets/leaders.html", {"leaders": rows, "form": form})


urlpatterns = [
    path("targets/", index, name="target_index"),
    path("targets/new/", sheet_new, name="target_sheet_new"),
    path("targets/<int:pk>/", sheet_detail, name="target_sheet"),
    path("targets/<int:pk>/move/", sheet_move, name="target_sheet_move"),
    path("targets/<int:pk>/items/", item_add, name="target_item_add"),
    path("targets/items/<int:pk>/remove/", item_remove, name="target_item_remove"),
    path("targets/items/<int:pk>/assess/", item_assess, name="target_item_assess"),
    path("targets/items/<int:pk>/score/", item_score, name="target_item_score"),
    path("targets/items/<int:pk>/evidence/", item_evidence, name="target_item_evidence"),
    path("targets/leaders/", leaders, name="target_leaders"),
    path("targets/circulars/issue/", circular_issue, name="target_circular_issue"),
    path("targets/circulars/<int:pk>/", circular_detail, name="target_circular"),
    path("targets/circulars/<int:pk>/excel/", circular_excel, name="target_circular_excel"),
]
