"""Settings for the technology market, read from the environment (django-environ).

With nothing set the site runs for development: SQLite in the project, eager Celery tasks,
local-memory cache and console e-mail. The variables are listed in README.md and
docs/design.md; production needs at least DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL,
REDIS_URL, EMAIL_URL and SITE_URL.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-key-not-for-production-use-0123456789")
else:
    # No silent fallback in production: a missing key must stop the process.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

# GB/T 2260 code of the market's own city, used for "local" statistics (default 青岛).
MARKET_REGION_CODE = env.str("MARKET_REGION_CODE", default="370200")
# Owners re-confirm a listing this often (days); a stale listing is archived after the grace period.
FRESHNESS_DAYS = env.int("FRESHNESS_DAYS", default=180)
FRESHNESS_REMINDER_DAYS = env.int("FRESHNESS_REMINDER_DAYS", default=14)
FRESHNESS_GRACE_DAYS = env.int("FRESHNESS_GRACE_DAYS", default=30)
# The market's name in page titles, e-mails and feeds.
MARKET_NAME = env.str("MARKET_NAME", default="科技大市场")
# The privacy notice (PIPL 个人信息保护法): users consent to this version; changing it asks everyone again.
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", default="2026-11")
# Where people send requests about their personal data (the notice names it).
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="privacy@localhost")

INSTALLED_APPS = [
    # django.contrib.admin with a console that requires the staff second factor (marketplace/otp.py).
    "marketplace.otp.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "axes",
    "csp",
    "django_htmx",
    "import_export",
    "oauth2_provider",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_ratelimit",
    "marketplace",
    "achievements",
    "demands",
    "brokers",
    "pilots",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so that every response gets the headers, the short-circuits of the middlewares below too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff second factor: which device verified this session, then the gate (marketplace/otp.py).
    "django_otp.middleware.OTPMiddleware",
    "marketplace.otp.StaffSecondFactorMiddleware",
    # Idempotency-Key on API POSTs (after authentication: keys belong to the caller).
    "marketplace.api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Re-asks for consent in the workspace after the privacy notice changes.
    "marketplace.privacy.PrivacyConsentMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the final authentication result (django-axes requirement).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a Celery-eager write is in progress.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if not env.bool("POSTGRES_JIT", default=False):
        # PostgreSQL's JIT compiles the statistics console's aggregates (subqueries per contract push
        # the planner's cost over its thresholds) and costs more than it saves: the dashboard's p50
        # at 100,000 contracts halves without it (docs/performance.md, `make bench-stats`).
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
# A UTF-8 template for test databases (pg_trgm ignores Chinese under the C locale).
if env.str("DATABASE_TEST_TEMPLATE", default=""):
    DATABASES["default"]["TEST"] = {"TEMPLATE": env.str("DATABASE_TEST_TEMPLATE")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "marketplace.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out username + IP pairs before any password check.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "marketplace.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "home"

# Language and time: the UI is Chinese, every datetime is aware and shown in Shanghai time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = []
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# `manage.py backup_database` (make backup) writes the dump, the media archive and the manifest here.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))
# Uploaded files are never served by URL: no route and no server maps MEDIA_URL; the
# private-file view checks permission first. (A value is still needed by Django's helpers.)
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "private"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
# Upper bound of one uploaded file, in bytes (PDFs and images).
PRIVATE_FILE_MAX_BYTES = env.int("PRIVATE_FILE_MAX_BYTES", default=20 * 1024 * 1024)

# Cache, Celery broker and throttles share Redis when it is configured.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="market"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: eager in-process without Redis; otherwise late acks so a task lost with its worker
# is delivered again (tasks are written to be safe to run twice).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than the longest task, or Redis hands a running task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)}
# One static beat schedule; run exactly one beat process.
CELERY_BEAT_SCHEDULE = {
    "marketplace.requeue_stale_mail": {
        "task": "marketplace.requeue_stale_mail",
        "schedule": timedelta(minutes=5),
    },
    # Webhook deliveries whose next attempt is due (retries with backoff, lost enqueues).
    "marketplace.retry_webhooks": {
        "task": "marketplace.retry_webhooks",
        "schedule": timedelta(minutes=1),
    },
    "purge-partner-records": {
        "task": "marketplace.purge_partner_records",
        "schedule": crontab(hour=3, minute=15),
    },
    "marketplace.send_saved_search_alerts": {
        "task": "marketplace.send_saved_search_alerts",
        "schedule": timedelta(minutes=15),
    },
    "marketplace.send_notification_digests": {
        "task": "marketplace.send_notification_digests",
        "schedule": crontab(hour=8, minute=0),
    },
    "achievements.send_freshness_reminders": {
        "task": "achievements.send_freshness_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # The featured-achievements digest: weekly on Monday, monthly on the 1st, 07:00 (Asia/Shanghai).
    "achievements.run_weekly_digest": {
        "task": "achievements.run_digest",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
        "args": ("weekly",),
    },
    "achievements.run_monthly_digest": {
        "task": "achievements.run_digest",
        "schedule": crontab(day_of_month=1, hour=7, minute=0),
        "args": ("monthly",),
    },
    "achievements.sweep_digests": {
        "task": "achievements.sweep_digests",
        "schedule": timedelta(minutes=5),
    },
    "achievements.archive_stale": {
        "task": "achievements.archive_stale",
        "schedule": crontab(hour=2, minute=30),
    },
    "achievements.propose_monthly_evaluation": {
        "task": "achievements.propose_monthly_evaluation",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "demands.expire_past_deadline": {
        "task": "demands.expire_past_deadline",
        "schedule": crontab(hour=0, minute=15),
    },
    "demands.send_freshness_reminders": {
        "task": "demands.send_freshness_reminders",
        "schedule": crontab(hour=9, minute=10),
    },
    "demands.close_stale": {
        "task": "demands.close_stale",
        "schedule": crontab(hour=2, minute=45),
    },
    "demands.advance_challenges": {
        "task": "demands.advance_challenges",
        "schedule": timedelta(minutes=10),
    },
    "demands.lapse_pools": {
        "task": "demands.lapse_pools",
        "schedule": timedelta(minutes=30),
    },
    "marketplace.recompute_all_matches": {
        "task": "marketplace.recompute_all_matches",
        "schedule": crontab(hour=3, minute=0),
    },
    "marketplace.send_evaluation_reminders": {
        "task": "marketplace.send_evaluation_reminders",
        "schedule": crontab(hour=9, minute=30),
    },
}

# E-mail: a row per message in the outbox, sent by a Celery task.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="科技大市场 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Attempts before an outgoing mail is marked failed.
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=5)

# Lock-out after repeated failed log-ins, keyed on username + IP so that colleagues behind
# one NAT do not lock each other out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Staff accounts (is_staff, superusers, bureau staff groups) log in with a second factor: a TOTP
# authenticator app or a one-time recovery code (django-otp, marketplace/otp.py). A stolen staff
# password alone must not open the admin console, the statistics console or the review queues.
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = MARKET_NAME
# Each wrong code doubles the wait before the next attempt (1 s, 2 s, 4 s, …): guessing is hopeless.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Keys and QR codes of existing devices never appear in the admin console.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Abuse limits (marketplace/ratelimits.py): "count/period" with period s, m, h or d. Log-in,
# registration, password reset and subscription count per client address; inquiries and
# responses (demand responses, challenge bids, pool pledges) per user; the API per address for
# visitors and per user for sessions (partner applications have PARTNER_RATE instead).
ABUSE_LIMITS = {
    "login": env.str("ABUSE_LIMIT_LOGIN", default="10/m"),
    # Generous enough for a university's lab registering from behind one NAT.
    "register": env.str("ABUSE_LIMIT_REGISTER", default="10/h"),
    "password_reset": env.str("ABUSE_LIMIT_PASSWORD_RESET", default="5/h"),
    "inquiry": env.str("ABUSE_LIMIT_INQUIRY", default="20/h"),
    "response": env.str("ABUSE_LIMIT_RESPONSE", default="20/h"),
    "subscription": env.str("ABUSE_LIMIT_SUBSCRIPTION", default="10/h"),
    "api_anon": env.str("ABUSE_LIMIT_API_ANON", default="60/m"),
    "api_user": env.str("ABUSE_LIMIT_API_USER", default="600/m"),
}
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "marketplace.ratelimits.client_ip"
# django-ratelimit knows Django's own RedisCache (atomic INCR) only as "not officially supported".
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    # Without Redis (development, the embedded single-process default) the local-memory cache is
    # the only one there is; counters are per process, which is what a single process needs.
    # Production sets REDIS_URL, and then this check stays on.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# REST API: /api/v1/, see marketplace/api and docs/design.md for the shape.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Partner systems: bearer tokens from /o/token/, checked against the scope catalogue.
        "marketplace.api.oauth.PartnerTokenAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "marketplace.api.oauth.PartnerRateThrottle",
        # Visitors and session users (ABUSE_LIMITS api_anon / api_user), and the inquiry and
        # response limits on the viewsets that name one (marketplace/ratelimits.py).
        "marketplace.ratelimits.SessionAnonRateThrottle",
        "marketplace.ratelimits.SessionUserRateThrottle",
        "marketplace.ratelimits.AbuseLimitThrottle",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.UpdatedCursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "marketplace.api.schema.MarketAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "COERCE_DECIMAL_TO_STRING": True,
    # Scoped throttles: free-text matching (the views that name them) and partner applications.
    "DEFAULT_THROTTLE_RATES": {
        "match_anon": env.str("MATCH_ANON_RATE", default="20/minute"),
        "match_user": env.str("MATCH_USER_RATE", default="120/minute"),
        # Each partner application, unless staff set its own limit.
        "partner": env.str("PARTNER_RATE", default="1200/minute"),
    },
    "DATETIME_FORMAT": "iso-8601",
}
# Partner systems: OAuth2 client-credentials tokens (django-oauth-toolkit). Scopes come from the
# catalogue in marketplace/scopes.py; each application is limited to the ones staff granted.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("PARTNER_TOKEN_LIFETIME", default=3600),
    "SCOPES_BACKEND_CLASS": "marketplace.api.oauth.PartnerScopes",
    "OAUTH2_VALIDATOR_CLASS": "marketplace.api.oauth.PartnerValidator",
    # RFC 9700 (OAuth 2.0 Security BCP): only client credentials are used; tokens are stored hashed
    # and accepted in the Authorization header only.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Brokers: whether a demand has at most one live engagement (claim) at a time.
BROKERS = {"EXCLUSIVE_DEMAND_CLAIMS": env.bool("BROKER_EXCLUSIVE_CLAIMS", default=True)}
# Pilot bases: the bureau's cap on one facility's subsidy (Dalian: up to 5,000,000 元).
PILOTS = {"SUBSIDY_CAP": env.int("PILOT_SUBSIDY_CAP", default=5_000_000)}
# Events: the bureau's yearly target of events held (Qingdao ~100 a year, Dalian ≥ 100 matchmaking events).
EVENTS = {"YEARLY_TARGET": env.int("EVENTS_YEARLY_TARGET", default=100)}
# Statistics console: the transfer-agency subsidy rate on registered technology amounts (Changzhou ≈ 2%).
STATISTICS = {"AGENCY_SUBSIDY_RATE": Decimal(env.str("STATS_AGENCY_SUBSIDY_RATE", default="0.02"))}
# How long an Idempotency-Key's response is kept for replays.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
# Webhook deliveries: attempts before giving up, and the first retry delay (doubled each time).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Endpoints on loopback, private or link-local addresses (refused in production: they would reach
# the market's own network); allowed in development, where the receiver is often on this machine.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=DEBUG)
SPECTACULAR_SETTINGS = {
    "TITLE": "科技大市场 API",
    "DESCRIPTION": "Regional technology market: achievements, demands, deals and reference data.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names repeat across models ("status", "kind") get named components.
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "marketplace.enums.OrganizationKind",
        "FileKindEnum": "marketplace.enums.FileKind",
        "AchievementStatusEnum": "achievements.enums.Status",
        "PartnerListingStatusEnum": "marketplace.enums.PartnerListingStatus",
        "WebhookEventEnum": "marketplace.services.webhooks.EVENT_CHOICES",
        "AchievementCategoryEnum": "achievements.enums.Category",
        "AchievementSourceEnum": "achievements.enums.Source",
        "TransferModeEnum": "achievements.enums.TransferMode",
        "IPRightKindEnum": "achievements.enums.IPRightKind",
        "IPRightStatusEnum": "achievements.enums.IPRightStatus",
        "InquiryStatusEnum": "achievements.enums.InquiryStatus",
        "DeclineReasonEnum": "achievements.enums.DeclineReason",
        "EvaluationRoundStatusEnum": "marketplace.enums.RoundStatus",
        "AssignmentStatusEnum": "marketplace.enums.AssignmentStatus",
        "ExpertKindEnum": "marketplace.enums.ExpertKind",
        "DealKindEnum": "marketplace.enums.DealKind",
        "DealStageEnum": "marketplace.enums.DealStage",
        "DealOriginEnum": "marketplace.enums.DealOrigin",
        "ContractCategoryEnum": "marketplace.enums.ContractCategory",
        "ContractSubtypeEnum": "marketplace.enums.ContractSubtype",
        "RegistrationStatusEnum": "marketplace.enums.RegistrationStatus",
        "PartyRoleEnum": "marketplace.enums.PartyRole",
        "LegalEntityKindEnum": "marketplace.enums.LegalEntityKind",
    },
}

# Content Security Policy (django-csp 4 format): no inline scripts, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Transport security. HTTPS defaults to on in production; a local compose trial over plain
# HTTP sets HTTPS=0 (see README).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("BEHIND_TLS_PROXY", default=HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Supply–demand matching (marketplace/matching, docs/matching.md). The weights are shared out
# again over the components that apply to a pair; scores run from 0 to 1.
MATCHING = {
    "WEIGHTS": {"lexical": 0.6, "fields": 0.15, "trl": 0.1, "price": 0.07, "region": 0.04, "freshness": 0.04},
    "KEYWORDS": 12,  # keywords of a listing weighed in the score
    "QUERY_TERMS": 8,  # of which at most this many look for candidates …
    "QUERY_MAX_SHARE": 0.01,  # … those held by at most this share of the index …
    "QUERY_MIN_DOCUMENTS": 50,  # … or by at most this many documents
    "CANDIDATES": 200,  # candidates scored per listing
    "LIST_SIZE": 20,  # matches kept per listing
    "MIN_SCORE": env.float("MATCH_MIN_SCORE", default=0.2),  # below: not kept
    "GOOD_SCORE": env.float("MATCH_GOOD_SCORE", default=0.4),  # a demand without one goes to broker triage
    "STRONG_SCORE": env.float("MATCH_STRONG_SCORE", default=0.6),  # its owners are notified
}
