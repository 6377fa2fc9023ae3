"""Service-task handlers: the contract, the registry, and the built-in handlers."""

from .registry import HandlerRegistrationError, HandlerRegistry, handler
from .spec import (
                   BpmnError,
                   ComplaintView,
                   DefinitionInfo,
                   Handler,
                   HandlerContext,
                   HandlerIncident,
                   HostServices,
                   RetryLater,
                   TaskInfo,
                   WaitsAfter,
)

__all__ = [
    "BpmnError",
    "ComplaintView",
    "DefinitionInfo",
    "Handler",
    "HandlerContext",
    "HandlerIncident",
    "HandlerRegistrationError",
    "HandlerRegistry",
    "HostServices",
    "RetryLater",
    "TaskInfo",
    "WaitsAfter",
    "handler",
]
