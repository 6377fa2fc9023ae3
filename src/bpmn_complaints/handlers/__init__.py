"""Service-task handlers: the contract, the registry, and the built-in handlers."""

from .registry import HandlerRegistrationError, HandlerRegistry, handler
from .spec import BpmnError, HandlerContext, HandlerIncident, RetryLater

__all__ = [
    "BpmnError",
    "HandlerContext",
    "HandlerIncident",
    "HandlerRegistrationError",
    "HandlerRegistry",
    "RetryLater",
    "handler",
]
