"""Pages of the projects (带着项目入驻): the scoped list and the form that registers or changes one.

Thin like the other registry pages: reads through `projects.projects_for`, writes through the project
services, which decide the right; a project out of scope is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rencai.core.access import Action, may, require
from rencai.core.errors import NotFound, PermissionDenied, ValidationFailed
from rencai.registry import projects, selectors, services
from rencai.registry.forms import ProjectForm
from rencai.registry.views import _paginate


def _form_choices(user) -> dict:
    regions = sorted(services.writable_regions(user).values(), key=lambda r: r.path)
    if not regions:
        raise PermissionDenied("无权修改人才登记信息", "You may not change the registry")
    enterprises = list(selectors.enterprises_for(user).values_list("credit_code", "name"))
    return {"regions": regions, "enterprises": enterprises}


@login_required
@require_GET
def project_list(request):
    user = request.user
    require(user, Action.BROWSE_REGISTRY)
    page, query = _paginate(request, projects.projects_for(user).prefetch_related("members__talent"))
    context = {"page": page, "query": query, "can_edit": may(user, Action.EDIT_REGISTRY)}
    return render(request, "registry/project_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_form(request, pk: int | None = None):
    user = request.user
    project = None
    initial = {}
    if pk is not None:
        project = projects.projects_for(user).filter(pk=pk).first()
        if project is None:
            raise NotFound()
        initial = ProjectForm.initial_for(project, projects.member_tokens(project))
    form = ProjectForm(request.POST or None, initial=initial, **_form_choices(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if project is None:
                    project = projects.project_create(actor=user, data=form.project_input())
                else:
                    project = projects.project_update(actor=user, project=project, data=form.project_input())
            except ValidationFailed as failure:
                form.add_problems(failure)
                status = 422
            else:
                messages.success(request, _("已保存项目：%(name)s") % {"name": project.name})
                return redirect("registry:project_list")
        else:
            status = 422
    return render(request, "registry/project_form.html", {"form": form, "project": project}, status=status)
