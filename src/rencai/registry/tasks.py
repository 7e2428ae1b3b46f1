"""Background work of the registry: a large import or export, run by the task worker as a job (`core.jobs`)
whose progress and outcome the person who started it follows on the job's page."""

from pathlib import Path

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_noop
from django_tasks import task

from rencai.core import jobs

IMPORT_APPLIED = gettext_noop(
    "共 %(total)s 行：新增 %(created)s，更新 %(updated)s，无变化 %(unchanged)s，错误 %(rejected)s"
)
IMPORT_REJECTED = gettext_noop("共 %(total)s 行，其中 %(rejected)s 行有错误，未导入任何数据")
EXPORT_DONE = gettext_noop("已导出 %(rows)s 行")


@task()
def import_task(
    *, job_id: int, path: str, kind: str, filename: str, accept_partial: bool, actor_id: int
) -> dict:
    """Import an uploaded file kept at `path` (deleted once imported, or refused)."""
    from rencai.accounts.models import User
    from rencai.registry import importers
    from rencai.registry.models import ImportBatch

    upload = Path(path)
    with jobs.running(job_id) as progress:
        progress.stage(gettext_noop("读取文件"))
        try:
            batch = importers.import_file(
                actor=User.objects.get(pk=actor_id),
                kind=kind,
                filename=filename,
                data=upload.read_bytes(),
                accept_partial=accept_partial,
            )
        finally:
            upload.unlink(missing_ok=True)  # kept only while a worker that dies may be replaced and retry
        counts = {
            "batch": batch.pk,
            "total": batch.total_rows,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "rejected": batch.rejected_count,
        }
        summary = IMPORT_REJECTED if batch.outcome == ImportBatch.Outcome.REJECTED else IMPORT_APPLIED
        progress.finish(
            message=jobs.in_both_languages(summary, counts),
            result=counts,
            link=reverse("registry:import_report", args=[batch.pk]),
        )
    return counts


@task()
def export_task(*, job_id: int, list_name: str, query: str, actor_id: int) -> dict:
    """Export a registry list with the filters of `query` into a file only its owner downloads."""
    from rencai.accounts.models import User
    from rencai.registry.export_views import build_export, count_rows

    actor = User.objects.get(pk=actor_id)
    params = QueryDict(query)
    with jobs.running(job_id) as progress:
        progress.stage(gettext_noop("写入 Excel"), done=0, total=count_rows(list_name, actor, params))
        export = build_export(list_name, actor, params)
        path = jobs.write_private_file(f"job-{job_id}.xlsx", iter(lambda: export.file.read(1 << 20), b""))
        progress.finish(
            message=jobs.in_both_languages(EXPORT_DONE, {"rows": export.rows}),
            result={"rows": export.rows},
            link=reverse("job_download", args=[job_id]),
            file_path=str(path),
            file_name=export.filename,
        )
    return {"rows": export.rows}
