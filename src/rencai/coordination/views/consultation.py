"""Pages of the consultation on policy drafts (征求意见): the rounds one sees, opening a round on a draft,
a round's page (the draft as put out, comments and answers, closing), and what changed after consultation.

Thin: rows through `selectors.consultation` (out of scope, or an enterprise not invited: 404), writes through
`services.consultation`. The policy pages have no hook for other apps, so the link to "what changed" is on
this app's pages (the round's page and the list).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.coordination.forms.consultation import AnswerForm, CommentForm, OpenForm
from rencai.coordination.models import ConsultationState
from rencai.coordination.selectors import consultation as selectors
from rencai.coordination.services import consultation as service
from rencai.core.access import Action, may, region_subtree_ids, require, restrict
from rencai.core.errors import NotFound
from rencai.core.feedback import attempt
from rencai.core.models import Region
from rencai.policies.models import PolicyVersion, VersionStatus
from rencai.registry.models import Department, Enterprise


@login_required
@require_GET
def consultation_list(request):
    user = request.user
    require(user, Action.COMMENT_ON_DRAFT)
    context = {
        "consultations": selectors.consultations_for(user)[:200],
        "drafts": _drafts_for(user)[:50] if may(user, Action.DRAFT_POLICY) else [],
    }
    return render(request, "coordination/consultation/list.html", context)


def _drafts_for(user):
    """The drafts the user may put out for consultation (their own region's)."""
    versions = PolicyVersion.objects.filter(status=VersionStatus.DRAFT).select_related("policy")
    return restrict(user, versions, Action.DRAFT_POLICY).order_by("policy__name", "-number")


@login_required
@require_http_methods(["GET", "POST"])
def consultation_open(request, version_id: int):
    user = request.user
    version = _drafts_for(user).filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    inside = region_subtree_ids(version.policy.region_id)
    form = OpenForm(
        request.POST or None,
        departments=Department.objects.filter(region_id__in=inside).order_by("region__path", "kind"),
        regions=Region.objects.filter(pk__in=inside).exclude(pk=version.policy.region_id).order_by("path"),
        enterprises=Enterprise.objects.filter(region_id__in=inside).order_by("name"),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            opened = attempt(
                request,
                lambda: service.consultation_open(
                    actor=user,
                    version=version,
                    deadline=data["deadline"],
                    departments=data["departments"],
                    regions=data["regions"],
                    enterprises=data["enterprises"],
                    instructions=data["instructions"],
                ),
                _("已发出征求意见。"),
            )
            if opened:
                return redirect("coordination:consultation_detail", pk=opened.result.pk)
    return render(
        request, "coordination/consultation/open.html", {"form": form, "version": version}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def consultation_detail(request, pk: int):
    user = request.user
    consultation = selectors.get_consultation(user, pk)
    policy = consultation.version.policy
    is_open = consultation.state == ConsultationState.OPEN
    can_answer = is_open and may(user, Action.DRAFT_POLICY, policy)
    can_comment = (
        is_open
        and consultation.version.status == VersionStatus.DRAFT
        and may(user, Action.COMMENT_ON_DRAFT, consultation)
        and not may(user, Action.DRAFT_POLICY, policy)  # the drafter answers, others comment
    )
    comment_form = CommentForm(request.POST if request.POST.get("form") == "comment" else None)
    status = 200
    if request.method == "POST" and request.POST.get("form") == "comment":
        status = 422
        if comment_form.is_valid():
            data = comment_form.cleaned_data
            saved = attempt(
                request,
                lambda: service.comment_add(
                    actor=user, consultation=consultation, body=data["body"], clause=data["clause"]
                ),
                _("意见已提交。"),
            )
            if saved:
                return redirect("coordination:consultation_detail", pk=consultation.pk)
    snapshot = consultation.snapshot
    context = {
        "consultation": consultation,
        "policy": policy,
        "draft": [(label, snapshot.get(key, "")) for key, label in service.DRAFT_FIELDS],
        "invitations": consultation.invitations.select_related("department", "party_region", "enterprise"),
        "comments": selectors.comments_of(consultation, user),
        "can_comment": can_comment,
        "can_answer": can_answer,
        "can_reopen": not is_open
        and consultation.version.status == VersionStatus.DRAFT
        and may(user, Action.DRAFT_POLICY, policy),
        "comment_form": comment_form if can_comment else None,
        "answer_form": AnswerForm() if can_answer else None,
    }
    return render(request, "coordination/consultation/detail.html", context, status=status)


@login_required
@require_POST
def comment_answer(request, pk: int, comment_id: int):
    user = request.user
    consultation = selectors.get_consultation(user, pk)
    comment = consultation.comments.filter(pk=comment_id).first()
    if comment is None:
        raise NotFound()
    form = AnswerForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: service.comment_answer(
                actor=user,
                comment=comment,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
            ),
            _("已答复。"),
        )
    return redirect("coordination:consultation_detail", pk=consultation.pk)


@login_required
@require_POST
def consultation_close(request, pk: int):
    user = request.user
    consultation = selectors.get_consultation(user, pk)
    attempt(
        request,
        lambda: service.consultation_close(actor=user, consultation=consultation),
        _("本轮征求意见已结束。"),
    )
    return redirect("coordination:consultation_detail", pk=consultation.pk)


@login_required
@require_GET
def version_changes(request, version_id: int):
    """What changed after consultation: the draft as the first round put it out against the version now
    (issued, or the draft still), with every round's comments and answers."""
    user = request.user
    rounds = selectors.rounds_of_version(user, version_id)
    version = rounds[0].version
    context = {
        "version": version,
        "policy": version.policy,
        "issued": version.status == VersionStatus.ISSUED,
        "changes": selectors.changes_after_consultation(version, rounds),
        "rounds": [(r, selectors.comments_of(r, user)) for r in rounds],
    }
    return render(request, "coordination/consultation/changes.html", context)


urlpatterns = [
    path("consultations/", consultation_list, name="consultation_list"),
    path("consultations/open/<int:version_id>/", consultation_open, name="consultation_open"),
    path("consultations/<int:pk>/", consultation_detail, name="consultation_detail"),
    path("consultations/<int:pk>/comments/<int:comment_id>/answer/", comment_answer, name="comment_answer"),
    path("consultations/<int:pk>/close/", consultation_close, name="consultation_close"),
    path("consultations/versions/<int:version_id>/", version_changes, name="consultation_changes"),
]

__all__ = ["urlpatterns"]
