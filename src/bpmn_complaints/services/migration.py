"""Migrate running complaints from one version of their process to another (#13): a dry
run first, then each complaint as its own audited change with the optimistic version
check. The API, the page and ``bpmn-complaints migrate`` share this module."""

from sqlalchemy import select

from ..db import run_change
from ..engine import migration as engine
from ..exceptions import AppError, BadRequest, Conflict
from ..extensions import db
from ..models import Complaint, Definition, ProcessInstance
from .definitions import get_definition


def parse_mapping(pairs: list[str] | dict[str, str] | None) -> dict[str, str]:
    """``["old=new", ...]`` (the CLI's and the page's form) or a dict, as a dict.

    :raises BadRequest: for a pair without ``=`` or with an empty side.
    """
    if isinstance(pairs, dict):
        return {str(k): str(v) for k, v in pairs.items()}
    mapping = {}
    for pair in pairs or []:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise BadRequest(f"a mapping is old=new (element ids), not {pair!r}")
        mapping[old.strip()] = new.strip()
    return mapping


def _candidates(key: str, version: int | str, references: list[str] | None) -> list[tuple[str, int]]:
    source = get_definition(key, version)
    query = (select(Complaint.reference, ProcessInstance.id)
             .join(Complaint, Complaint.id == ProcessInstance.complaint_id)
             .where(ProcessInstance.definition_id == source.id, ProcessInstance.status != "completed")
             .order_by(Complaint.reference))
    if references:
        query = query.where(Complaint.reference.in_(references))
    found = [(reference, instance_id) for reference, instance_id in db.session.execute(query)]
    missing = sorted(set(references or []) - {reference for reference, _ in found})
    if missing:
        raise BadRequest(f"not running on version {source.version}: {', '.join(missing)}",
                         {"references": missing})
    return found


def _row(reference: str, instance: ProcessInstance, result: engine.InstancePlan) -> dict:
    return {"reference": reference, "instance_id": instance.id, "instance_version": instance.version,
            "status": instance.status, "ok": not result.problems,
            "tokens": [vars(t) for t in result.tokens], "problems": result.problems, "notes": result.notes}


def dry_run(key: str, from_version: int | str, to_version: int | str, mapping: dict[str, str],
            references: list[str] | None = None) -> dict:
    """For each running complaint on ``from_version`` (or those named), where each waiting
    token lands in ``to_version``, and what is ambiguous or impossible. Changes nothing."""
    source, target = get_definition(key, from_version), get_definition(key, to_version)
    if source.id == target.id:
        raise BadRequest("the two versions are the same")
    rows = []
    for reference, instance_id in _candidates(key, source.version, references):
        instance = db.session.get_one(ProcessInstance, instance_id)
        rows.append(_row(reference, instance, engine.plan(instance, target, mapping)))
    db.session.rollback()  # a plan loads workflows; nothing of it is kept
    return {"key": key, "from": source.version, "to": target.version, "mapping": mapping, "dry_run": True,
            "complaints": rows, "total": len(rows), "ready": sum(1 for r in rows if r["ok"])}


def _migrate_one(instance_id: int, target_id: int, mapping: dict[str, str], actor: str,
                 expected_version: int | None) -> engine.InstancePlan:
    instance = db.session.get_one(ProcessInstance, instance_id)
    if expected_version is not None and instance.version != expected_version:
        raise Conflict(f"the complaint changed since the dry run (version {expected_version}, now "
                              f"{instance.version}): run the dry run again")
    return engine.migrate(instance, db.session.get_one(Definition, target_id), mapping, actor)


def apply(key: str, from_version: int | str, to_version: int | str, mapping: dict[str, str], actor: str,
          references: list[str] | None = None, expected: dict[str, int] | None = None) -> dict:
    """Migrate each running complaint on ``from_version`` (or those named), each in its own
    transaction: one that cannot move is refused and named, and the others go on.
    ``expected`` maps references to the instance versions the dry run showed: a complaint
    that changed since is refused (the optimistic version check)."""
    source, target = get_definition(key, from_version), get_definition(key, to_version)
    if source.id == target.id:
        raise BadRequest("the two versions are the same")
    target_id, candidates = target.id, _candidates(key, source.version, references)
    rows = []
    for reference, instance_id in candidates:
        try:
            result = run_change(_migrate_one, instance_id, target_id, mapping, actor,
                                (expected or {}).get(reference))
        except AppError as err:
            rows.append({"reference": reference, "instance_id": instance_id, "migrated": False,
                         "problems": [err.message]})
            continue
        rows.append({"reference": reference, "instance_id": instance_id, "migrated": True,
                     "tokens": [vars(t) for t in result.tokens], "problems": []})
    return {"key": key, "from": source.version, "to": target.version, "mapping": mapping, "dry_run": False,
            "complaints": rows, "total": len(rows), "migrated": sum(1 for r in rows if r["migrated"])}
