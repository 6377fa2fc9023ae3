"""bpmn-complaints: ISO 10002:2018 complaints handling on the SpiffWorkflow BPMN engine."""

from .app import create_app

__all__ = ["create_app"]
