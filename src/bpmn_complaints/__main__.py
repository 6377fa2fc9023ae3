"""The ``bpmn-complaints`` console script (also ``python -m bpmn_complaints``): a Flask
CLI group whose app is built by :func:`.app.create_app`; the commands are in :mod:`.cli`."""

from flask.cli import FlaskGroup

from .app import create_app

cli = FlaskGroup(create_app=lambda: create_app(), add_default_commands=True,
                 help="ISO 10002 complaints handling on SpiffWorkflow.")
# Our own `run` (server, worker and mail sink together) replaces Flask's development `run`;
# `serve` is the server alone.
cli.commands.pop("run", None)


def main() -> None:
    cli(prog_name="bpmn-complaints")


if __name__ == "__main__":
    main()
