"""Turn what a request raises into an answer the user can act on, never a stack trace.

- Domain errors become a page in the user's language (the API renders its own, see rencai.api).
- The database being out of reach becomes 503 with Retry-After: a connection the server dropped, a server
  restarting, every pooled connection busy (psycopg_pool's PoolTimeout, which Django raises as its
  OperationalError) or a lock or deadlock timeout. These pass, so the client is told to retry rather than
  that the platform is broken, and the broken connection is dropped so the next request opens a fresh one.
  A view's error reaches `DatabaseUnavailableMiddleware`; one raised in a middleware (the session read for
  `request.user` by the session and second-factor checks, the session saved on the way out) never reaches
  a middleware's process_exception, so `server_error`, the root URLconf's handler500, answers it the same.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import defaults

from rencai.core.errors import DomainError, ErrorCode

try:
    import psycopg
except ImportError:  # an installation on SQLite only
    psycopg = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

# Django's wrappers, and psycopg's own for code that talks to a psycopg connection directly (the card check)
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
if psycopg is not None:
    DATABASE_UNAVAILABLE += (psycopg.OperationalError, psycopg.InterfaceError)


def database_unavailable() -> DomainError:
    return DomainError(
        ErrorCode.UNAVAILABLE,
        f"系统繁忙或数据库暂时不可用，请{RETRY_AFTER_SECONDS}秒后重试",
        f"The service is busy or its database briefly unavailable; retry in {RETRY_AFTER_SECONDS} seconds",
    )


def drop_broken_connections() -> None:
    """Close this thread's connections that failed, so that the next request opens fresh ones (or, pooled,
    hands them back to the pool, which checks them before lending them again)."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.in_atomic_block:
            connection.close()


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return render(request, "error.html", {"error": exception}, status=exception.status)
        return None


class RequestSizeMiddleware:
    """413 before a byte of the body is read when a request declares more than RENCAI_MAX_REQUEST_BYTES
    (uploads are otherwise streamed to disk whatever their size; each upload has its own, smaller limit
    checked where it is read: an import file, a material file). It runs after authentication, so that the
    page has its navigation, and before any view or the CSRF check reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.RENCAI_MAX_REQUEST_BYTES
        if declared.isdigit() and int(declared) > limit:
            megabytes = limit // 1024 // 1024
            error = DomainError(
                ErrorCode.REQUEST_TOO_LARGE,
                f"请求过大：一次提交的内容不能超过 {megabytes} MB，请减少或压缩文件后重试",
                f"The request is too large: at most {megabytes} MB can be sent at once; send fewer or "
                "smaller files",
            )
            if request.path.startswith("/api/"):
                return JsonResponse(error.as_dict(), status=413, json_dumps_params={"ensure_ascii": False})
            return render(request, "error.html", {"error": error}, status=413)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """503 with Retry-After when the database cannot be reached: JSON under /api/, a small page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        return database_unavailable_response(request, exception)


def server_error(request):
    """handler500: an error that escaped everything else, the database's included (see the module's
    docstring): 503 for the database being unavailable, Django's plain 500 page for anything else."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        return database_unavailable_response(request, error)
    return defaults.server_error(request)


def database_unavailable_response(request, error: Exception) -> HttpResponse:
    """The 503 answer. The page is rendered without the request's context processors: those read the
    database (navigation, unread notifications), which is what just failed."""
    logger.warning("%s %s: database unavailable: %s", request.method, request.path, error)
    drop_broken_connections()
    unavailable = database_unavailable()
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(unavailable.as_dict(), status=503, json_dumps_params={"ensure_ascii": False})
    else:
        page = render_to_string("503.html", {"error": unavailable, "retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
