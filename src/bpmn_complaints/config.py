"""Configuration defaults. Every key can be overridden by a ``COMPLAINTS_<KEY>`` environment
variable (values are parsed as JSON when they look like JSON) or by the mapping passed to
:func:`bpmn_complaints.create_app`."""

from typing import Any

DEFAULTS: dict[str, Any] = {
    # Database; ``None`` means an SQLite file in the Flask instance folder.
    "SQLALCHEMY_DATABASE_URI": None,
    "SECRET_KEY": "dev-only-change-me",
    # The process that ``POST /api/complaints`` starts (latest deployed version).
    "PROCESS_KEY": "complaint_handling",
    # Outgoing mail (used by the outbox worker).
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    "MAIL_FROM": "complaints@localhost",
    "SMTP_TIMEOUT": 30,
    # Where replies go: every letter's Reply-To. None means MAIL_FROM. "{reference}" in it
    # is filled with the complaint's reference ("replies+{reference}@acme.example"), so a
    # reply is matched to its complaint even when the mail client drops In-Reply-To.
    "MAIL_REPLY_TO": None,
    # Inbound mail (`bpmn-complaints mail-in`): the largest mail taken, and how much of
    # each mail's raw text is kept with it.
    "INBOUND_MAX_BYTES": 10 * 1024 * 1024,
    "INBOUND_RAW_KEEP_BYTES": 256 * 1024,
    # The mailbox `mail-in --imap` polls. IMAP_TLS is "ssl" (port 993), "starttls" or
    # "none" (port 143; only on a loopback or otherwise trusted network).
    "IMAP_HOST": "127.0.0.1",
    "IMAP_PORT": None,
    "IMAP_USERNAME": None,
    "IMAP_PASSWORD": None,
    "IMAP_FOLDER": "INBOX",
    "IMAP_TLS": "ssl",
    "IMAP_POLL_SECONDS": 60,
    # The outbox: attempts before a message is marked failed, and the first retry delay
    # in seconds (doubled after each failure).
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_BACKOFF_SECONDS": 60,
    # A folder searched before web/templates/email, to override any email template.
    "EMAIL_TEMPLATE_FOLDER": None,
    # Where the satisfaction survey lives; {reference} and {signature} are filled in.
    # None means PUBLIC_BASE_URL/feedback/<reference>?sig=<signature>.
    "FEEDBACK_SURVEY_URL": None,
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    # Business calendar for SLA timers: a `holidays` country and subdivision code, plus
    # the organisation's own closure days as ISO dates.
    "CALENDAR_COUNTRY": "GB",
    "CALENDAR_SUBDIVISION": "ENG",
    "CALENDAR_CLOSURES": [],
    # Largest BPMN/DMN/form upload accepted, in bytes (each file).
    "MAX_DEFINITION_BYTES": 2 * 1024 * 1024,
    # Evidence files (ISO 10002 7.6): the largest file in bytes, the most files one complaint
    # holds, the most sent in one request, and where they are kept (None: an "attachments"
    # folder in the Flask instance folder).
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_MAX_COUNT": 20,
    "ATTACHMENTS_PER_REQUEST": 5,
    "ATTACHMENT_FOLDER": None,
    # The largest request body; None means room for ATTACHMENTS_PER_REQUEST files of
    # ATTACHMENT_MAX_BYTES plus 1 MiB of form fields.
    "MAX_CONTENT_LENGTH": None,
    # The most instances one multi-instance activity may create: a literal cardinality
    # beyond it is a deploy error, a larger count or collection at run time an incident.
    "MULTI_INSTANCE_MAX": 1000,
    # How often a service retries a change that lost an optimistic-version race.
    "CONFLICT_RETRIES": 5,
    # Handler failures: attempts before an incident when the diagram sets no retry policy.
    "HANDLER_DEFAULT_RETRIES": 0,
    # Worker: how long a worker holds a job before others may take it over (seconds).
    "JOB_LOCK_SECONDS": 60,
    "JOB_MAX_ATTEMPTS": 5,
    # The longest one job (firing timers, retrying a handler) may run, in seconds; past it
    # the job stops and becomes an incident, and the worker goes on. None: no limit.
    "JOB_TIME_BUDGET_SECONDS": 30,
    # SQLite only: the longest a worker sleeps before looking for jobs that other
    # processes added (on PostgreSQL a NOTIFY wakes it as soon as one is written).
    "WORKER_POLL_SECONDS": 1.0,
    # Web pages. SESSION_COOKIE_SECURE None means: Secure unless PUBLIC_BASE_URL is plain
    # http on this machine (127.0.0.1, localhost, [::1]), so production cookies never
    # travel without TLS. Set it to true or false to decide yourself.
    "SESSION_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # Complaint form submissions per client IP (Flask-Limiter syntax), and where the
    # counters live: memory:// for one process, redis://... when several share the load.
    "SUBMIT_RATE_LIMIT": "5 per minute;50 per day",
    # The hour (UTC, 0-23) the worker sends staff their daily digest; None (the default)
    # sends none. The worker schedules it when it starts.
    "DIGEST_HOUR": None,
    # Wrong reference-and-code lookups per client address (only failures count).
    "STATUS_LOOKUP_RATE_LIMIT": "10 per minute;100 per day",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host.
    # 0 trusts none: a client could forge them. Behind one nginx, set 1, or every
    # complainant shares the proxy's address (and its rate limit).
    "TRUSTED_PROXY_COUNT": 0,
    # What the public "How to complain" page promises (working days, ISO 10002 7.1).
    # Keep them in line with the timers of the deployed process.
    "TARGET_ASSESSMENT_DAYS": 2,
    "TARGET_RESPONSE_DAYS": 20,
    # Days after closure before `bpmn-complaints retention` erases a complaint's personal
    # data (ISO 10002 8.1); None keeps it until someone sets a period.
    "RETENTION_DAYS": None,
    # The longest draft of a task's form kept for a person, in characters of JSON.
    "DRAFT_MAX_CHARS": 100_000,
    # Rows per page in the staff inbox.
    "INBOX_PAGE_SIZE": 25,
    # Lists count exactly up to this many rows and say "10,000+" beyond (services.paging).
    "INBOX_COUNT_BOUND": 10_000,
    # flask-smorest / OpenAPI
    "API_TITLE": "bpmn-complaints",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
        }
    },
    "JSON_SORT_KEYS": False,
}
