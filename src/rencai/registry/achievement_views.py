"""Pages of the achievements (成果): the scoped list, the form that records or changes one, and deletion.

Thin like the other registry pages: reads through `selectors`, writes through `achievements` (the
services), which decide the right; an achievement out of scope is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rencai.core.access import Action, may
from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.registry import achievements, selectors, services
from rencai.registry.forms import AchievementFilterForm, AchievementForm
from rencai.registry.views import _paginate


def _form_choices(user, keep=None) -> dict:
    regions = sorted(services.writable_regions(user).values(), key=lambda r: r.path)
    if not regions:
        raise PermissionDenied("无权修改人才登记信息", "You may not change the registry")
    enterprises = list(selectors.enterprises_for(user).values_list("credit_code", "name"))
    if keep is not None and keep.credit_code not in {code for code, _name in enterprises}:
        enterprises.insert(0, (keep.credit_code, keep.name))
    return {"regions": regions, "enterprises": enterprises}


@login_required
@require_GET
def achievement_list(request):
    user = request.user
    form = AchievementFilterForm(request.GET, regions=selectors.visible_regions(user))
    page, query = _paginate(request, selectors.achievements_for(user, form.filters()))
    named = selectors.visible_enterprise_ids(
        user, {a.enterprise_id for a in page.object_list if a.enterprise_id}
    )
    context = {
        "form": form,
        "page": page,
        "query": query,
        "named_enterprises": named,  # an employer out of the user's scope is not named
        "can_edit": may(user, Action.EDIT_REGISTRY),
        "no_access": not may(user, Action.BROWSE_REGISTRY),
    }
    return render(request, "registry/achievement_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def achievement_create(request):
    user = request.user
    form = AchievementForm(request.POST or None, **_form_choices(user))
    if request.method == "POST" and form.is_valid():
        try:
            achievement = achievements.achievement_create(actor=user, data=form.achievement_input())
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已登记成果：%(title)s") % {"title": achievement.title})
            return redirect("registry:achievement_list")
    return render(request, "registry/achievement_form.html", {"form": form, "achievement": None})


@login_required
@require_http_methods(["GET", "POST"])
def achievement_edit(request, pk: int):
    user = request.user
    achievement = selectors.get_achievement(user, pk)
    numbers = [str(talent_id) for talent_id in achievements.holder_ids_of(achievement)]
    form = AchievementForm(
        request.POST or None,
        initial=AchievementForm.initial_for(achievement, numbers),
        **_form_choices(user, keep=achievement.enterprise),
    )
    if request.method == "POST" and form.is_valid():
        try:
            achievement = achievements.achievement_update(
                actor=user, achievement_id=achievement.pk, data=form.achievement_input()
            )
        except ValidationFailed as failure:
            form.add_problems(failure)
        else:
            messages.success(request, _("已保存成果：%(title)s") % {"title": achievement.title})
            return redirect("registry:achievement_list")
    return render(request, "registry/achievement_form.html", {"form": form, "achievement": achievement})


@login_required
@require_POST
def achievement_delete(request, pk: int):
    achievement = selectors.get_achievement(request.user, pk)
    achievements.achievement_delete(actor=request.user, achievement_id=achievement.pk)
    messages.success(request, _("已删除成果：%(title)s") % {"title": achievement.title})
    return redirect("registry:achievement_list")
