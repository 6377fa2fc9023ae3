"""The WSGI entry point for production servers: ``gunicorn bpmn_complaints.wsgi:app``.

Importing this module builds the app from the ``COMPLAINTS_*`` environment, once per
server process; the package itself keeps no module-level app.

A weak ``SECRET_KEY`` (the default, or shorter than 32 characters) stops it here: anyone who
can reach the server could forge an admin's session.
"""

from .app import create_app
from .security import check_can_serve
from .services.handler_processes import beat_in_background

app = create_app()
check_can_serve(app, None)
beat_in_background(app)
