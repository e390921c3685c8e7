"""Settings for ce-portal, read from the environment.

Embedded default (nothing set): SQLite file in the project folder and Celery on kombu's filesystem
transport, so the demo runs a real worker and beat without any server. With DATABASE_URL and REDIS_URL
set, the same code runs on PostgreSQL + Redis (the production shape in docker-compose.yml).
"""
import os
from pathlib import Path

import dj_database_url
import jinja2
from celery.schedules import crontab
from csp.constants import NONE, SELF
from kombu import Queue

from ce_portal.env import (
    DEV_FIELD_ENCRYPTION_KEY, DEV_ID_NUMBER_HASH_KEY, DEV_SECRET_KEY, check_personal_data_keys,
    check_production_safety, env_bool, env_list, env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = env_str("CE_PORTAL_ENV", "development")  # "development" | "production"
DEBUG = env_bool("DEBUG", ENVIRONMENT != "production")
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
check_production_safety(environment=ENVIRONMENT, secret_key=SECRET_KEY, debug=DEBUG)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The server secret that signs certificate verification codes; separate from SECRET_KEY so it can rotate alone.
CERTIFICATE_HMAC_KEY = env_str("CERTIFICATE_HMAC_KEY", SECRET_KEY)
# The first year whose hours this portal holds (the notice's year by default): for an earlier year it has no
# record of anyone, and says so rather than "not compliant" (docs/rules.md, rule 10).
RECORDS_SINCE = int(env_str("RECORDS_SINCE", "2023"))
# ID and phone numbers at rest (ce_portal/crypto.py, docs/personal-data.md): Fernet keys, newest first, and the
# separate key of the ID numbers' look-up digest. Changing ID_NUMBER_HASH_KEY orphans every digest: it is kept.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [DEV_FIELD_ENCRYPTION_KEY])
ID_NUMBER_HASH_KEY = env_str("ID_NUMBER_HASH_KEY", DEV_ID_NUMBER_HASH_KEY)
check_personal_data_keys(environment=ENVIRONMENT, encryption_keys=FIELD_ENCRYPTION_KEYS, hash_key=ID_NUMBER_HASH_KEY)
# 500 mails and DEBUG pages hide ID and phone numbers (form fields, variables) as they hide keys.
DEFAULT_EXCEPTION_REPORTER_FILTER = "ce_portal.error_reports.PersonalDataReporterFilter"
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # Bureau users' API tokens (the compliance look-up for title-evaluation systems); created in the admin.
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "pgtrigger",
    "axes",
    "csp",
    # ce_portal itself: the shared template tags and the demo commands.
    "ce_portal",
    "records",
    "audits",
    "platforms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body (the CSRF check reads the whole form): REQUEST_BODY_LIMITS below.
    "ce_portal.http.RequestBodyLimitMiddleware",
    # Serves /static/ from gunicorn too, so the demo and a small deployment need no separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ce_portal.middleware.api_errors_as_json",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: a one-time password reaches nothing but the password change page.
    "records.people.middleware.must_change_password",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ce_portal.urls"
WSGI_APPLICATION = "ce_portal.wsgi.application"
ASGI_APPLICATION = "ce_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "records.people.views.nav_context",
            ],
            "builtins": ["ce_portal.templatetags.portal"],
        },
    },
    # The hottest fragments — the rows of the review queue and of the compliance list, the <select>s of
    # their filters — in Jinja2, which renders a 50-row table ≈ 2.5× faster than the engine above (docs/measurements.md)
    # and escapes the same way. Pages include them with {% jinja %} (ce_portal/templatetags/jinja.py).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "autoescape": True,
            # A misspelt or renamed attribute fails the page (and its tests) instead of leaving a blank cell.
            "undefined": jinja2.StrictUndefined,
            "environment": "ce_portal.jinja_env.environment",
            "trim_blocks": True,
            "lstrip_blocks": True,
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'ce_portal.sqlite3'}"),
        # Persistent connections: a new PostgreSQL connection costs ≈5 ms per request (docs/measurements.md).
        conn_max_age=int(env_str("CONN_MAX_AGE", "60")),
        # A connection that died with a database restart is noticed and replaced at the next request's first
        # query, so the portal recovers without a restart of its own (tests/test_faults.py).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # While the database is unreachable a request gives up quickly and says so (ce_portal/outage.py),
    # rather than holding a web worker for the operating system's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The demo runs web, worker and beat against one SQLite file: wait for locks rather than fail. A deferred
    # transaction that reads and then writes cannot wait (SQLite answers "database is locked" at once to
    # avoid a deadlock), so every transaction takes the write lock when it begins: the second of two
    # reviewers then waits, sees the first one's decision and is told so, as on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;",
    }

# A streaming replica for the heavy reads (ce_portal/replica.py, docs/scaling.md): the same database on a
# standby server. Used while it answers and is at most REPLICA_MAX_LAG_SECONDS behind, checked every
# REPLICA_CHECK_SECONDS per process; otherwise those reads go to the primary.
if env_str("REPLICA_DATABASE_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("REPLICA_DATABASE_URL"), conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True,
    )
    # A replica that does not answer at once is passed over, not waited for.
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 1
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
REPLICA_MAX_LAG_SECONDS = float(env_str("REPLICA_MAX_LAG_SECONDS", "30"))
REPLICA_CHECK_SECONDS = float(env_str("REPLICA_CHECK_SECONDS", "5"))
DATABASE_ROUTERS = ["ce_portal.replica.ReplicaRouter"]
# Behind PgBouncer in transaction mode (docs/scaling.md) a server connection serves one transaction and then
# another client, so nothing may outlive a transaction on it: no server-side cursors (Django's .iterator()
# would declare one WITH HOLD and fetch from it later) and no prepared statements (psycopg prepares a query
# it has run five times, on a server connection the next transaction may not get).
if env_bool("DATABASE_POOLER_TRANSACTION_MODE", False):
    for database in DATABASES.values():
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Lets inactive (pending) accounts reach the form's confirm_login_allowed, which explains why they
    # cannot log in yet instead of the generic "wrong password".
    "django.contrib.auth.backends.AllowAllUsersModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# A password reset link works for a day (Django's default is three): long enough to find the mail, short enough
# that an old mailbox leaks little. Used once only, whatever the time (the token covers the password's hash).
PASSWORD_RESET_TIMEOUT = 24 * 3600
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed log-ins lock the pair (username, client address), so nobody can lock a colleague out from their own
# desk, nor a whole hospital behind one address; many names failing from one address lock that address
# (LOGIN_ADDRESS_FAILURE_LIMIT). The counting and the page: ce_portal/lockout.py.
AXES_FAILURE_LIMIT = int(env_str("AXES_FAILURE_LIMIT", "10"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(env_str("LOGIN_ADDRESS_FAILURE_LIMIT", "50"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "ce_portal.lockout.PairAndAddressLockoutHandler"
AXES_LOCKOUT_CALLABLE = "ce_portal.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "ce_portal.http.client_ip"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# How many reverse proxies of ours stand in front of the portal, each appending to X-Forwarded-For: the
# client's address is the entry the first of them wrote (ce_portal/http.py). 0, the embedded default, trusts
# no header: a client could otherwise name any address it likes, and dodge every per-address limit.
TRUSTED_PROXY_COUNT = int(env_str("TRUSTED_PROXY_COUNT", "0"))
AXES_VERBOSE = False  # no banner from every process at start-up

# Simplified Chinese only: the users are the city's officials and professionals, and no string of ours is
# marked for translation. USE_I18N stays on for Django's own texts (form errors, the admin) in Chinese.
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
# Uploaded evidence lives here and is never served as static files: a download view checks scope.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media-not-served/"

# Without a mail server configured (the demo), each mail is a file in EMAIL_FILE_PATH, var/mail/: a password
# reset link is read there, and no mail is printed among the seed's or the server's output. Production names
# EMAIL_HOST.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if "EMAIL_HOST" in os.environ
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ce-portal@localhost")

# The largest body each page accepts, refused (413) before it is read (ce_portal/http.py): Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE counts form fields, not uploaded files. First matching path pattern wins;
# tests/portal/test_request_body_limit.py keeps these in step with the limits the parts check themselves.
_MB = 1024 * 1024
REQUEST_BODY_LIMITS = [
    # A claim with its evidence: 50 MB of files at most (records/hours/rules.py MAX_UPLOAD_BYTES), the form's
    # fields, the boundaries.
    (r"^/me/claims/(new|\d+/edit)/$", 51 * _MB),
    # One corrected evidence file: a video of 50 MB at most (records/hours/rules.py MAX_VIDEO_BYTES).
    (r"^/me/evidence/\d+/correct/$", 51 * _MB),
    # An announcement's attachment of 10 MB (records/announcements/rules.py MAX_ATTACHMENT_BYTES) and its text.
    (r"^/announcements/(new|\d+/edit)/$", 11 * _MB),
    # A staff import file of 2 MB (records/people/rules.py MAX_FILE_BYTES).
    (r"^/unit/staff/import/$", 3 * _MB),
    # A batch of platform records (platforms/ingest/rules.py MAX_BODY_BYTES): the same 413 as its parser's.
    (r"^/api/v1/platform/", 4 * _MB),
]
# Everything else is a form or a small JSON body; just above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which
# then keeps answering for the fields of a form.
REQUEST_BODY_DEFAULT_LIMIT = 3 * _MB

# --- Browser security --------------------------------------------------------------------------------------
# Scripts, styles, images and fonts from the portal's own static files only: no inline <script>, no on…=
# attributes, no style= attributes (htmx's own indicator style is off, templates/partials/htmx.html), no eval,
# nothing from another site (the portal runs on a closed network anyway), and no page of ours in a frame.
# An injected tag or attribute then does nothing. Bars and progress are SVG attributes or set from static JS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}
# A person who leaves a shared office computer is logged out after a working day without a click: the
# session's 8 hours start again at every request (so a day's steady work is never interrupted).
SESSION_COOKIE_AGE = 8 * 3600
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SECURE = ENVIRONMENT == "production"
CSRF_COOKIE_SECURE = ENVIRONMENT == "production"
if ENVIRONMENT == "production":
    # Production sits behind a reverse proxy that ends TLS and says so in X-Forwarded-Proto (it must set or
    # strip that header): plain HTTP is redirected, and browsers are told to use HTTPS only for a year.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# --- Celery ---------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
CELERY_FILESYSTEM_DIR = Path(env_str("CELERY_FILESYSTEM_DIR", str(BASE_DIR / "var" / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Redis down must not stop filing or deciding: the cache then answers as empty (ce_portal/cache.py), and
    # a connection attempt gives up within a second instead of holding the request.
    CACHES = {"default": {"BACKEND": "ce_portal.cache.FailSoftRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1}
    # Every page reads the session: from the shared Redis cache, written through to the database. Not with
    # the per-process cache below, where one process would keep a session another had ended.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # kombu's filesystem transport: a real broker in a folder, so the demo's worker and beat are the same
    # processes as in production and periodic jobs really fire, without a Redis server.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        # broadcast (inspect/ping) messages; kombu's default is a "control" folder in the working directory
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered page parts whose key names everything they are made of (the monitors' bodies: figures version,
# day, scope), so no process can serve a stale one: kept in each process's memory, where a hit costs
# nothing, rather than fetched from Redis on every request (≈ 0.5 ms of CPU a monitor page).
CACHES["pages"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages",
                   "OPTIONS": {"MAX_ENTRIES": 512}}
CELERY_TIMEZONE = TIME_ZONE
# Acknowledged after the task ran, so a message Redis handed to a worker that died is handed out again (after
# the visibility timeout). reject_on_worker_lost stays off: the database row, not the message, says what is
# left to do, and the sweep (ce_portal/jobs.py) re-queues a stalled job on both brokers (the filesystem one
# cannot redeliver at all); redelivering every message of a dead worker at once would also replay a job
# that kills its worker (too big for memory) without bound.
# Queues by kind of work, so a long export or a unit's ZIP of certificates never waits in front of the
# overdue marking: `timers` (overdue, reminders, digests, mail, sweeps: short, on the clock, the default),
# `reports` (certificate renders and bundles, exports), `screening` (the nightly scan); the shortfall coach, long and rare, goes with the reports. A worker without -Q
# takes all three (scripts/demo); docker-compose.yml runs one worker per queue. Ingestion has no queue: a
# platform's batch is written and credited inside its request, so its answer says what was kept.
CELERY_TASK_DEFAULT_QUEUE = "timers"
CELERY_TASK_QUEUES = [Queue("timers"), Queue("reports"), Queue("screening")]
CELERY_TASK_ROUTES = {
    "records.certificates.tasks.certificate_render_task": {"queue": "reports"},
    "records.certificates.tasks.certificate_bundle_task": {"queue": "reports"},
    "records.compliance.tasks.compliance_export_task": {"queue": "reports"},
    "audits.screening.tasks.screen_incremental": {"queue": "screening"},
    # Three mornings a year, a minute or so for the whole city: long enough to keep off the timers' queue.
    "audits.coach.tasks.send_shortfall_messages": {"queue": "reports"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queueing from a request: one quick try, then ce_portal/queue.py logs and drops the message, and the sweep
# queues it again from its row. Celery's default would retry for about a second and a half per message.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Periodic jobs; the database is the truth for every deadline, so each job may run late or twice. Times are
# Asia/Shanghai (CELERY_TIMEZONE). A frequent job's message expires before its next run, so a worker that
# was down does not face a pile of identical jobs: the next one catches up on everything anyway.
CELERY_BEAT_SCHEDULE: dict = {
    "mark-overdue": {
        "task": "audits.review.tasks.mark_overdue_claims", "schedule": crontab(minute="*/15"), "options": {"expires": 14 * 60},
    },
    # Right after midnight, so claims due yesterday are flagged before anyone opens a queue.
    "mark-overdue-after-midnight": {"task": "audits.review.tasks.mark_overdue_claims", "schedule": crontab(hour=0, minute=5)},
    # Training plans wait on the same 5-working-day clock (rule 7): flagged overdue as claims are.
    "mark-overdue-plans": {
        "task": "records.plans.tasks.mark_overdue_plans", "schedule": crontab(minute="*/15"), "options": {"expires": 14 * 60},
    },
    "refresh-monitor": {
        "task": "audits.monitor.tasks.refresh_overdue_snapshot", "schedule": crontab(minute="7,22,37,52"),
        "options": {"expires": 14 * 60},
    },
    # The day's last figures: the point the monitors' chart keeps for today.
    "snapshot-end-of-day": {"task": "audits.monitor.tasks.refresh_overdue_snapshot", "schedule": crontab(hour=23, minute=55)},
    # The reviewers' morning list. Every day: whether it is a working morning (a 调休 Saturday is) is the
    # working calendar's to say, which `send_due_reminders` asks; a crontab cannot know.
    "due-reminders": {"task": "audits.review.tasks.remind_due_reviews", "schedule": crontab(hour=8, minute=0)},
    # Decisions reach the person by mail within minutes; a notice a mail outage held up goes out on a later run.
    "mail-notifications": {
        "task": "audits.review.tasks.mail_pending_notifications", "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    "overdue-digest": {"task": "audits.monitor.tasks.send_overdue_digests", "schedule": crontab(hour=8, minute=30)},
    # The shortfall coach: a third of the year left, then two months and one before the filing close.
    "shortfall-coach": {
        "task": "audits.coach.tasks.send_shortfall_messages",
        "schedule": crontab(hour=9, minute=0, day_of_month=1, month_of_year="9,11,12"),
    },
    # In the quiet of the night: the day's new claims screened against every earlier one.
    "screening": {"task": "audits.screening.tasks.screen_incremental", "schedule": crontab(hour=2, minute=0)},
    # Background work whose worker died or whose message was lost (Redis down, or the filesystem broker, which
    # forgets a message once taken) is queued again from its row, or failed once out of attempts (ce_portal/jobs.py).
    "sweep-stalled-downloads": {
        "task": "ce_portal.tasks.sweep_stalled_downloads", "schedule": crontab(minute="*/5"), "options": {"expires": 4 * 60},
    },
    "sweep-stalled-renders": {
        "task": "records.certificates.tasks.sweep_stalled_renders", "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # A calendar edit queues the recompute; if the broker was down then, the night's run catches up.
    "recompute-due-dates": {
        "task": "audits.review.tasks.recompute_due_dates", "schedule": crontab(hour=0, minute=1),
    },
    # Every night, so next year's partitions exist long before its first record (ce_portal/partitions.py).
    "create-year-partitions": {"task": "ce_portal.tasks.create_year_partitions", "schedule": crontab(hour=3, minute=20)},
    "purge-expired-downloads": {"task": "ce_portal.tasks.purge_expired_downloads", "schedule": crontab(hour=3, minute=30)},
    # Evidence kept from claim forms that were never saved (records/hours/services.py staged_evidence_purge).
    "purge-staged-evidence": {
        "task": "records.hours.tasks.purge_staged_evidence", "schedule": crontab(hour=3, minute=40),
    },
    # Files a crash or a rollback left behind with no row naming them (ce_portal/storage.py).
    "sweep-orphan-files": {"task": "ce_portal.tasks.sweep_orphan_files", "schedule": crontab(hour=3, minute=45)},
}

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "ce_portal.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ce-portal API",
    "DESCRIPTION": "平顶山市专业技术人员继续教育学时管理平台接口",
    "VERSION": "1.0.0",
    # The schema documents the API, not the address it is served from.
    "SERVE_INCLUDE_SCHEMA": False,
    # Vendored Swagger UI: the portal must work on a closed government network (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every rendering step at INFO; only its warnings (e.g. a missing glyph) matter.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}

# The demo's SQLite cannot express RoleMembership's NULLS NOT DISTINCT uniqueness; PostgreSQL enforces it.
SILENCED_SYSTEM_CHECKS = [
    "models.W047",
    # HSTS preload (W021) puts the domain, with every subdomain, into the browsers' built-in lists: a decision
    # for the bureau that owns the domain, submitted by hand and slow to undo, not a setting of this portal.
    "security.W021",
]
