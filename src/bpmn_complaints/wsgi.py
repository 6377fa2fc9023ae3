"""The WSGI entry point for production servers: ``gunicorn bpmn_complaints.wsgi:app``.

Importing this module builds the app from the ``COMPLAINTS_*`` environment, once per
server process; the package itself keeps no module-level app.
"""

from .app import create_app

app = create_app()
