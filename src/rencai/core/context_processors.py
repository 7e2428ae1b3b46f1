"""Navigation entries for the shared layout, chosen by the user's role."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from rencai.core.access import rights_of
from rencai.core.notifications import unread_count

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
    ("policies:policy_list", _("人才政策"), {"city_org_dept", "county_org_dept", "department", "all"}),
    ("policies:my_benefits", _("我的政策红利"), {"talent"}),
    ("onestop:my_applications", _("我的办事"), {"talent", "enterprise"}),
    ("onestop:window_queue", _("综合窗口"), {"city_org_dept", "county_org_dept", "all"}),
    ("onestop:department_queue", _("部门待办"), {"department", "all"}),
    ("onestop:item_manage", _("服务事项"), {"city_org_dept", "county_org_dept", "all"}),
    ("onestop:dashboard", _("服务看板"), {"city_org_dept", "county_org_dept", "all"}),
    ("onestop:provider_home", _("核验与兑付"), {"provider"}),
    ("inbox", _("消息"), None),
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
        try:
            url = reverse(url_name)
        except NoReverseMatch:  # a part of the platform that is not installed here
            continue
        badge = unread_count(user) if url_name == "inbox" else 0
        items.append({"url": url, "label": label, "active": request.path == url, "badge": badge})
    return {"nav_items": items, "user_rights": rights_of(user)}
