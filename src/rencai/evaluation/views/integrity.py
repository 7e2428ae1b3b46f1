"""Pages of integrity findings (品德/诚信): the organization officers' list of the findings about talents of
their region, a finding, and the form that records one for a talent found by the registry's search.

Findings are sensitive: only the organization officers whose region covers the talent read them, and the
talent their own (`selectors.findings_for`); everyone else gets 404. Writes go through
`services.integrity.finding_record` (audited); a refusal is shown on the page with every problem.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rencai.core.access import Action, may, require
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import show_error
from rencai.evaluation import selectors
from rencai.evaluation.forms.integrity import FindingForm
from rencai.evaluation.services import integrity
from rencai.registry import selectors as registry_selectors

PAGE_SIZE = 50
SEARCH_LIMIT = 20


def _in_force(finding, today) -> bool:
    """As `integrity.finding_in_force` counts it: from the day found up to the day before expiry."""
    return finding.found_on <= today and (finding.expires_on is None or finding.expires_on > today)


@login_required
@require_GET
def finding_list(request):
    user = request.user
    q = request.GET.get("q", "").strip()
    manages = may(user, Action.MANAGE_EVALUATION)
    findings = selectors.findings_for(user, q=q)
    if not manages and not findings.exists():
        raise NotFound()  # nobody learns that the page has anything to hide from them
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(finding, _in_force(finding, today)) for finding in page.object_list]
    context = {"page": page, "rows": rows, "q": q, "query": f"q={q}" if q else "", "can_record": manages}
    return render(request, "evaluation/integrity/list.html", context)


@login_required
@require_GET
def finding_detail(request, pk: int):
    finding = selectors.get_finding(request.user, pk)
    context = {"finding": finding, "in_force": _in_force(finding, timezone.localdate())}
    return render(request, "evaluation/integrity/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def finding_new(request):
    user = request.user
    require(user, Action.MANAGE_EVALUATION)  # a form page: the service asks again for the chosen talent
    q = request.GET.get("q", "").strip()
    chosen = request.POST.get("talent") or request.GET.get("talent") or ""
    talent = registry_selectors.get_talent(user, int(chosen)) if chosen.isdigit() else None
    candidates = []
    if talent is None and q:
        filters = registry_selectors.TalentFilters(q=q)
        candidates = list(registry_selectors.talents_for(user, filters)[:SEARCH_LIMIT])
    form = FindingForm(request.POST or None) if talent is not None else None
    status = 200
    if request.method == "POST":
        status = 422
        if talent is not None and form is not None and form.is_valid():
            data = form.cleaned_data
            try:
                finding = integrity.finding_record(
                    actor=user,
                    talent=talent,
                    found_on=data["found_on"],
                    source=data["source"],
                    description=data["description"],
                    expires_on=data["expires_on"],
                )
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
            else:
                messages.success(request, _("诚信记录已登记。"))
                return redirect("evaluation:finding_detail", pk=finding.pk)
    context = {"q": q, "talent": talent, "candidates": candidates, "form": form}
    return render(request, "evaluation/integrity/form.html", context, status=status)


urlpatterns = [
    path("integrity/", finding_list, name="finding_list"),
    path("integrity/new/", finding_new, name="finding_new"),
    path("integrity/<int:pk>/", finding_detail, name="finding_detail"),
]
