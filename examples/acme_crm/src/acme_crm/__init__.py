"""ACME's bpmn-complaints handlers (an example integrator package)."""
