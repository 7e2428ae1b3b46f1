"""Home page by role, the API token page (issue, list, revoke) and logout (optionally revoking tokens)."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rencai.accounts import tokens as token_service
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
        _token, key = ApiToken.issue(request.user, name="web")
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked", "-created_at")
    response = render(request, "accounts/api_token.html", {"key": key, "tokens": tokens})
    response["Cache-Control"] = "no-store"  # the new key is on this page once
    return response


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = token_service.revoke_token(actor=request.user, token_id=pk)
    messages.success(request, _("令牌 %(prefix)s… 已注销") % {"prefix": token.prefix})
    return redirect("api_token")


@require_POST
def logout_view(request):
    """Log out; with `revoke_tokens`, every API token of the user stops working too."""
    if request.user.is_authenticated and request.POST.get("revoke_tokens"):
        token_service.revoke_all_tokens(actor=request.user)
    logout(request)
    return redirect("login")
