"""Django settings for Rencai, configured from the environment with safe defaults."""

import datetime as dt
import json
import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("RENCAI_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("RENCAI_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_from_file(name: str) -> str:
    """A random secret kept under var/, generated on first use, never in the repository."""
    path = VAR_DIR / name
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("RENCAI_SECRET_KEY") or _secret_from_file("secret.key")
DEBUG = os.environ.get("RENCAI_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("RENCAI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# Covering indexes (`Index(include=…)`, the recruitment funnel's) serve PostgreSQL; SQLite builds them as
# plain indexes, which is all it can use. Its warning would otherwise open every command on the default
# database.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

INSTALLED_APPS = [
    "rencai.accounts.apps.RencaiAdminConfig",  # django.contrib.admin, behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the bundled Swagger UI for /api/docs (otherwise it is fetched from a CDN)
    "django_tasks",
    "django_tasks_db",
    "axes",  # login throttling; before rencai.accounts, whose login audit reads what Axes decided
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rencai.core",
    "rencai.accounts",
    "rencai.registry",
    "rencai.policies",
    "rencai.onestop",
    "rencai.evaluation",
    "rencai.recruitment",
    "rencai.analytics",
    "rencai.coordination",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "rencai.core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rencai.core.middleware.RequestSizeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "rencai.accounts.middleware.IdleSessionMiddleware",
    "rencai.accounts.middleware.SecondFactorMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login's answer into the lockout page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "rencai.core.middleware.DomainErrorMiddleware",
    "rencai.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "rencai.urls"
WSGI_APPLICATION = "rencai.wsgi.application"
ASGI_APPLICATION = "rencai.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "rencai.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rencai.sqlite3'}"),
        conn_max_age=int(os.environ.get("RENCAI_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (threads of the browser tests' live server share it), one per test process so that parallel
    # runs in one checkout never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection the server dropped (restart, failover, pg_terminate_backend) is noticed before a request
    # uses it, not by the request failing.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A bounded pool per process (Django's, psycopg_pool), turned on by `rencai serve` for its web workers:
    # request threads share RENCAI_DB_POOL_MAX connections and wait at most RENCAI_DB_POOL_TIMEOUT seconds
    # for one (then 503, see core.middleware). Off by default: commands and tests hold one connection each.
    DB_POOL_MAX = int(os.environ.get("RENCAI_DB_POOL_MAX", "0"))
    if DB_POOL_MAX > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's pool requires it: connections return per request
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DB_POOL_MAX),
            "max_size": DB_POOL_MAX,
            "timeout": float(os.environ.get("RENCAI_DB_POOL_TIMEOUT", "5")),
            "max_idle": 60,  # connections beyond min_size are closed after a minute unused
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# -- Authentication (GB/T 22239-2019 level 3: identification and authentication) ---------------------------
# Passwords: at least 10 characters (12 for officers, reviewers and administrators), three of the four kinds
# (lower case, upper case, digits, others), not a common password, not all digits, not like the user's names.
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "rencai.accounts.passwords.PrivilegedMinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "rencai.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
    {
        "NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "first_name", "last_name", "email")},
    },
]

# Login throttling (django-axes, see rencai.accounts.throttling): RENCAI_LOGIN_FAILURE_LIMIT wrong passwords
# for one username from one address lock that pair out for RENCAI_LOGIN_COOLOFF_MINUTES; each further try
# restarts the wait. `rencai axes_reset_username USERNAME` lifts a lockout early.
AUTHENTICATION_BACKENDS = [
    "rencai.accounts.throttling.ThrottledBackend",  # first: refuses a locked-out pair before any check
    "django.contrib.auth.backends.ModelBackend",
    "rencai.accounts.sso.ProviderBackend",  # single sign-on; passes unless configured (below)
]
AXES_FAILURE_LIMIT = int(os.environ.get("RENCAI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("RENCAI_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rencai.accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "rencai.accounts.throttling.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # successes and failures go to the hash-chained audit log instead
AXES_VERBOSE = False
# Reverse proxies in front of the platform that append the client's address to X-Forwarded-For (0: none, and
# the header is ignored, so that a client cannot forge its address)
RENCAI_TRUSTED_PROXIES = int(os.environ.get("RENCAI_TRUSTED_PROXIES", "0"))

# Sessions: privileged accounts are logged out after RENCAI_IDLE_MINUTES_PRIVILEGED unused (30), everyone
# else after RENCAI_IDLE_MINUTES (120); no session lives longer than RENCAI_SESSION_HOURS (12) however busy
# (rencai.accounts.middleware).
RENCAI_IDLE_SECONDS_PRIVILEGED = 60 * int(os.environ.get("RENCAI_IDLE_MINUTES_PRIVILEGED", "30"))
RENCAI_IDLE_SECONDS = 60 * int(os.environ.get("RENCAI_IDLE_MINUTES", "120"))
SESSION_COOKIE_AGE = 3600 * int(os.environ.get("RENCAI_SESSION_HOURS", "12"))

# Single sign-on through an OpenID Connect provider (rencai.accounts.sso, which documents the claims): off
# unless RENCAI_OIDC_CLIENT_ID and RENCAI_OIDC_ISSUER (or the endpoints one by one) are set. Local passwords
# keep working alongside. RENCAI_OIDC_CLAIMS (JSON) renames claims; RENCAI_OIDC_MFA_AMR / _ACR (comma lists)
# are what the provider asserts when it checked a second factor.
RENCAI_OIDC_ISSUER = os.environ.get("RENCAI_OIDC_ISSUER", "")
RENCAI_OIDC_AUTHORIZATION_ENDPOINT = os.environ.get("RENCAI_OIDC_AUTHORIZATION_ENDPOINT", "")
RENCAI_OIDC_TOKEN_ENDPOINT = os.environ.get("RENCAI_OIDC_TOKEN_ENDPOINT", "")
RENCAI_OIDC_USER_ENDPOINT = os.environ.get("RENCAI_OIDC_USER_ENDPOINT", "")
RENCAI_OIDC_JWKS_ENDPOINT = os.environ.get("RENCAI_OIDC_JWKS_ENDPOINT", "")
RENCAI_OIDC_END_SESSION_ENDPOINT = os.environ.get("RENCAI_OIDC_END_SESSION_ENDPOINT", "")
RENCAI_OIDC_CLIENT_ID = os.environ.get("RENCAI_OIDC_CLIENT_ID", "")
RENCAI_OIDC_CLIENT_SECRET = os.environ.get("RENCAI_OIDC_CLIENT_SECRET", "")
RENCAI_OIDC_SIGN_ALGO = os.environ.get("RENCAI_OIDC_SIGN_ALGO", "RS256")
RENCAI_OIDC_SCOPES = os.environ.get("RENCAI_OIDC_SCOPES", "openid profile email")
RENCAI_OIDC_TIMEOUT = float(os.environ.get("RENCAI_OIDC_TIMEOUT", "10"))
RENCAI_OIDC_CLAIMS = json.loads(os.environ.get("RENCAI_OIDC_CLAIMS", "{}"))
RENCAI_OIDC_MFA_AMR = [v for v in os.environ.get("RENCAI_OIDC_MFA_AMR", "mfa").split(",") if v]
RENCAI_OIDC_MFA_ACR = [v for v in os.environ.get("RENCAI_OIDC_MFA_ACR", "").split(",") if v]

# Second factor for privileged accounts (django-otp, see rencai.accounts.two_factor): always required.
OTP_TOTP_ISSUER = "Rencai"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes in a row, wait 2^(n-1) seconds
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# The policy engine's feature-frame snapshot (see rencai.policies.features); an empty value turns it off.
RENCAI_FRAME_DIR = os.environ.get("RENCAI_FRAME_DIR", str(VAR_DIR / "frames"))

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Personal-data keys: from the environment, or generated once under var/ (never committed).
RENCAI_FIELD_KEY = os.environ.get("RENCAI_FIELD_KEY") or _secret_from_file("field.key")
RENCAI_INDEX_KEY = os.environ.get("RENCAI_INDEX_KEY") or _secret_from_file("index.key")

RENCAI_PAGE_SIZE = 50
RENCAI_IMPORT_MAX_ROWS = 200_000
# A material file given with an application (certificate scan, PDF): at most this many bytes each.
RENCAI_MATERIAL_MAX_BYTES = int(os.environ.get("RENCAI_MATERIAL_MAX_BYTES", str(20 * 1024 * 1024)))
# Any one request's body (an import file is at most 30 MB, a material file 20 MB, an application a few).
RENCAI_MAX_REQUEST_BYTES = int(os.environ.get("RENCAI_MAX_REQUEST_BYTES", str(100 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RENCAI_LOG_LEVEL", "WARNING")},
}


# -- Transport and headers ------------------------------------------------------------------------
# Behind HTTPS (RENCAI_HTTPS=1) cookies are secure, HTTP is redirected and HSTS is sent; behind a proxy
# that terminates TLS, RENCAI_PROXY_SSL_HEADER=1 trusts its X-Forwarded-Proto. `rencai check --deploy` is
# clean with both set (see docs/SECURITY.md).
from csp.constants import NONE, SELF, UNSAFE_INLINE  # noqa: E402

RENCAI_HTTPS = os.environ.get("RENCAI_HTTPS", "0") == "1"
SECURE_SSL_REDIRECT = RENCAI_HTTPS
SESSION_COOKIE_SECURE = RENCAI_HTTPS
CSRF_COOKIE_SECURE = RENCAI_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if RENCAI_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = RENCAI_HTTPS
SECURE_HSTS_PRELOAD = RENCAI_HTTPS
if os.environ.get("RENCAI_PROXY_SSL_HEADER", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token themselves (forms, htmx's hx-headers)
SESSION_COOKIE_HTTPONLY = True
FILE_UPLOAD_PERMISSIONS = 0o600  # uploaded materials are the applicant's and the officers' only
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],  # no inline script anywhere: behaviour lives in static files
        "style-src": [SELF, UNSAFE_INLINE],  # style attributes in templates and those ECharts sets
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # logging out of a single sign-on session redirects the logout form to the provider's end_session
        "form-action": [SELF, *filter(None, [RENCAI_OIDC_ISSUER, RENCAI_OIDC_END_SESSION_ENDPOINT])],
        "frame-ancestors": [NONE],
    }
}
