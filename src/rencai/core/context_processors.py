"""Navigation entries for the shared layout: each shown to the holders of one action."""

import time

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Action, may
from rencai.core.notifications import unread_after_visit

# (url name, label, the action whose holders see it; None means every signed-in user)
NAVIGATION = [
    ("home", _("首页"), None),
    ("registry:talent_list", _("人才"), Action.BROWSE_REGISTRY),
    ("registry:enterprise_list", _("企业"), Action.BROWSE_REGISTRY),
    ("registry:platform_list", _("人才平台"), Action.BROWSE_REGISTRY),
    ("registry:achievement_list", _("成果"), Action.BROWSE_REGISTRY),
    ("registry:project_list", _("引进项目"), Action.BROWSE_REGISTRY),
    ("registry:academician_list", _("院士"), Action.SEARCH_REGION),
    ("registry:import", _("批量导入"), Action.IMPORT_REGISTRY),
    ("policies:policy_list", _("人才政策"), Action.BROWSE_POLICIES),
    ("policies:my_benefits", _("我的政策红利"), Action.SEE_OWN_BENEFITS),
    # a talent shows the card at a hospital or a bank: one tap from every page
    ("onestop:my_card", _("我的金卡"), Action.SEE_OWN_BENEFITS),
    ("onestop:my_applications", _("我的办事"), (Action.APPLY_FOR_SELF, Action.APPLY_FOR_EMPLOYEE)),
    ("onestop:window_queue", _("综合窗口"), Action.WORK_AT_WINDOW),
    ("onestop:department_queue", _("部门待办"), Action.DECIDE_STEP),
    ("onestop:item_manage", _("服务事项"), Action.MAINTAIN_CATALOGUE),
    ("onestop:dashboard", _("服务看板"), Action.SEE_SERVICE_DASHBOARD),
    ("onestop:provider_home", _("核验与兑付"), Action.REDEEM_VOUCHER),
    ("evaluation:index", _("人才评价"), Action.BROWSE_EVALUATION),
    ("evaluation:cto_register", _("首席技术官"), (Action.NOMINATE_CTO, Action.MANAGE_EVALUATION)),
    ("recruitment:index", _("招才引智"), Action.BROWSE_RECRUITMENT),
    ("analytics:dashboard", _("统计分析"), Action.VIEW_ANALYTICS),
    ("coordination:target_index", _("目标考核"), Action.BROWSE_COORDINATION),
    ("coordination:worklist_index", _("工作台账"), Action.BROWSE_COORDINATION),
    ("coordination:consultation_list", _("征求意见"), Action.COMMENT_ON_DRAFT),
    ("inbox", _("消息"), None),
]


def _shown(user, actions) -> bool:
    if actions is None:
        return True
    if isinstance(actions, tuple):
        return any(may(user, action) for action in actions)
    return may(user, actions)


SETTLED_AT = "rencai_settled_at"
SETTLE_EVERY = 60  # seconds between two looks at which messages' tasks were handled, on other pages


def _settle_now(request) -> bool:
    """Whether this page looks which unread messages' tasks were handled meanwhile: always on the home page
    (where the counts are read), otherwise at most once a minute per session (a list page a person pages
    through should not pay a query per kind of message each time)."""
    if request.path == "/":
        return True
    session = getattr(request, "session", None)
    if session is None:
        return True
    now = time.time()
    last = session.get(SETTLED_AT)
    if last is not None and now - last < SETTLE_EVERY:
        return False
    session[SETTLED_AT] = now
    return True


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for url_name, label, actions in NAVIGATION:
        if not _shown(user, actions):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:  # a part of the platform that is not installed here
            continue
        # opening the page a message links to reads the message: the badge counts what is still unread
        badge = 0
        if url_name == "inbox":
            badge = unread_after_visit(user, request.path, settle=_settle_now(request))
        items.append({"url": url, "label": label, "active": request.path == url, "badge": badge})
    return {"nav_items": items}
