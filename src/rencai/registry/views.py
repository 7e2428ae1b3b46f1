"""Registry pages (placeholder until the UI lands)."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("todo")


talent_list = talent_export = talent_detail = talent_reveal = _todo
enterprise_list = enterprise_export = enterprise_detail = _todo
platform_list = platform_export = platform_detail = _todo
academician_list = academician_export = academician_detail = _todo
import_upload = import_report = _todo
