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
