"""The page of a case's representative works (代表作): the applicant (the talent, or the employer that
applied) chooses, in order, up to the scheme's limit of the talent's achievements, each with a contribution
statement, while the application may still change. The case page and the expert's review page show them.

Thin: the case through the scoped selector (out of scope is 404), the write through
`services.works.case_works_set` (all or nothing, audited); a refusal is shown on the page with every problem.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rencai.core.access import Action, require
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import show_error
from rencai.evaluation import selectors
from rencai.evaluation.forms.works import WorksForm
from rencai.evaluation.services import works
from rencai.registry import selectors as registry_selectors


@login_required
@require_http_methods(["GET", "POST"])
def case_works(request, pk: int):
    user = request.user
    case = selectors.get_case(user, pk)
    require(user, Action.APPLY_FOR_EVALUATION, case)  # a form page: the service asks again when saving
    # the talent's achievements the user sees (the talent all their own; an employer those of its scope)
    holdings = registry_selectors.talent_achievements(user, case.talent)
    current = list(case.works.select_related("achievement").order_by("position"))
    editable = case.state in works.EDITABLE_STATES
    limit = case.round.scheme.max_works
    form = WorksForm(
        request.POST or None, holdings=holdings, limit=limit, initial=WorksForm.initial_of(current)
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                works.case_works_set(actor=user, case=case, choices=form.choices())
            except NotFound:
                raise
            except DomainError as error:
                show_error(request, error)
                status = error.status
            else:
                messages.success(request, _("代表作已保存。"))
                return redirect("evaluation:case_detail", pk=case.pk)
    context = {
        "case": case,
        "form": form if editable else None,
        "works": current,
        "limit": limit,
        "has_holdings": bool(holdings),
    }
    return render(request, "evaluation/works/form.html", context, status=status)


urlpatterns = [path("cases/<int:pk>/works/", case_works, name="case_works")]
