"""Pages of a long job: its status (a whole page, or the block htmx polls every second while it runs) and
the file it produced, for its owner."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rencai.core import jobs


@login_required
@require_GET
def job_status(request, job_id: int):
    job = jobs.get_job(request.user, job_id)
    template = "core/_job.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, {"job": job})


@login_required
@require_GET
def job_download(request, job_id: int):
    job = jobs.get_job(request.user, job_id)
    handle = jobs.open_result_file(user=request.user, job=job)
    return FileResponse(handle, as_attachment=True, filename=job.file_name)
