"""DMN: decision models in FEEL per DMN 1.3 (:mod:`.model`) and a DMN TCK runner (:mod:`.tck`).

A DMN file's expression language is what it declares: ``expressionLanguage`` on the
``definitions`` (FEEL's URI, or one naming Python), else FEEL when Camunda Modeler wrote it
(its namespace or exporter), else SpiffArena's Python-like cells, the language SpiffArena's
own tables use. Python tables keep running on SpiffWorkflow's decision engine with our
safe evaluator; FEEL ones run here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import DmnError, Model, read_model

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = ["DmnError", "Model", "dmn_dialect", "read_model"]

CAMUNDA_DMN_NAMESPACE = "http://camunda.org/schema/1.0/dmn"


def dmn_dialect(root: _Element) -> str:
    """``"feel"`` or ``"python"``: the expression language a DMN ``definitions`` declares;
    any other declared language (``juel``, ``javascript``...) is returned as written, and
    is not supported."""
    declared = (root.get("expressionLanguage") or "").strip()
    if "feel" in declared.lower():
        return "feel"
    if "python" in declared.lower():
        return "python"
    if declared:
        return declared
    if CAMUNDA_DMN_NAMESPACE in root.nsmap.values() or "camunda" in (root.get("exporter") or "").lower():
        return "feel"
    return "python"
