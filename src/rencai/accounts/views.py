"""Home page by role, and the page that issues an API token."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from rencai.accounts.home import panels_for
from rencai.accounts.models import ApiToken


@login_required
def home(request):
    user = request.user
    context = {
        "role_label": user.get_role_display() if user.role else "",
        "home_panels": panels_for(user),
    }
    return render(request, "accounts/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    key = None
    if request.method == "POST":
        _, key = ApiToken.issue(request.user, name="web")
    tokens = ApiToken.objects.filter(user=request.user, revoked=False).order_by("-created_at")
    return render(request, "accounts/api_token.html", {"key": key, "tokens": tokens})
