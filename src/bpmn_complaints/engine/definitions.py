"""Validate and deploy definition bundles (BPMN, DMN and form files) as versions.

A bundle is a mapping of relative file names to text. Deployment runs three stages and
reports every problem of every stage at once, storing nothing when any is found:

1. the hardened XML parse (:mod:`.xml_safety`): size, DOCTYPE/entities, well-formedness;
2. our own checks (:mod:`.lint`): handlers, lanes, forms, safe expressions, timers;
3. SpiffWorkflow's parser, for what only it knows (unsupported elements, references).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..exceptions import DeployFailed
from ..expressions.dialects import NS
from ..extensions import db
from ..models import Definition
from ..xml_safety import UnsafeXml, parse_xml
from .checks import run_checks
from .lint import ERROR, Linter, Problem
from .multi_instance import DEFAULT_MAX_INSTANCES
from .parser import ComplaintsBpmnParser
from .sweep import as_problem, sweep

if TYPE_CHECKING:
    from lxml.etree import _Element
    from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")  # Activiti's and Camunda 7's name for deployable BPMN
SUFFIXES = (*BPMN_SUFFIXES, ".dmn", ".json", ".form")


def is_bpmn(name: str) -> bool:
    """Whether the bundle file ``name`` is a BPMN diagram (``*.bpmn`` or ``*.bpmn20.xml``)."""
    return name.endswith(BPMN_SUFFIXES)


def read_bundle(paths: Sequence[str | os.PathLike[str]]) -> dict[str, str]:
    """Read files and folders into a bundle. Folders contribute their ``*.bpmn``,
    ``*.bpmn20.xml``, ``*.dmn``, ``*.json`` and ``*.form`` (Camunda Forms) files
    (recursively) under names relative to the folder; single files keep their own name (a
    JSON or form file in a ``forms`` folder keeps ``forms/``).

    :raises DeployFailed: if a path does not exist or the bundle is empty.
    """
    bundle: dict[str, str] = {}
    problems = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and file.name.endswith(SUFFIXES):
                    bundle[file.relative_to(path).as_posix()] = file.read_text(encoding="utf-8")
        elif path.is_file():
            in_forms = path.parent.name == "forms" and path.suffix in (".json", ".form")
            name = f"forms/{path.name}" if in_forms else path.name
            bundle[name] = path.read_text(encoding="utf-8")
        else:
            problems.append(Problem(str(path), None, "no such file or folder"))
    if not problems and not any(is_bpmn(n) for n in bundle):
        problems.append(Problem(None, None, "no .bpmn file to deploy"))
    if problems:
        raise DeployFailed("nothing was deployed", {"problems": [p.as_dict() for p in problems]})
    return bundle


def bundle_sha256(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


@dataclass
class Parsed:
    key: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    warnings: list[Problem] = field(default_factory=list)  # accepted, but the owner should know


def read_roots(linter: Linter, max_bytes: int) -> None:
    """Parse the bundle's BPMN and DMN files into ``linter.bpmn_roots`` and ``dmn_roots``;
    a file that is unsafe, malformed or too large becomes the linter's problem."""
    for name, text in sorted(linter.files.items()):
        if not (is_bpmn(name) or name.endswith(".dmn")):
            if len(text.encode()) > max_bytes:
                linter.add(name, None, f"the file is larger than the {max_bytes:,}-byte limit")
            continue
        try:
            root = parse_xml(text, max_bytes)
        except UnsafeXml as err:
            linter.add(name, None, str(err))
            continue
        (linter.bpmn_roots if is_bpmn(name) else linter.dmn_roots)[name] = root


def parse_bundle(files: dict[str, str], handler_names: set[str], max_bytes: int,
                 key: str | None = None, max_instances: int = DEFAULT_MAX_INSTANCES,
                 start_variables: Collection[str] = (), checks: bool = True,
                 ) -> tuple[Parsed | None, list[Problem]]:
    """Validate a bundle; return the parsed specs (``None`` if any problem is an error) and
    every problem, errors and warnings (:data:`.lint.WARNING`). ``checks=False`` leaves out
    the whole-bundle checks of :mod:`.checks` (a stored version passed them at deploy)."""
    linter = Linter(files, handler_names, max_instances, start_variables)
    read_roots(linter, max_bytes)
    bpmn_roots, dmn_roots = linter.bpmn_roots, linter.dmn_roots
    for name, root in bpmn_roots.items():
        linter.bpmn(name, root)
    for name, root in dmn_roots.items():
        linter.dmn(name, root)
    if checks:
        run_checks(linter)
    if not bpmn_roots:
        if not linter.problems:
            linter.add(None, None, "no .bpmn file to deploy")
        return None, linter.problems

    parsed, spiff_problems = _spiff_parse(bpmn_roots, dmn_roots, key)
    if parsed is None:
        spiff_problems = _once(spiff_problems + sweep(bpmn_roots, dmn_roots))
    # Report SpiffWorkflow's view too, unless our check already named the same element.
    seen = {(p.file, p.element) for p in linter.problems if p.severity == ERROR}
    problems = list(linter.problems)
    for problem in spiff_problems:
        if (problem.file, problem.element) not in seen:
            seen.add((problem.file, problem.element))
            problems.append(problem)
    if parsed is not None:
        parsed.warnings = [p for p in problems if p.severity != ERROR]
    return (parsed if not any(p.severity == ERROR for p in problems) else None), problems


def _once(problems: list[Problem]) -> list[Problem]:
    """Each parser problem once: the normal parse and the sweep may both find it, the
    normal parse sometimes without its file."""
    kept: dict[tuple[str | None, str], Problem] = {}
    for problem in problems:
        key = (problem.element, problem.message)
        if key not in kept or (kept[key].file is None and problem.file is not None):
            kept[key] = problem
    return list(kept.values())


def _executable_processes(bpmn_roots: dict[str, _Element]) -> list[tuple[str, str]]:
    """The id and name of every executable process with an id (the linter reports one without)."""
    found = []
    for root in bpmn_roots.values():
        for process in root.iterfind(".//bpmn:process", NS):
            pid = process.get("id")
            if pid and process.get("isExecutable", "false").lower() == "true":
                found.append((pid, process.get("name") or pid))
    return found


def _spiff_parse(bpmn_roots: dict[str, _Element], dmn_roots: dict[str, _Element],
                 key: str | None) -> tuple[Parsed | None, list[Problem]]:
    parser = ComplaintsBpmnParser()
    problems: list[Problem] = []

    def record(err: Exception, file: str | None = None) -> None:
        problems.append(as_problem(err, file))

    for name, root in dmn_roots.items():
        try:
            parser.add_dmn_xml(root, filename=name)
        except Exception as err:  # report every parser failure, never a traceback
            record(err, name)
    for name, root in bpmn_roots.items():
        try:
            parser.add_bpmn_xml(root, filename=name)
        except Exception as err:
            record(err, name)
    executable = _executable_processes(bpmn_roots)
    if not executable:
        problems.append(Problem(None, None, "there is no executable process: set isExecutable=\"true\" "
                                            "on the process to run"))
        return None, problems
    names = dict(executable)
    if key is None:
        key = executable[0][0]
    elif key not in names:
        problems.append(Problem(None, key, f"no executable process has the id {key!r}"))
        return None, problems
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as err:  # SpiffWorkflowException or not, it becomes a reported problem
        record(err)
        return None, problems
    return Parsed(key, names[key], spec, subprocess_specs), problems


def latest_definition(key: str) -> Definition | None:
    return db.session.scalar(
        select(Definition).where(Definition.key == key).order_by(Definition.version.desc()).limit(1)
    )


_spec_cache: dict[tuple[int, str], Parsed] = {}


def load_specs(definition: Definition, max_bytes: int) -> Parsed:
    """The parsed specs of a deployed version, parsed once per process and cached."""
    cache_key = (definition.id, definition.sha256)
    parsed = _spec_cache.get(cache_key)
    if parsed is None:
        # Handlers were checked at deploy; a handler missing now surfaces as an incident.
        parsed, problems = parse_bundle(bundle_files(definition), _AnyName(), max_bytes, key=definition.key,
                                        checks=False)
        if parsed is None:
            raise DeployFailed(f"definition {definition.key} v{definition.version} no longer parses",
                               {"problems": [p.as_dict() for p in problems]})
        _spec_cache[cache_key] = parsed
    return parsed


_files_cache: dict[tuple[int, str], dict[str, str]] = {}


def bundle_files(definition: Definition) -> dict[str, str]:
    """A deployed version's files (BPMN, DMN, forms), read from the database once per
    process and cached like its parsed specs: a version's files never change (the key
    holds its hash), and an instance load does not fetch them (the column is deferred).
    Callers must not change the mapping."""
    cache_key = (definition.id, definition.sha256)
    files = _files_cache.get(cache_key)
    if files is None:
        files = _files_cache[cache_key] = dict(definition.files)
    return files


class _AnyName(set[str]):
    """A handler-name set that contains everything (used when re-parsing a stored version)."""

    def __contains__(self, item: object) -> bool:
        return True
