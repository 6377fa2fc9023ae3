"""Session-level helpers above the models: one change as one transaction, and the
announcement that wakes sleeping workers."""

from .notify import announce
from .transaction import run_change, write_apart

__all__ = ["announce", "run_change", "write_apart"]
