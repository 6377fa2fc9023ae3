"""The import graph is layered (docs/architecture.md): every import in the package runs
down the layers or stays inside its own package, peers at the top do not import each
other, no module-level import cycle exists, and only engine/ imports SpiffWorkflow.

The check reads the source with :mod:`ast` (every import, at module level or inside a
function, and under ``TYPE_CHECKING`` too); nothing is imported to run it.
"""

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = "bpmn_complaints"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# Bottom to top. A module may import from its own layer's package and from any lower
# layer. In a layer with several packages, those packages are peers and must not import
# each other, except in "foundation", whose small modules may.
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"clock", "config", "exceptions", "extensions", "policy", "status_code", "xml_safety",
                    "business_calendar", "shipped", "input_limits", "security", "logs", "metrics", "read_only"}),
    ("models", {"models"}),
    ("db", {"db"}),
    ("migrations", {"migrations"}),  # Alembic's env.py; the revisions are not checked
    ("expressions", {"expressions"}),
    ("handlers", {"handlers"}),
    ("engine", {"engine"}),
    ("mail", {"mail"}),
    ("services", {"services"}),
    ("schemas", {"schemas"}),
    ("worker", {"worker"}),  # below the CLI, whose `worker` command runs it
    ("interfaces", {"api", "views", "cli", "cli_accounts", "errors"}),
    ("app", {"app", "wsgi", "__init__", "__main__"}),
]
PEERS_MAY_IMPORT_EACH_OTHER = {"foundation", "app"}
# Third-party packages only some layers may use.
ONLY = {"SpiffWorkflow": {"engine"}, "flask": None}  # None: any layer but the ones below
NEVER = {"flask": {"handlers", "expressions", "models"}, "sqlalchemy": {"handlers", "expressions"}}


def _layer_of(top: str) -> tuple[int, str] | None:
    for rank, (name, packages) in enumerate(LAYERS):
        if top in packages:
            return rank, name
    return None


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _imports(path: Path, module: str, modules: set[str]):
    """(imported module, line, at module level) for each import in ``path``; ``from a
    import b`` counts as importing ``a.b`` when that is a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    top_level = {id(node) for node in tree.body}
    for node in tree.body:
        if isinstance(node, ast.If):  # if TYPE_CHECKING: ... counts as module level
            top_level |= {id(child) for child in node.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            targets = {f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names}
            for name in sorted(targets):
                yield name, node.lineno, id(node) in top_level


def violations(root: Path) -> list[str]:
    """Every layering problem in the package whose source is at ``root``."""
    problems = []
    modules = {_module_name(root, p): p for p in sorted(root.rglob("*.py"))
               if "versions" not in p.relative_to(root).parts}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        parts = module.split(".")
        top = parts[1] if len(parts) > 1 else "__init__"
        placed = _layer_of(top)
        rel = path.relative_to(root)
        if placed is None:
            problems.append(f"{rel}: {top!r} is in no layer (add it to docs/architecture.md and LAYERS)")
            continue
        rank, layer = placed
        for target, line, module_level in _imports(path, module, set(modules)):
            first = target.split(".")[0]
            if first != PACKAGE:
                if first in ONLY and ONLY[first] is not None and layer not in ONLY[first]:
                    problems.append(f"{rel}:{line}: {layer} imports {first} (only {sorted(ONLY[first])} may)")
                if layer in NEVER.get(first, set()):
                    problems.append(f"{rel}:{line}: {layer} must not import {first}")
                continue
            tparts = target.split(".")
            ttop = tparts[1] if len(tparts) > 1 else "__init__"
            tplaced = _layer_of(ttop)
            if tplaced is None:
                continue  # reported where that module is defined
            trank, tlayer = tplaced
            if trank > rank:
                problems.append(f"{rel}:{line}: {layer} imports {target} from the higher layer {tlayer}")
            elif trank == rank and ttop != top and layer not in PEERS_MAY_IMPORT_EACH_OTHER:
                problems.append(f"{rel}:{line}: {top} imports its peer {target} ({layer} layer)")
            if module_level and target in modules and target != module:
                graph[module].add(target)
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in _cycles(graph)]
    return list(dict.fromkeys(problems))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_is_layered():
    problems = violations(SOURCE)
    assert not problems, "\n".join(problems)


def _scratch(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for folder in {p.parent for p in root.rglob("*.py")} | {root}:
        (folder / "__init__.py").touch()
    return root


@pytest.mark.parametrize("files, expected", [
    ({"engine/runner.py": "from ..services import tasks\n", "services/tasks.py": ""},
     "engine imports bpmn_complaints.services.tasks from the higher layer services"),
    ({"api/tasks.py": "from ..views.inbox import page\n", "views/inbox.py": ""},
     "api imports its peer bpmn_complaints.views.inbox"),
    ({"handlers/crm.py": "import flask\n"}, "handlers must not import flask"),
    ({"mail/send.py": "from SpiffWorkflow.task import Task\n"}, "mail imports SpiffWorkflow"),
    ({"services/a.py": "from . import b\n", "services/b.py": "from .a import x\n"}, "import cycle"),
    ({"gadgets.py": ""}, "'gadgets' is in no layer"),
])
def test_a_wrong_import_is_caught(tmp_path, files, expected):
    problems = violations(_scratch(tmp_path, files))
    assert any(expected in p for p in problems), problems


def test_imports_down_the_layers_pass(tmp_path):
    root = _scratch(tmp_path, {
        "engine/runner.py": "from ..models import Job\nfrom SpiffWorkflow.task import Task\n",
        "models/job.py": "from ..extensions import db\n",
        "services/tasks.py": "from ..engine import runner\nfrom . import forms\n",
        "services/forms.py": "",
    })
    assert violations(root) == []
