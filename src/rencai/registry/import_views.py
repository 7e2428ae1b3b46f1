"""Pages of the bulk import: upload a file (or download its template), then read the batch's report.

A file of up to `INLINE_BYTES` is imported in the request (a few thousand rows, under a second). A larger
one is kept in var/jobs and imported by the task worker as a job (`core.jobs`, `registry.tasks.import_task`):
the browser goes to the job's page, which shows the rows checked so far and then a link to the report.
While a person's import runs, the upload page shows it in place of the button that would start another.
"""

import io
import uuid
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.datastructures import MultiValueDict
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from rencai.core import jobs
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode
from rencai.core.models import JobKind, Region
from rencai.core.regions import QUZHOU
from rencai.core.spreadsheets import text_row
from rencai.registry import importers
from rencai.registry.models import ImportBatch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_PAGE_SIZE = 100
# Imported in the request up to this size (about 2,500 rows of the template: under a second); beyond, a job
INLINE_BYTES = 256 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入类别"), choices=ImportBatch.Kind.choices)
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
    accept_partial = forms.BooleanField(
        label=_("允许部分导入：只导入校验通过的行，错误行列入报告"),
        required=False,
        help_text=_("不勾选时，只要有一行错误，整个文件都不导入。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            importers.check_upload(upload.name, upload.size)
        except importers.ImportRefused as refusal:
            raise forms.ValidationError(refusal.message) from None
        return upload


# An upload's multipart envelope and the form's other fields, on top of the file itself.
ENVELOPE_BYTES = 64 * 1024


class _UploadBound(FileUploadHandler):
    """Stops reading an upload once past the import limit, instead of spooling all of it to disk first."""

    def __init__(self, request=None):
        super().__init__(request)
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > importers.MAX_IMPORT_BYTES:
            self.exceeded = True
            raise StopUpload(connection_reset=True)  # the rest of the body is not read
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file


@csrf_exempt  # the token is checked by csrf_protect in _import_page, once the upload handlers are in place
@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    require(request.user, Action.IMPORT_REGISTRY)
    bound = None
    if request.method == "POST":
        declared = _content_length(request)
        if declared > importers.MAX_IMPORT_BYTES + ENVELOPE_BYTES:  # refused before a byte is read
            return _too_large_page(request, declared)
        bound = _UploadBound(request)
        request.upload_handlers.insert(0, bound)
    return _import_page(request, bound)


@csrf_protect
def _import_page(request, bound: _UploadBound | None):
    template_kind = request.GET.get("template")
    if template_kind in ImportBatch.Kind.values:
        return _template_download(template_kind)
    form = ImportForm(request.POST or None, request.FILES or None)
    if bound is not None and bound.exceeded:
        return _too_large_page(request, importers.MAX_IMPORT_BYTES + 1, request.POST)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > getattr(settings, "RENCAI_IMPORT_INLINE_BYTES", INLINE_BYTES):
            return _import_as_job(request, form)
        try:
            batch = importers.import_file(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                data=upload.read(),
                accept_partial=form.cleaned_data["accept_partial"],
            )
        except importers.ImportRefused as refusal:
            form.add_error("file", refusal.message)
        except DomainError as error:
            if error.code != ErrorCode.IMPORT_CONFLICT:
                raise
            form.add_error(None, error.message)
        else:
            return redirect("registry:import_report", pk=batch.pk)
    return _page(request, form)


def _page(request, form: ImportForm, status: int = 200):
    recent = importers.import_batches_for(request.user).order_by("-created_at")[:10]
    running = jobs.active_job(request.user, kind=JobKind.IMPORT, scope=_job_scope(request.user))
    context = {"form": form, "recent": recent, "running": running}
    return render(request, "registry/import.html", context, status=status)


def _job_scope(user) -> str:
    return f"user:{user.pk}"  # one import at a time per person: a second click meets the first


def _import_as_job(request, form: ImportForm):
    """Keep the upload in var/jobs and hand it to the task worker; the job's page follows it."""
    from rencai.registry.tasks import import_task

    user, upload = request.user, form.cleaned_data["file"]
    running = jobs.active_job(user, kind=JobKind.IMPORT, scope=_job_scope(user))
    if running is None:
        path = jobs.write_private_file(f"upload-{uuid.uuid4().hex}", upload.chunks())
        job, created = jobs.start_job(
            owner=user,
            kind=JobKind.IMPORT,
            scope=_job_scope(user),
            region=user.region or Region.objects.get(code=QUZHOU),
            right=Action.IMPORT_REGISTRY,
            task=import_task,
            task_kwargs={
                "path": str(path),
                "kind": form.cleaned_data["kind"],
                "filename": upload.name,
                "accept_partial": form.cleaned_data["accept_partial"],
                "actor_id": user.pk,
            },
        )
        if not created:  # another tab's upload won meanwhile: this file is not imported
            path.unlink(missing_ok=True)
            running = job
    if running is not None:
        messages.info(request, gettext("您的上一个导入仍在进行，本次上传未导入；请等它完成后再上传"))
        job = running
    return redirect("job_status", job_id=job.pk)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large_page(request, size: int, data=None):
    """The upload page again, with the size refusal on the file field: 413, as a proxy would answer."""
    form = ImportForm(data or {}, MultiValueDict())
    form.is_valid()  # cleaned, so that the size refusal can stand in for "this field is required"
    form.errors.clear()
    form.add_error("file", importers.too_large(size).message)
    return _page(request, form, status=413)


def _template_download(kind: str) -> HttpResponse:
    response = HttpResponse(importers.template_workbook(kind), content_type=XLSX)
    names: dict[str, str] = {
        ImportBatch.Kind.TALENTS: "人才导入模板.xlsx",
        ImportBatch.Kind.ACHIEVEMENTS: "成果导入模板.xlsx",
    }
    name = names.get(kind, "企业导入模板.xlsx")
    response["Content-Disposition"] = _attachment(name, f"rencai-{kind}-template.xlsx")
    return response


def _attachment(name: str, ascii_name: str) -> str:
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _reason_text(reason: dict, english: bool) -> str:
    return reason.get("message_en" if english else "message_zh") or reason.get("message_zh", "")


@login_required
@require_http_methods(["GET"])
def import_report(request, pk: int):
    batch = importers.get_import_batch(request.user, pk)
    english = (get_language() or "").startswith("en")
    if request.GET.get("format") == "xlsx":
        return _rejected_rows_download(batch, english)
    show = request.GET.get("show", "")
    rows = batch.rows if not show else [r for r in batch.rows if r["status"] == show]
    page = Paginator(rows, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry["status_label"] = importers.STATUS_LABELS.get(entry["status"], entry["status"])
        entry["reason_texts"] = [_reason_text(r, english) for r in entry["reasons"]]
    context = {
        "batch": batch,
        "page": page,
        "show": show,
        "query": urlencode({"show": show}) if show else "",
        "accepted_count": batch.total_rows - batch.rejected_count,
        "earlier": importers.earlier_batch_of_same_file(request.user, batch),
        "filters": [
            ("", _("全部")),
            ("rejected", _("错误")),
            ("created", _("新增")),
            ("updated", _("更新")),
            ("unchanged", _("无变化")),
            ("valid", _("校验通过（未写入）")),
        ],
    }
    return render(request, "registry/import_report.html", context)


def _rejected_rows_download(batch: ImportBatch, english: bool) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误行" if not english else "Rejected rows")
    sheet.append(["行号", "记录", "字段", "原因"] if not english else ["Row", "Record", "Field", "Reason"])
    for entry in batch.rows:
        for reason in entry["reasons"]:
            row = [entry["row"], entry["label"], reason.get("field", ""), _reason_text(reason, english)]
            sheet.append(text_row(sheet, row))  # labels and reasons quote the uploaded cells
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = _attachment(
        f"导入错误行-{batch.pk}.xlsx", f"rencai-import-{batch.pk}-rejected.xlsx"
    )
    return response
