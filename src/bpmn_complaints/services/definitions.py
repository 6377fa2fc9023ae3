"""Deploy definition bundles as new versions, and read them back."""

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..clock import utcnow
from ..db import trail
from ..engine.definitions import bundle_sha256, is_bpmn, latest_definition, parse_bundle
from ..engine.lint import ERROR
from ..exceptions import BaseRequired, DeployFailed, NotFound, StaleBase
from ..extensions import db
from ..input_limits import bounded_int
from ..models import Definition
from .compare import compare
from .complaints import START_VARIABLES
from .handler_processes import check_bindings


def check(files: dict[str, str], key: str | None = None):
    """Parse and lint a bundle: the parsed specs and the warnings.

    :raises DeployFailed: listing every error (and the warnings found with them).
    """
    registry = current_app.extensions["complaints_handlers"]
    parsed, problems = parse_bundle(files, registry.names(), current_app.config["MAX_DEFINITION_BYTES"], key,
                                    max_instances=current_app.config["MULTI_INSTANCE_MAX"],
                                    start_variables=START_VARIABLES)
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        raise DeployFailed(
            f"the definition has {len(errors)} problem{'s' if len(errors) != 1 else ''}; nothing was deployed",
            {"problems": [p.as_dict() for p in problems]},
        )
    return parsed, [p.as_dict() for p in problems]

log = logging.getLogger(__name__)


def validate(files: dict[str, str], key: str | None = None):
    """Parse and check a bundle. :raises DeployFailed: listing every error."""
    return check(files, key)[0]


@dataclass(frozen=True)
class Base:
    """What a deploy was edited from, as its path knows it.

    ``version``: the version the editor started from (the modeler page and the API send it
    as ``base_version``). ``folder``: a CLI deploy's folder, whose last deploy is its base
    when no version is given. ``force``: deploy even if a newer version exists (recorded).
    ``required``: a deploy that changes a process with versions must name ``version`` (or
    ``force``); the API sets it, since a script's files have no marker or folder to go by.
    """

    version: int | None = None
    folder: str | None = None
    force: bool = False
    source: str = "api"
    required: bool = False


def deploy(files: dict[str, str], actor: str, key: str | None = None,
           base: Base | None = None, allow_missing_handlers: bool = False) -> tuple[Definition, bool]:
    """Deploy a bundle. Returns the version and whether it is new: deploying the same
    content as the latest version is a no-op. Unless ``allow_missing_handlers``, every
    handler it binds must be loaded by every running worker (:mod:`.handler_processes`).

    A deploy whose base is not the latest version is refused, so nobody undoes a
    colleague's version without seeing it. The base is ``base.version`` if given; else
    the version whose files these are exactly; else, for a CLI folder, the version last
    deployed from that folder. With none of those, the latest is taken as the base, unless
    ``base.required`` (the API): then the deploy is refused, since it could undo a version
    its author never saw.

    :raises DeployFailed: listing every problem; nothing is stored.
    :raises StaleBase: (409) when the base is older than the latest, unless ``base.force``.
    :raises BaseRequired: (428) when ``base.required``, the process has versions, the files
        are none of them, and neither ``base.version`` nor ``base.force`` is given.
    """
    base = base or Base()
    parsed, warnings = check(files, key)
    if not allow_missing_handlers:
        check_bindings(parsed)
    sha = bundle_sha256(files)
    latest = latest_definition(parsed.key)
    if latest is not None and latest.sha256 == sha:
        return latest, False
    based_on = _base_version(parsed.key, sha, base)
    stale = latest is not None and based_on is not None and based_on != latest.version
    if latest is not None and based_on is not None and stale and not base.force:
        raise _stale(parsed.key, based_on, latest)
    if latest is not None and based_on is None and base.required and not base.force:
        raise _base_required(latest)
    definition = Definition(
        key=parsed.key, version=(latest.version + 1) if latest else 1, name=parsed.name, sha256=sha,
        files=dict(files), deployed_by=actor, deployed_at=utcnow(),
        based_on=based_on if based_on is not None else (latest.version if latest else None),
        forced=stale, source=base.source, warnings=warnings,
    )
    db.session.add(definition)
    db.session.flush()
    trail.record("deployed", actor, key=definition.key, version=definition.version, sha256=sha,
                 files=sorted(files), based_on=definition.based_on, source=base.source,
                 warnings=[str(w) for w in parsed.warnings],
                 forced_over=latest.version if stale and latest else None,
                 base_stated=base.version is not None)
    log.info("deployed %s version %d", definition.key, definition.version, extra={
        "event": "deployed", "key": definition.key, "version": definition.version, "sha256": sha, "by": actor})
    return definition, True


def _base_version(key: str, sha: str, base: Base) -> int | None:
    if base.version is not None:
        get_definition(key, base.version)  # NotFound for a version that does not exist
        return base.version
    same = db.session.scalar(select(Definition.version).where(Definition.key == key, Definition.sha256 == sha)
                             .order_by(Definition.version.desc()).limit(1))
    if same is not None:
        return same
    if base.folder is not None:
        return db.session.scalar(select(Definition.version).where(
            Definition.key == key, Definition.source == f"cli:{base.folder}")
            .order_by(Definition.version.desc()).limit(1))
    return None


def _stale(key: str, based_on: int, latest: Definition) -> StaleBase:
    newer = compare(get_definition(key, based_on).files, latest.files, current_app.config["MAX_DEFINITION_BYTES"])
    return StaleBase(
        f"these files are based on version {based_on}, but version {latest.version} (deployed by "
        f"{latest.deployed_by}{_from(latest)}) is newer: deploying would undo its changes. Start from version "
        f"{latest.version}, or deploy anyway to override it (--force, or confirm on the page)",
        {"base_version": based_on, "latest_version": latest.version, "latest_deployed_by": latest.deployed_by,
         "latest_source": latest.source, "layout_only": newer["layout_only"],
         "changes": [change.as_dict() for change in newer["changes"]]},
    )


def _base_required(latest: Definition) -> BaseRequired:
    return BaseRequired(
        f"{latest.key} already has versions: say which one these files were edited from (base_version), so "
        f"that a newer one is not undone unseen. The latest is version {latest.version} (deployed by "
        f"{latest.deployed_by}{_from(latest)}); send base_version={latest.version} if you started from it, or "
        f"force=true to deploy over whatever is latest (recorded)",
        {"key": latest.key, "latest_version": latest.version, "latest_deployed_by": latest.deployed_by,
         "latest_source": latest.source, "latest_sha256": latest.sha256},
    )


def _from(definition: Definition) -> str:
    source = definition.source or ""
    if source == "modeler":
        return " in the modeler page"
    if source.startswith("cli:"):
        return f" from {source[4:]}"
    if source.startswith("rollback:"):
        return f" as a roll-back to version {source.partition(':')[2]}"
    return " through the API" if source == "api" else ""


def rollback(key: str, version: int | str, actor: str) -> tuple[Definition, bool]:
    """Deploy version ``version``'s files again, as a new version (running complaints keep
    theirs; migrate them if they should follow)."""
    target = get_definition(key, version)
    latest = get_definition(key, "latest")
    return deploy(dict(target.files), actor, key,
                  Base(version=latest.version, source=f"rollback:{target.version}"))


def list_definitions() -> list[Definition]:
    return list(db.session.scalars(select(Definition).order_by(Definition.key, Definition.version.desc())))


def get_definition(key: str, version: int | str) -> Definition:
    query = select(Definition).where(Definition.key == key)
    if version == "latest":
        query = query.order_by(Definition.version.desc()).limit(1)
    else:
        try:
            number = int(version)
        except (TypeError, ValueError):
            raise NotFound(f"no definition {key} version {version}: a version is a number or 'latest'") from None
        query = query.where(Definition.version == bounded_int(number, "version"))
    definition = db.session.scalar(query)
    if definition is None:
        raise NotFound(f"no definition {key} version {version}")
    return definition


def main_bpmn(definition: Definition) -> tuple[str, str]:
    """The BPMN file that holds the definition's process."""
    for name, text in sorted(definition.files.items()):
        if is_bpmn(name) and f'id="{definition.key}"' in text:
            return name, text
    name = min(n for n in definition.files if is_bpmn(n))
    return name, definition.files[name]


def with_main_bpmn(definition: Definition, xml: str) -> dict[str, str]:
    """The files of ``definition`` with its main BPMN file replaced by ``xml``: what the
    modeler page validates and deploys, so the decision tables and forms come along."""
    name, _text = main_bpmn(definition)
    return {**definition.files, name: xml}


def compare_versions(key: str, old: int | str, new: int | str) -> dict:
    """What changed from version ``old`` to version ``new`` of process ``key`` (ISO 10002
    8.7): ``{"key", "from", "to", "changes": [...], "layout_only"}``.

    :raises NotFound: for an unknown key or version.
    """
    before, after = get_definition(key, old), get_definition(key, new)
    result = compare(before.files, after.files, current_app.config["MAX_DEFINITION_BYTES"])
    return {"key": key, "from": before.version, "to": after.version, **result}


__all__ = ["Base", "DeployFailed", "check", "compare_versions", "deploy", "get_definition", "list_definitions",
           "main_bpmn", "rollback", "validate", "with_main_bpmn"]
