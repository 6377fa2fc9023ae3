"""Deploy definition bundles as new versions, and read them back."""

import logging

from flask import current_app
from sqlalchemy import select

from ..clock import utcnow
from ..db import trail
from ..engine.definitions import bundle_sha256, is_bpmn, latest_definition, parse_bundle
from ..exceptions import DeployFailed, NotFound
from ..extensions import db
from ..input_limits import bounded_int
from ..models import Definition
from .compare import compare

log = logging.getLogger(__name__)


def validate(files: dict[str, str], key: str | None = None):
    """Parse and check a bundle. :raises DeployFailed: listing every problem."""
    registry = current_app.extensions["complaints_handlers"]
    parsed, problems = parse_bundle(files, registry.names(), current_app.config["MAX_DEFINITION_BYTES"], key,
                                    max_instances=current_app.config["MULTI_INSTANCE_MAX"])
    if problems:
        raise DeployFailed(
            f"the definition has {len(problems)} problem{'s' if len(problems) != 1 else ''}; nothing was deployed",
            {"problems": [p.as_dict() for p in problems]},
        )
    return parsed


def deploy(files: dict[str, str], actor: str, key: str | None = None) -> tuple[Definition, bool]:
    """Deploy a bundle. Returns the version and whether it is new: deploying the same
    content as the latest version is a no-op.

    :raises DeployFailed: listing every problem; nothing is stored.
    """
    parsed = validate(files, key)
    sha = bundle_sha256(files)
    latest = latest_definition(parsed.key)
    if latest is not None and latest.sha256 == sha:
        return latest, False
    definition = Definition(
        key=parsed.key, version=(latest.version + 1) if latest else 1, name=parsed.name, sha256=sha,
        files=dict(files), deployed_by=actor, deployed_at=utcnow(),
    )
    db.session.add(definition)
    db.session.flush()
    trail.record("deployed", actor, key=definition.key, version=definition.version, sha256=sha,
                 files=sorted(files), warnings=[str(w) for w in parsed.warnings])
    log.info("deployed %s version %d", definition.key, definition.version, extra={
        "event": "deployed", "key": definition.key, "version": definition.version, "sha256": sha, "by": actor})
    return definition, True


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


__all__ = ["DeployFailed", "compare_versions", "deploy", "get_definition", "list_definitions", "main_bpmn", "validate",
           "with_main_bpmn"]
