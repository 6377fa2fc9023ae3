"""A folder's ``.deployed-version`` marker: which version its files were exported from, so
that a CLI deploy of the folder knows its base (see services/definitions.deploy)."""

import json
from pathlib import Path

from ..exceptions import NotFound
from ..models import Definition
from .definitions import get_definition

MARKER = ".deployed-version"


def folder_of(paths: list[str]) -> str | None:
    """The one folder a CLI deploy reads (resolved), or ``None`` for files or several paths."""
    if len(paths) == 1 and Path(paths[0]).is_dir():
        return str(Path(paths[0]).resolve())
    return None


def read_marker(folder: str) -> int | None:
    """The version the folder's marker names, if the marker is there and names a version of
    this database with the same content hash (a marker from another database is ignored)."""
    path = Path(folder) / MARKER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        definition = get_definition(str(data["key"]), int(data["version"]))
    except (OSError, ValueError, KeyError, TypeError, NotFound):
        return None
    return definition.version if definition.sha256 == data.get("sha256") else None


def write_marker(folder: str, definition: Definition) -> None:
    marker = {"key": definition.key, "version": definition.version, "sha256": definition.sha256}
    (Path(folder) / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")


def export(key: str, version: int | str, folder: str) -> tuple[Definition, list[str]]:
    """Write a version's files into ``folder`` (created if needed) with its marker."""
    definition = get_definition(key, version)
    root = Path(folder)
    written = []
    for name, text in sorted(definition.files.items()):
        target = (root / name).resolve()
        if root.resolve() not in target.parents:
            continue  # a stored name never leaves the folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(name)
    write_marker(str(root.resolve()), definition)
    return definition, written
