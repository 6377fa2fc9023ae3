"""Email templates: ``email/<name>.txt`` (required) and ``email/<name>.html`` (optional).

The plain-text part sets the subject with a top-level ``{% set subject = "..." %}``.
Templates are looked up first in the folder named by ``EMAIL_TEMPLATE_FOLDER`` (so an
organisation overrides one email by dropping a file of the same name there), then in
``web/templates/email``. The HTML part is autoescaped; the text part is not. An unknown
variable is an error, never a silent blank.
"""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    Undefined,
    select_autoescape,
)

from .. import status_code


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None


def longdate(value) -> str:
    """``Tuesday 22 December 2026`` from a date, a datetime or an ISO string."""
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming the missing variable
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, date):
        raise TypeError(f"longdate needs a date, not {value!r}")
    return f"{value:%A} {value.day} {value:%B %Y}"


def _environment() -> Environment:
    pages = current_app.template_folder
    assert pages is not None, "create_app sets the template folder"
    folders = [Path(pages) / "email"]
    override = current_app.config.get("EMAIL_TEMPLATE_FOLDER")
    if override:
        folders.insert(0, Path(override))
    key = tuple(str(f) for f in folders)
    cache = current_app.extensions.setdefault("complaints_email_env", {})
    if key not in cache:
        cache[key] = Environment(
            loader=ChoiceLoader([FileSystemLoader(f) for f in key]),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
            undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        )
        cache[key].filters["longdate"] = longdate
        cache[key].filters["status_code"] = lambda code: status_code.display(code or "")
    return cache[key]


def render(name: str, **context) -> RenderedEmail:
    """Render the email ``name`` with ``context``.

    :raises TemplateNotFound: if there is no ``<name>.txt``.
    :raises jinja2.UndefinedError: if the template uses a variable it was not given.
    """
    env = _environment()
    text_module = env.get_template(f"{name}.txt").make_module(context)
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    if not subject:
        raise ValueError(f"email template {name}.txt sets no subject ({{% set subject = '...' %}})")
    try:
        html = env.get_template(f"{name}.html").render(context, subject=subject)
    except TemplateNotFound:
        html = None
    return RenderedEmail(subject=subject, text=str(text_module).strip() + "\n", html=html)
