"""WSGI entry point for production servers (gunicorn, granian).

Card verification (`POST /api/cards/verify` with a bearer token) is the one path that bypasses Django's
request handling: providers scan thousands of cards a minute and the middleware stack, URL resolution and
HttpRequest/HttpResponse objects cost more than the check itself. The fast path keeps the contract of
`rencai.onestop.verification.verify_view` (same JSON, same errors, 401 without a valid token) and every
other request — including session-authenticated verification from the browser — goes through Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rencai.settings")
django_application = get_wsgi_application()

from rencai.onestop.verification import (  # noqa: E402  (needs Django set up)
    MAX_BODY_BYTES,
    declared_length,
    verify_bearer_request,
)

VERIFY_PATH = "/api/cards/verify"


def _namespaces(resolver, prefix: str = ""):
    yield prefix, resolver
    for name, (_pattern, below) in resolver.namespace_dict.items():
        yield from _namespaces(below, f"{prefix}{name}:")


def _warm_up() -> None:
    """Import the URLconf and fill its reversing tables while the worker starts, before it takes requests:
    the API's schemas are built on import (about two seconds) and the tables of each language and namespace
    on its first `reverse`, costs that would otherwise fall on the first requests a new worker answers."""
    from django.conf import settings
    from django.urls import NoReverseMatch, get_resolver, reverse
    from django.utils import translation

    for language, _name in settings.LANGUAGES:  # the tables are kept per language
        with translation.override(language):
            for prefix, resolver in list(_namespaces(get_resolver())):
                names = [name for name in resolver.reverse_dict if isinstance(name, str)]
                if not names:
                    continue
                try:
                    reverse(prefix + names[0])
                except NoReverseMatch:  # it takes arguments: the namespace's tables are filled all the same
                    pass


_warm_up()


def application(environ, start_response):
    if (
        environ.get("PATH_INFO") == VERIFY_PATH
        and environ.get("REQUEST_METHOD") == "POST"
        and environ.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
    ):
        length = declared_length(environ)
        # a body over the limit (or of no readable length) is left unread and answered 413
        body = environ["wsgi.input"].read(length) if length <= MAX_BODY_BYTES else None
        status, headers, payload = verify_bearer_request(environ["HTTP_AUTHORIZATION"][7:].strip(), body)
        start_response(status, headers)
        return [payload]
    return django_application(environ, start_response)
