"""Core pages: the in-app inbox."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rencai.core import notifications


@login_required
def inbox(request):
    messages = notifications.inbox_for(request.user).only(
        "id", "subject", "body", "link", "kind", "created_at", "read_at"
    )
    page = Paginator(messages, settings.RENCAI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/inbox.html",
        {"page": page, "query": "", "unread": notifications.unread_count(request.user)},
    )


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
