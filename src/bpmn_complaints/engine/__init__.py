"""Everything that touches SpiffWorkflow: parsing, validation and deployment of definitions,
the safe script engine, running and persisting instances, and the task projection.

No module outside this package imports SpiffWorkflow.
"""
