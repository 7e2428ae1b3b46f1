"""Security headers every answer carries besides the Content-Security-Policy (django-csp):

- Permissions-Policy: no page may use the microphone, location, payment or USB; the camera only on our own
  pages (a school scans a gold card's QR code with it).
- Cache-Control: what a logged-in user is shown (personal data, exports, tokens) is never stored by a
  browser or a proxy cache, unless the view chose a policy itself.

`HEADERS` is also applied by the card-check fast path (onestop.verification), which bypasses Django's
middleware for speed.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), interest-cohort=()"
)
NO_STORE = "no-store, private"

# The headers a response gets whatever made it (the fast path adds the CSP of an API answer too).
HEADERS: list[tuple[str, str]] = [
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", NO_STORE),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
]


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = NO_STORE
        return response
