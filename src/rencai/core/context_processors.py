"""Navigation entries for the shared layout, chosen by the user's role."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rencai.core.access import rights_of

# (url name, label, roles that see it; None means every signed-in user)
NAVIGATION = [
    ("home", _("首页"), None),
    (
        "registry:talent_list",
        _("人才"),
        {"city_org_dept", "county_org_dept", "department", "enterprise", "all"},
    ),
    (
        "registry:enterprise_list",
        _("企业"),
        {"city_org_dept", "county_org_dept", "department", "enterprise", "all"},
    ),
    (
        "registry:platform_list",
        _("人才平台"),
        {"city_org_dept", "county_org_dept", "department", "enterprise", "all"},
    ),
    ("registry:academician_list", _("院士"), {"city_org_dept", "county_org_dept", "department", "all"}),
    ("registry:import", _("批量导入"), {"city_org_dept", "county_org_dept", "all"}),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    role = "all" if user.is_superuser else user.role
    items = []
    for url_name, label, roles in NAVIGATION:
        if roles is not None and role not in roles:
            continue
        if url_name == "registry:import" and not rights_of(user).import_registry:
            continue
        items.append({"url": reverse(url_name), "label": label, "active": request.path == reverse(url_name)})
    return {"nav_items": items, "user_rights": rights_of(user)}
