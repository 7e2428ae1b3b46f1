"""Pages of the chief technology officers: the enterprise's nomination form (the rules checked before
submitting), the CTO register with its yearly checks, and the printable certificate.

Thin: reads through the scoped selectors of `services.cto`, writes through its services; a refusal is
shown on the page with every problem.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, may, require, visible_to
from rencai.core.errors import DomainError, NotFound
from rencai.core.feedback import in_english, show_error
from rencai.evaluation import selectors
from rencai.evaluation.forms.cto import NominationForm, YearlyCheckForm
from rencai.evaluation.services import cto
from rencai.registry.models import Enterprise, Talent


def _employees(user):
    """The enterprise's own staff, the only people it may nominate."""
    return visible_to(user, Talent.objects.filter(current_employer_id=user.enterprise_id)).order_by(
        "name", "pk"
    )


@login_required
@require_http_methods(["GET", "POST"])
def nominate(request):
    user = request.user
    require(user, Action.NOMINATE_CTO)  # a form page: the service asks again for the chosen employee
    enterprise = Enterprise.objects.get(pk=user.enterprise_id)
    rounds = cto.open_cto_rounds(enterprise)
    data = request.POST or request.GET or None
    # the nominee's material library, once a nominee is chosen (documents given once, reused)
    raw = str((data or {}).get("talent") or "")
    nominee = _employees(user).filter(pk=int(raw)).first() if raw.isdigit() else None
    library = selectors.library_of(nominee) if nominee is not None else None
    form = NominationForm(data, rounds=rounds, employees=_employees(user), library=library)
    rules, status = [], 200
    chosen = form.is_bound and form.is_valid()
    if chosen:
        talent = form.cleaned_data["talent"]
        rules = cto.nomination_rules(talent, enterprise)
    if request.method == "POST" and "submit" in request.POST and chosen:
        try:
            case = cto.cto_nominate(
                actor=user,
                round=form.cleaned_data["round"],
                talent=form.cleaned_data["talent"],
                summary=form.cleaned_data["summary"],
                material_ids=[m.pk for m in form.cleaned_data["materials"]],
            )
        except NotFound:
            raise
        except DomainError as error:
            show_error(request, error)
            status = error.status
        else:
            messages.success(request, _("已推荐%(name)s，待县级初审。") % {"name": case.talent.name})
            return redirect("evaluation:cto_register")
    elif request.method == "POST":
        status = 422 if not chosen else 200
    context = {
        "form": form,
        "rules": rules,
        "enterprise": enterprise,
        "quota": cto.quota_of(enterprise),
        "taken": cto.seats_taken(enterprise),
        "has_rounds": rounds.exists(),
        "has_library": library is not None,
        "english": in_english(),
    }
    return render(request, "evaluation/cto/nominate.html", context, status=status)


@login_required
@require_GET
def register(request):
    user = request.user
    require(user, Action.BROWSE_EVALUATION)
    appointments = cto.appointments_for(user).order_by("enterprise__name", "slot", "-term_starts")
    context = {
        "appointments": appointments,
        "nominations": cto.nominations_of(user)[:50] if may(user, Action.NOMINATE_CTO) else [],
        "can_nominate": may(user, Action.NOMINATE_CTO),
        "can_check": may(user, Action.MANAGE_EVALUATION),
        "check_form": YearlyCheckForm(),
        "today": timezone.localdate(),
    }
    return render(request, "evaluation/cto/register.html", context)


@login_required
@require_POST
def yearly_check(request, pk: int):
    appointment = cto.appointments_for(request.user).filter(pk=pk).first()
    if appointment is None:
        raise NotFound()
    form = YearlyCheckForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("evaluation:cto_register")
    try:
        cto.yearly_check(
            actor=request.user,
            appointment=appointment,
            year=form.cleaned_data["year"],
            passed=form.cleaned_data["passed"],
            note=form.cleaned_data["note"],
        )
    except NotFound:
        raise
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("已记录年度考核。"))
    return redirect("evaluation:cto_register")


@login_required
@require_GET
def certificate(request, pk: int):
    appointment = cto.appointments_for(request.user).filter(pk=pk).first()
    if appointment is None:
        raise NotFound()
    return render(request, "evaluation/cto/certificate.html", {"appointment": appointment})


urlpatterns: list = [
    path("cto/", register, name="cto_register"),
    path("cto/nominate/", nominate, name="cto_nominate"),
    path("cto/<int:pk>/check/", yearly_check, name="cto_check"),
    path("cto/<int:pk>/certificate/", certificate, name="cto_certificate"),
]
