"""The ``bpmn-complaints users`` and ``token`` commands: make accounts and API tokens, and
close them (deactivate, take a role or group away, revoke, change a password). Every change
is in the system trail, with ``--as`` as the actor."""

import sys

import click
from flask.cli import with_appcontext

from .exceptions import AppError


def _fail(err: AppError) -> None:
    click.echo(f"error: {err.message}", err=True)
    sys.exit(1)


def _change(change, *args, **kwargs):
    from .db import run_change

    try:
        return run_change(change, *args, **kwargs)
    except AppError as err:
        _fail(err)


_ACTOR = click.option("--as", "actor", default="cli", show_default=True,
                      help="Who is doing this (recorded in the audit trail).")


@click.group("users")
def users_group():
    """Manage staff users."""


@users_group.command("add")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A group (lane) the user belongs to; repeatable.")
@click.option("--role", "roles", multiple=True, help="staff, supervisor, process_owner, auditor or admin; repeatable.")
@click.option("--password", default=None, help="A password for the web pages (a new one ends their sessions).")
@click.option("--email", default=None)
@click.option("--skill", "skills", multiple=True, help="A complaint category the user is skilled in; repeatable.")
@_ACTOR
@with_appcontext
def users_add(name, groups, roles, password, email, skills, actor):
    """Create a user, or add groups and roles to an existing one."""
    from .services.users import add_user

    user = _change(add_user, name, groups, roles or ("staff",), password, email=email, skills=skills, actor=actor)
    click.echo(f"user {user.name}: groups {', '.join(user.groups) or '-'}; roles {', '.join(user.roles)}")


@users_group.command("remove")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A group to take the user out of; repeatable.")
@click.option("--role", "roles", multiple=True, help="A role to take away; repeatable.")
@_ACTOR
@with_appcontext
def users_remove(name, groups, roles, actor):
    """Take roles or groups away from a user (effective on their next request)."""
    from .services.users import remove_from_user

    if not groups and not roles:
        raise click.UsageError("name at least one --role or --group to take away")
    user = _change(remove_from_user, name, roles, groups, actor=actor)
    click.echo(f"user {user.name}: groups {', '.join(user.groups) or '-'}; roles {', '.join(user.roles) or '-'}")


@users_group.command("deactivate")
@click.argument("name")
@_ACTOR
@with_appcontext
def users_deactivate(name, actor):
    """Close an account: no sign-in, its sessions end and its tokens are revoked, at once."""
    from .services.users import deactivate_user

    _change(deactivate_user, name, actor=actor)
    click.echo(f"user {name} deactivated: signed out everywhere, API tokens revoked")


@users_group.command("activate")
@click.argument("name")
@_ACTOR
@with_appcontext
def users_activate(name, actor):
    """Open a closed account again (revoked tokens stay revoked)."""
    from .services.users import activate_user

    _change(activate_user, name, actor=actor)
    click.echo(f"user {name} activated")


@users_group.command("password")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@_ACTOR
@with_appcontext
def users_password(name, password, actor):
    """Set a new password; every session the user had ends."""
    from .services.users import set_password

    _change(set_password, name, password, actor=actor)
    click.echo(f"password changed for {name}; their sessions have ended")


class _TokenGroup(click.Group):
    """``token NAME`` issues a token (as it always has); ``token list`` and ``token revoke``
    are subcommands. A user called ``list`` or ``revoke`` gets one with ``token issue NAME``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["issue", *args]
        return super().parse_args(ctx, args)


@click.group("token", cls=_TokenGroup)
def token_group():
    """API tokens: ``token NAME`` prints a new one; ``list`` and ``revoke`` manage them."""


@token_group.command("issue")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, shown in lists.")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Days until it expires (default TOKEN_EXPIRY_DAYS; 0: never).")
@_ACTOR
@with_appcontext
def token_issue(name, label, days, actor):
    """Print a new API token for NAME (the token is the last line)."""
    from .services.users import issue_token

    token = _change(issue_token, name, actor=actor, label=label, days=days)
    click.echo(f"API token for {name} (keep it secret; it is shown once):")
    click.echo(token)


@token_group.command("list")
@click.option("--user", "name", default=None, help="Only this user's tokens.")
@with_appcontext
def token_list(name):
    """Every token (or one user's): id, user, state, label, created, expires, last used."""
    from .services.users import list_tokens, token_state

    try:
        rows = list_tokens(name)
    except AppError as err:
        _fail(err)

    def when(moment):
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    click.echo("id\tuser\tstate\tlabel\tcreated\texpires\tlast used")
    for row in rows:
        click.echo("\t".join((str(row.id), row.user.name, token_state(row), row.label or "-", when(row.created_at),
                              when(row.expires_at) if row.expires_at else "never", when(row.last_used_at))))


@token_group.command("revoke")
@click.argument("token_id", type=int)
@_ACTOR
@with_appcontext
def token_revoke(token_id, actor):
    """Revoke token TOKEN_ID (see ``token list``); it stops at once."""
    from .services.users import revoke_token

    row = _change(revoke_token, token_id, actor=actor)
    click.echo(f"token {row.id} of {row.user.name} revoked")


COMMANDS = (users_group, token_group)


def init_app(app) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
