"""Email: templates rendered into the transactional outbox, delivered over SMTP by the worker."""

from .outbox import enqueue
from .templates import RenderedEmail, render

__all__ = ["RenderedEmail", "enqueue", "render"]
