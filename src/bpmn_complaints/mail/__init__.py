"""Email: templates rendered into the transactional outbox, delivered over SMTP by the worker."""

from .outbox import enqueue, enqueue_letter, to_complainant
from .templates import RenderedEmail, render

__all__ = ["RenderedEmail", "enqueue", "enqueue_letter", "render", "to_complainant"]
