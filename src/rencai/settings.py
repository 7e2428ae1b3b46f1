"""Django settings for Rencai, configured from the environment with safe defaults."""

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

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "rencai.core",
    "rencai.accounts",
    "rencai.registry",
    "rencai.policies",
    "rencai.onestop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "rencai.core.middleware.DomainErrorMiddleware",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RENCAI_LOG_LEVEL", "WARNING")},
}
