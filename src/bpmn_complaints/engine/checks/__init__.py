"""The deploy checks that read a bundle as a whole, run by every deploy path (the Check
button, ``bpmn-complaints deploy`` and ``POST /api/definitions``) after the per-element
checks of :class:`..lint.Linter`.

A check is a function that takes the :class:`..lint.Linter` (the bundle's files and parsed
roots) and reports through ``linter.add`` (an error: it blocks the deploy) or
``linter.warn`` (shown, and kept with the version). To add one, write a module here and
list its function in :data:`CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..lint import Linter
from . import dialect_attributes, drift, durations, flow, variables

Check = Callable[[Linter], None]

CHECKS: tuple[Check, ...] = (
    flow.check,
    durations.check,
    variables.check,
    dialect_attributes.check,
    drift.check,
)


def run_checks(linter: Linter) -> None:
    for check in CHECKS:
        check(linter)


__all__ = ["CHECKS", "Check", "run_checks"]
