"""Every problem SpiffWorkflow's parser finds, not only the first.

SpiffWorkflow parses a process from its start event and stops at the first element it
cannot parse, so a second problem would show only after the first is fixed. When the
normal parse fails, :func:`sweep` parses each process and sub-process on its own, and
each of their elements on its own, and collects every error with its file and element.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .checks.graph import CONTAINERS, FLOW_NODES, executable_processes, local
from .lint import Problem
from .parser import ComplaintsBpmnParser

if TYPE_CHECKING:
    from lxml.etree import _Element


def as_problem(err: Exception, file: str | None = None) -> Problem:
    """A parser exception as a problem naming its file and element."""
    if isinstance(err, ValidationException):
        message = str(err).rstrip(". ")
        if message.endswith(" of type") and err.tag:
            # SpiffWorkflow leaves the element type off the end of some messages.
            message = f"{message} {err.tag}: split the flow with a gateway after it"
        return Problem(err.file_name or file, err.id or None, message)
    return Problem(file, None, f"{type(err).__name__}: {err}".rstrip(". "))


def sweep(bpmn_roots: dict[str, _Element], dmn_roots: dict[str, _Element]) -> list[Problem]:
    """Parse every element of every executable process separately; each failure once."""
    parser = ComplaintsBpmnParser()
    found: dict[tuple[str | None, str | None, str], Problem] = {}

    def keep(err: Exception, file: str) -> None:
        problem = as_problem(err, file)
        found.setdefault((problem.file, problem.element, problem.message), problem)

    for name, root in dmn_roots.items():
        try:
            parser.add_dmn_xml(root, filename=name)
        except Exception:  # noqa: S112 - the normal parse has reported it
            continue
    for name, root in bpmn_roots.items():
        try:
            parser.add_bpmn_xml(root, filename=name)
        except Exception:  # noqa: S112 - the normal parse has reported it
            continue
        for process in executable_processes(root):
            for container in process.iter(*(f"{{*}}{kind}" for kind in CONTAINERS)):
                _sweep_container(parser, container, name, keep)
    return list(found.values())


def _sweep_container(parser: ComplaintsBpmnParser, container: _Element, file: str, keep) -> None:  # type: ignore[no-untyped-def]
    cid = container.get("id")
    try:
        if cid not in parser.process_parsers:
            parser.create_parser(container, filename=file)
        process_parser = parser.process_parsers[cid]
        process_parser.spec = process_parser.create_spec()
    except Exception as err:
        keep(err, file)
        return
    for node in container:
        kind = local(node)
        if kind not in FLOW_NODES or kind == "boundaryEvent" or not node.get("id"):
            continue  # a boundary event is parsed with the activity it is attached to
        try:
            process_parser.parse_node(node)
        except Exception as err:
            keep(err, file)
