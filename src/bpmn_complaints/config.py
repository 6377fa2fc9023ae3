"""Configuration defaults. Every key can be overridden by a ``COMPLAINTS_<KEY>`` environment
variable (values are parsed as JSON when they look like JSON) or by the mapping passed to
:func:`bpmn_complaints.create_app`."""

from typing import Any

DEFAULTS: dict[str, Any] = {
    # Database; ``None`` means an SQLite file in the Flask instance folder.
    "SQLALCHEMY_DATABASE_URI": None,
    "SECRET_KEY": "dev-only-change-me",
    # SQLite's durability (PRAGMA synchronous): FULL syncs at every commit, so nothing
    # answered is lost in a power cut; NORMAL is faster and may lose the last commits.
    "SQLITE_SYNCHRONOUS": "FULL",
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
    # The longest one in-process handler call may take in the worker, in seconds, unless
    # its registration says otherwise; past it the call counts as a RetryLater.
    "HANDLER_TIMEOUT_SECONDS": 30,
    # External tasks: the longest a fetch-and-lock request waits for a task (its
    # asyncResponseTimeout is cut to this), and how often it looks meanwhile.
    "EXTERNAL_TASK_MAX_WAIT_SECONDS": 30,
    # How often each web and worker process records the handlers it loaded, and how long a
    # record counts as a running process (deploy checks bindings against those).
    "HANDLER_HEARTBEAT_SECONDS": 30,
    # Handler plugins (distribution names) not to load, without uninstalling them; a task
    # bound to one of their handlers becomes an incident saying so.
    "BLOCKED_PLUGINS": [],
    "HANDLER_PROCESS_STALE_SECONDS": 120,
    "EXTERNAL_TASK_POLL_SECONDS": 0.25,
    # Worker: how long a worker holds a job before others may take it over (seconds).
    "JOB_LOCK_SECONDS": 60,
    "JOB_MAX_ATTEMPTS": 5,
    # The longest one job (firing timers, retrying a handler) may run, in seconds; past it
    # the job stops and becomes an incident, and the worker goes on. None: no limit.
    "JOB_TIME_BUDGET_SECONDS": 30,
    # SQLite only: the longest a worker sleeps before looking for jobs that other
    # processes added (on PostgreSQL a NOTIFY wakes it as soon as one is written).
    "WORKER_POLL_SECONDS": 1.0,
    # A worker whose heartbeat is older than this is taken for gone: /readyz says so, and
    # writers no longer count on it waking (seconds).
    "WORKER_STALE_SECONDS": 300,
    # The audit trail's key, which seals every event and signs the checkpoints: the key
    # itself, or a file holding it (at least 32 bytes), kept outside the database. None of
    # both: derived from SECRET_KEY (then changing SECRET_KEY makes sealed events
    # unverifiable). AUDIT_OLD_KEY_FILES: retired keys whose events must still verify.
    "AUDIT_KEY": None,
    "AUDIT_KEY_FILE": None,
    "AUDIT_OLD_KEY_FILES": [],
    # Where checkpoints of every chain head go (`audit-anchor`), and how often the worker
    # writes one (seconds; None: only when someone runs `audit-anchor`).
    "AUDIT_ANCHOR_DIR": None,
    "AUDIT_ANCHOR_EVERY_SECONDS": None,
    # PostgreSQL: the role the app connects as, if it is not the one that owns the tables
    # and runs the migrations. The migrations let it read and insert audit events only.
    "DATABASE_APP_ROLE": None,
    # Logging (logs.py): "json" lines or "text"; None means text with DEBUG or TESTING and
    # JSON otherwise. LOG_REQUESTS logs one line per request (route pattern, status, time).
    "LOG_FORMAT": None,
    "LOG_LEVEL": "INFO",
    "LOG_REQUESTS": True,
    # /metrics is open to these addresses or networks, and to `Authorization: Bearer
    # <METRICS_TOKEN>` when that is set. A job due for longer than JOB_LATE_SECONDS is late.
    "METRICS_ALLOW": ["127.0.0.1/32", "::1/128"],
    "METRICS_TOKEN": None,
    "JOB_LATE_SECONDS": 60,
    # A worker serves its own figures (jobs, lateness, emails, engine steps) here; None: not.
    "WORKER_METRICS_PORT": None,
    "WORKER_METRICS_HOST": "127.0.0.1",
    # Web pages. SESSION_COOKIE_SECURE None means: Secure unless PUBLIC_BASE_URL is plain
    # http on this machine (127.0.0.1, localhost, [::1]), so production cookies never
    # travel without TLS. Set it to true or false to decide yourself.
    "SESSION_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # Failed sign-ins allowed per account name and per client address (Flask-Limiter
    # syntax; only failures count).
    "LOGIN_RATE_LIMIT_ACCOUNT": "5 per minute;20 per hour",
    "LOGIN_RATE_LIMIT_ADDRESS": "20 per minute;200 per hour",
    # API tokens expire after this many days unless `token NAME --days` says otherwise
    # (0: never). A token's last use is written at most once per this many seconds.
    "TOKEN_EXPIRY_DAYS": 90,
    "TOKEN_LAST_USED_INTERVAL_SECONDS": 300,
    # How long a browser stays on a complaint's status page after its token or code
    # was given, in seconds (the session remembers the reference, never the token).
    "STATUS_ACCESS_SECONDS": 3600,
    # Complaint form submissions per client IP (Flask-Limiter syntax), and where the
    # counters live: memory:// for one process, redis://... when several share the load.
    "SUBMIT_RATE_LIMIT": "5 per minute;50 per day",
    # The hour (UTC, 0-23) the worker sends staff their daily digest; None (the default)
    # sends none. The worker schedules it when it starts.
    "DIGEST_HOUR": None,
    # How often (seconds) the worker rolls the trail up for the heatmap (services/heatmap.py);
    # a heatmap view catches up the rest itself. None: only the views do.
    "HEATMAP_ROLLUP_EVERY_SECONDS": 300,
    # How often (seconds) the worker folds the inbox's kept counts into one row each
    # (models/task_counts.py); None: never (counts stay right, and read more rows).
    "TASK_COUNTS_FOLD_EVERY_SECONDS": 60,
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
    # The largest value (as JSON) a supervisor's repair may set as a process variable.
    "REPAIR_VALUE_MAX_CHARS": 10_000,
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
