"""Core pages: the in-app inbox, the site's icon."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_POST

from rencai.core import notifications


@login_required
def inbox(request):
    # A message whose task is done (a step decided by a colleague, an offer answered) is read, not waiting
    notifications.settle_handled(request.user)
    messages = notifications.inbox_for(request.user).only(
        "id", "subject", "body", "link", "kind", "created_at", "read_at"
    )
    page = Paginator(messages, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": "",
        "unread": notifications.unread_count(request.user),
        "handled": notifications.handled_ids(page.object_list),
    }
    return render(request, "core/inbox.html", context)


@require_POST
@login_required
def inbox_mark_read(request, notification_id: int):
    notifications.mark_read(user=request.user, notification_id=notification_id)
    return _back_to_inbox(request)


@require_POST
@login_required
def inbox_mark_all_read(request):
    notifications.mark_read(user=request.user)
    return _back_to_inbox(request)


def _back_to_inbox(request):
    target = request.POST.get("next", "")
    # Only follow links inside the site (a message's own link), never to another host.
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("inbox")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin site's): answer with the site's
    icon rather than a 404 in every console."""
    return redirect(static("rencai/favicon.svg"), permanent=True)
