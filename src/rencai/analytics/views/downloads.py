"""Excel downloads of the analytics tables and of the people behind a figure, with the pages' query strings.

A table is small and written in the request. The people list is written in the request up to
`exports.INLINE_ROWS` rows; a longer one becomes a job (`core.jobs`): the browser goes to the job's page,
which shows the rows written so far and then the file, for its owner only.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from rencai.analytics import exports
from rencai.analytics.views import figures as f
from rencai.core import jobs
from rencai.core.access import Action
from rencai.core.errors import NotFound, ValidationFailed
from rencai.core.models import JobKind, Region
from rencai.core.regions import QUZHOU

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INDICATOR_TABLES = ("breakdown", "series", "comparison")
DASHBOARD_TABLES = ("headline", "ranking")


def _download(export) -> FileResponse:
    response = FileResponse(export.file, as_attachment=True, filename=export.filename, content_type=XLSX)
    response["X-Export-Rows"] = str(export.rows)
    return response


@login_required
@require_GET
def indicator_table(request, code: str, table: str):
    if table not in INDICATOR_TABLES:
        raise Http404
    user = request.user
    indicator = f.indicator_by_code(code)
    query, problems = f.parse_query(request.GET, indicator=indicator)
    if problems:
        raise ValidationFailed(problems)
    if table == "breakdown":
        export = exports.breakdown_export(
            actor=user, indicator=indicator, day=query.day, region=query.region, by=query.by
        )
    elif table == "series":
        export = exports.series_export(
            actor=user,
            indicator=indicator,
            start=min(f.SERIES_START, query.day),
            end=query.day,
            region=query.region,
        )
    else:
        export = exports.comparison_export(actor=user, indicator=indicator, day=query.day)
    return _download(export)


@login_required
@require_GET
def dashboard_table(request, table: str):
    if table not in DASHBOARD_TABLES:
        raise Http404
    query, problems = f.parse_query(request.GET)
    if problems:
        raise ValidationFailed(problems)
    return _download(
        exports.dashboard_exports(actor=request.user, table=table, day=query.day, region=query.region)
    )


@login_required
@require_GET
def people_export(request, code: str):
    user = request.user
    indicator = f.indicator_by_code(code)
    query, problems = f.parse_query(request.GET, indicator=indicator)
    if problems:
        raise ValidationFailed(problems)
    part = request.GET.get("part", "numerator")
    if part not in f.PARTS:
        raise NotFound()
    key = request.GET.get("key", "") if query.by else None
    wanted = exports.PeopleQuery(
        indicator=indicator, day=query.day, region=query.region, by=query.by, key=key, part=part
    )
    limit = getattr(settings, "RENCAI_EXPORT_INLINE_ROWS", exports.INLINE_ROWS)
    total = exports.people_of(actor=user, query=wanted).count()
    if total <= limit:
        return _download(exports.people_export(actor=user, query=wanted))
    job, created = jobs.start_job(
        owner=user,
        kind=JobKind.EXPORT,
        scope=f"analytics-people:{user.pk}",  # one people export per person at a time
        region=user.region or Region.objects.get(code=QUZHOU),
        right=Action.EXPORT,
        private=True,  # the file holds the owner's scope
        task=exports.people_export_task,
        task_kwargs={
            "actor_id": user.pk,
            "indicator_id": indicator.pk,
            "day": query.day.isoformat(),
            "region": query.region.code if query.region is not None else "",
            "by": query.by or "",
            "key": key or "",
            "part": part,
            "total": total,
        },
    )
    if not created:
        messages.info(request, _("您的上一次导出仍在进行，完成后可在本页下载"))
    return redirect("job_status", job_id=job.pk)


urlpatterns = [
    path("export/<str:table>/", dashboard_table, name="dashboard_export"),
    path("indicators/<slug:code>/export/<str:table>/", indicator_table, name="indicator_export"),
    path("indicators/<slug:code>/people/export/", people_export, name="people_export"),
]
