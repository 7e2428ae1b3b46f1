"""Downloads of the registry lists as .xlsx, with the same GET filters as the list pages.

A list of up to `INLINE_ROWS` rows is written in the request and downloaded at once. A larger one (the
whole registry of a city, up to a million talents) becomes a job (`core.jobs`, `registry.tasks.export_task`):
the browser goes to the job's page, which shows the rows written so far and then the file, downloadable by
the person who asked for it only (`core.job_views.job_download`, audited). Asking again while it runs
shows the same job.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rencai.accounts.models import User
from rencai.core import jobs
from rencai.core.access import Action
from rencai.core.models import JobKind, Region
from rencai.core.regions import QUZHOU
from rencai.registry import exports, selectors
from rencai.registry.selectors import TalentFilters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRUE_VALUES = {"1", "true", "on", "yes"}
# Written in the request up to this many rows (about 3 s on this machine); beyond, a job with progress
INLINE_ROWS = 20_000


def _download(export: exports.ExportFile) -> FileResponse:
    response = FileResponse(export.file, as_attachment=True, filename=export.filename, content_type=XLSX)
    response["X-Export-Rows"] = str(export.rows)
    return response


def _text(params: QueryDict, name: str) -> str:
    return params.get(name, "").strip()


def talent_filters(params: QueryDict) -> TalentFilters:
    """The talent list's filters from a query string (unknown or malformed values are ignored)."""
    enterprise = _text(params, "enterprise")
    return TalentFilters(
        q=_text(params, "q"),
        region=_text(params, "region"),
        team=_text(params, "team"),
        tier=_text(params, "tier"),
        enterprise=int(enterprise) if enterprise.isdigit() else None,
        status=_text(params, "status"),
    )


@dataclass(frozen=True)
class ExportList:
    rows: Callable[[User, QueryDict], QuerySet]  # the list's rows, to count them
    export: Callable[[User, QueryDict], exports.ExportFile]


LISTS: dict[str, ExportList] = {
    "talents": ExportList(
        rows=lambda user, params: selectors.talents_for(user, talent_filters(params)),
        export=lambda user, params: exports.export_talents(user=user, filters=talent_filters(params)),
    ),
    "enterprises": ExportList(
        rows=lambda user, params: selectors.enterprises_for(
            user,
            q=_text(params, "q"),
            region=_text(params, "region"),
            platform_only=_text(params, "platform_only").lower() in TRUE_VALUES,
        ),
        export=lambda user, params: exports.export_enterprises(
            user=user,
            q=_text(params, "q"),
            region=_text(params, "region"),
            platform_only=_text(params, "platform_only").lower() in TRUE_VALUES,
        ),
    ),
    "platforms": ExportList(
        rows=lambda user, params: selectors.platforms_for(
            user, q=_text(params, "q"), kind=_text(params, "kind"), region=_text(params, "region")
        ),
        export=lambda user, params: exports.export_platforms(
            user=user, q=_text(params, "q"), kind=_text(params, "kind"), region=_text(params, "region")
        ),
    ),
    "academicians": ExportList(
        rows=lambda user, params: selectors.academicians_for(user, q=_text(params, "q")),
        export=lambda user, params: exports.export_academicians(user=user, q=_text(params, "q")),
    ),
}


def count_rows(list_name: str, user: User, params: QueryDict) -> int:
    return LISTS[list_name].rows(user, params).count()


def build_export(list_name: str, user: User, params: QueryDict) -> exports.ExportFile:
    """The workbook of a list as `user` sees it with these filters (permission checked and audited)."""
    return LISTS[list_name].export(user, params)


def _export(request, list_name: str) -> HttpResponseBase:
    user, params = request.user, request.GET
    limit = getattr(settings, "RENCAI_EXPORT_INLINE_ROWS", INLINE_ROWS)
    if count_rows(list_name, user, params) <= limit:
        return _download(build_export(list_name, user, params))
    from rencai.registry.tasks import export_task

    job, created = jobs.start_job(
        owner=user,
        kind=JobKind.EXPORT,
        scope=f"{list_name}:{user.pk}",  # one export of a list per person at a time
        region=user.region or Region.objects.get(code=QUZHOU),
        right=Action.EXPORT,
        private=True,  # the file holds the owner's own filters and scope
        task=export_task,
        task_kwargs={"list_name": list_name, "query": params.urlencode(), "actor_id": user.pk},
    )
    if not created:
        messages.info(request, _("您的上一次导出仍在进行，完成后可在本页下载"))
    return redirect("job_status", job_id=job.pk)


@login_required
@require_GET
def talent_export(request):
    return _export(request, "talents")


@login_required
@require_GET
def enterprise_export(request):
    return _export(request, "enterprises")


@login_required
@require_GET
def platform_export(request):
    return _export(request, "platforms")


@login_required
@require_GET
def academician_export(request):
    return _export(request, "academicians")
