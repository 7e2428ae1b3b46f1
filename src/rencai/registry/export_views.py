"""Downloads of the registry lists as .xlsx, with the same GET filters as the list pages."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, QueryDict
from django.views.decorators.http import require_GET

from rencai.registry import exports
from rencai.registry.selectors import TalentFilters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRUE_VALUES = {"1", "true", "on", "yes"}


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


@login_required
@require_GET
def talent_export(request):
    return _download(exports.export_talents(user=request.user, filters=talent_filters(request.GET)))


@login_required
@require_GET
def enterprise_export(request):
    params = request.GET
    return _download(
        exports.export_enterprises(
            user=request.user,
            q=_text(params, "q"),
            region=_text(params, "region"),
            platform_only=_text(params, "platform_only").lower() in TRUE_VALUES,
        )
    )


@login_required
@require_GET
def platform_export(request):
    params = request.GET
    return _download(
        exports.export_platforms(
            user=request.user,
            q=_text(params, "q"),
            kind=_text(params, "kind"),
            region=_text(params, "region"),
        )
    )


@login_required
@require_GET
def academician_export(request):
    return _download(exports.export_academicians(user=request.user, q=_text(request.GET, "q")))
