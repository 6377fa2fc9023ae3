"""The ``bpmn-complaints`` command (a Flask CLI group: ``flask --app bpmn_complaints``
works too)."""

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .exceptions import AppError
from .extensions import db


def _fail(err: AppError) -> None:
    click.echo(f"error: {err.message}", err=True)
    for problem in err.details.get("problems", []):
        where = ":".join(p for p in (problem.get("file"), problem.get("element")) if p)
        warning = "warning: " if problem.get("severity") == "warning" else ""
        click.echo(f"  {warning}{where + ': ' if where else ''}{problem['message']}", err=True)
    if err.details.get("changes") is not None:
        click.echo(f"what version {err.details.get('latest_version')} changed since version "
                   f"{err.details.get('base_version')}:", err=True)
        for change in err.details["changes"]:
            click.echo(f"  {change['kind']:<8} {change['file']}: {change['text']}", err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the database tables to the newest migration (safe to run again)."""
    from .db.revisions import BASELINE, current_revision, differences, upgrade_to_head

    if upgrade_to_head():
        click.echo(f"the database had tables but no migration history: stamped at {BASELINE}, then upgraded")
        problems = differences()
        if problems:
            click.echo("error: the database still differs from the models; it predates the first "
                       "migration, so change it by hand to match:", err=True)
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
    url = db.engine.url.render_as_string(hide_password=True)
    click.echo(f"database ready at revision {current_revision()}: {url}")


@click.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--key", default=None, help="The process id to deploy, if the files hold several.")
@click.option("--as", "actor", default="cli", help="Who is deploying (recorded in the audit trail).")
@click.option("--base", "base_version", type=click.IntRange(1, 2**31 - 1), default=None,
              help="The version these files were edited from (default: the folder's marker or last deploy).")
@click.option("--force", is_flag=True, help="Deploy even if a newer version exists (recorded in the trail).")
@click.option("--allow-missing-handlers", is_flag=True,
              help="Deploy even if a running worker lacks a handler the diagram binds.")
@with_appcontext
def deploy_command(paths, key, actor, base_version, force, allow_missing_handlers):
    """Validate and deploy BPMN/DMN/form files or folders as a new version. With no PATH,
    deploy the complaint process that ships with the package.

    A deploy is refused (exit 1) when a newer version was deployed since these files'
    base: the version in the folder's .deployed-version marker (written by ``export``),
    else the version whose files these are, else the version last deployed from this
    folder. The newer version's changes are printed; --force overrides."""
    from .db import run_change
    from .engine.definitions import read_bundle
    from .services.bundle_marker import folder_of, read_marker, write_marker
    from .services.definitions import Base, deploy
    from .shipped import shipped_folder

    targets = list(paths) or [str(shipped_folder("processes"))]
    folder = folder_of(targets)
    try:
        files = read_bundle(targets)
        marker = read_marker(folder) if folder else None
        base = Base(version=base_version or marker, folder=folder, force=force,
                    source=f"cli:{folder}" if folder else "cli")
        definition, created = run_change(deploy, files, actor, key, base, allow_missing_handlers)
    except AppError as err:
        _fail(err)
    if folder and marker is not None:
        write_marker(folder, definition)
    state = "deployed" if created else "unchanged (same content as the latest version)"
    forced = " over a newer version (forced)" if created and definition.forced else ""
    click.echo(f"{definition.key} version {definition.version} {state}{forced}")
    for warning in (definition.warnings or []) if created else []:
        where = ":".join(p for p in (warning.get("file"), warning.get("element")) if p)
        click.echo(f"  warning: {where + ': ' if where else ''}{warning['message']}")


@click.command("export")
@click.argument("key")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--version", "version", default="latest", help="The version to export (default: the latest).")
@with_appcontext
def export_command(key, folder, version):
    """Write a version's files (BPMN, DMN, forms) into FOLDER, with a .deployed-version
    marker, so that editing them and running ``deploy FOLDER`` is checked against it."""
    from .services.bundle_marker import export

    try:
        definition, written = export(key, version, folder)
    except AppError as err:
        _fail(err)
    click.echo(f"{definition.key} version {definition.version}: {len(written)} file(s) written to {folder}")


@click.command("rollback")
@click.argument("key")
@click.argument("version")
@click.option("--as", "actor", default="cli", help="Who is rolling back (recorded in the audit trail).")
@with_appcontext
def rollback_command(key, version, actor):
    """Deploy version VERSION's files again as a new version (running complaints keep
    theirs; ``migrate`` moves them)."""
    from .db import run_change
    from .services.definitions import rollback

    try:
        definition, created = run_change(rollback, key, version, actor)
    except AppError as err:
        _fail(err)
    if created:
        click.echo(f"{definition.key} version {definition.version} deployed with the files of version {version}")
    else:
        click.echo(f"{definition.key} version {definition.version} already has those files: nothing to do")


@click.command("migrate")
@click.argument("key")
@click.option("--from", "from_version", required=True, help="The version the complaints run on.")
@click.option("--to", "to_version", required=True, help="The version to move them to.")
@click.option("--map", "pairs", multiple=True, metavar="OLD=NEW",
              help="Where a token waiting at a renamed or removed element goes; repeatable.")
@click.option("--complaint", "references", multiple=True, help="Only this complaint; repeatable (default: all).")
@click.option("--dry-run", is_flag=True, help="Say where each waiting token would land; change nothing.")
@click.option("--as", "actor", default="cli", help="Who is migrating (recorded in each complaint's trail).")
@with_appcontext
def migrate_command(key, from_version, to_version, pairs, references, dry_run, actor):
    """Move running complaints of process KEY from one version to another. Each complaint is
    its own audited change; one that cannot move (a waiting step the new version removed,
    with no --map) is refused and named. Exits 1 if any complaint was refused."""
    from .services import migration

    try:
        mapping = migration.parse_mapping(list(pairs))
        if dry_run:
            result = migration.dry_run(key, from_version, to_version, mapping, list(references) or None)
        else:
            result = migration.apply(key, from_version, to_version, mapping, actor, list(references) or None)
    except AppError as err:
        _fail(err)
    verb = "would move" if dry_run else "moved"
    for row in result["complaints"]:
        ok = row["ok"] if dry_run else row["migrated"]
        landings = ", ".join(f"{t['element']} → {t['target'] or '?'}" for t in row.get("tokens", []))
        click.echo(f"{row['reference']}: {verb if ok else 'refused'}" + (f" ({landings})" if landings else ""))
        for problem in row["problems"]:
            click.echo(f"  {problem}")
    done = result["ready"] if dry_run else result["migrated"]
    click.echo(f"{done} of {result['total']} complaint(s) {'can move' if dry_run else 'migrated'} from version "
               f"{result['from']} to {result['to']}")
    if done != result["total"]:
        sys.exit(1)


@click.command("secret-key")
@with_appcontext
def secret_key_command():
    """Write a random SECRET_KEY into the instance folder unless one is there; the app uses
    it whenever COMPLAINTS_SECRET_KEY is not set (``make run`` calls this first)."""
    from .security import ensure_instance_key

    path, made = ensure_instance_key(current_app)
    click.echo(f"{'wrote a new' if made else 'keeping the'} secret key in {path}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs that are due, then exit.")
@with_appcontext
def worker_command(once):
    """Fire due timers and retries."""
    from .worker import Worker, heartbeat

    worker = Worker()
    if once:
        heartbeat.beat(worker.owner)  # seen, though it does not stay to wake again
        worker.schedule()
        done = worker.run_once()
        click.echo(f"{done} job(s) run")
    else:
        worker.run_forever(echo=click.echo)


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve_command(host, port):
    """Serve the application with werkzeug's server (for production, see docs/deploy.md)."""
    _serve(host, port)


def _serve(host, port):
    from werkzeug.serving import WSGIRequestHandler, run_simple

    from .security import check_can_serve, redact_credentials

    class RedactingHandler(WSGIRequestHandler):
        """werkzeug's access log, without the status tokens old links carry in the query."""

        def log(self, type: str, message: str, *args) -> None:  # noqa: A002  (werkzeug's name)
            super().log(type, redact_credentials(message % args) if args else redact_credentials(message))

    try:
        check_can_serve(current_app, host)
    except RuntimeError as err:
        raise click.ClickException(str(err)) from None
    from .services.handler_processes import beat_in_background

    beat_in_background(current_app._get_current_object())
    # Not app.run(): Flask ignores it inside a CLI command, and the command would just exit.
    run_simple(host, port, current_app._get_current_object(), use_reloader=False, threaded=True,
               request_handler=RedactingHandler)


@click.command("run")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--mail-sink/--no-mail-sink", default=True, show_default=True,
              help="Keep sent mail in instance/mail/ (a local SMTP server) instead of using SMTP_HOST.")
@click.option("--sink-port", default=8025, type=int, show_default=True)
@click.option("--mail-folder", default=None, type=click.Path(file_okay=False),
              help="Where the sink keeps mail (default: instance/mail/).")
@with_appcontext
def run_command(host, port, mail_sink, sink_port, mail_folder):
    """The whole product on one machine: the web server, a worker, and a mail sink."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from . import logs
    from .mail.sink import start_sink

    env = dict(os.environ)
    if not current_app.config.get("LOG_FORMAT"):  # one machine, a person watching: plain text
        env["COMPLAINTS_LOG_FORMAT"] = "text"
        logs.configure("text", current_app.config.get("LOG_LEVEL") or "INFO")
    sink = None
    if mail_sink:
        folder = Path(mail_folder) if mail_folder else Path(current_app.instance_path) / "mail"
        sink = start_sink(folder, port=sink_port)
        env.update(COMPLAINTS_SMTP_HOST="127.0.0.1", COMPLAINTS_SMTP_PORT=str(sink_port),
                   COMPLAINTS_SMTP_STARTTLS="false", COMPLAINTS_SMTP_USERNAME="null")
        click.echo(f"Mail the product sends is kept in {folder}/ (one .eml file each).")
    worker = subprocess.Popen([sys.executable, "-m", "bpmn_complaints", "worker"], env=env)
    # SIGTERM stops all three, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"Worker started (pid {worker.pid}). Serving on http://{host}:{port}/ (Ctrl-C stops all).")
    try:
        _serve(host, port)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        if sink is not None:
            sink.stop()


@click.command("erase")
@click.argument("reference")
@click.option("--reason", required=True, help="Why, for the audit trail (e.g. the request's date).")
@click.option("--as", "actor", default="cli", help="Who is erasing (recorded in the audit trail).")
@with_appcontext
def erase_command(reference, reason, actor):
    """Erase the personal data of one closed complaint (ISO 10002 4.10)."""
    from .db import run_change
    from .services.complaints import get_by_reference
    from .services.privacy import erase

    try:
        counts = run_change(lambda: erase(get_by_reference(reference), actor, reason))
    except AppError as err:
        _fail(err)
    click.echo(f"{reference}: personal data erased ({counts['comments']} comment(s), {counts['emails']} email(s), "
               f"task fields: {', '.join(counts['task_fields']) or 'none'})")


@click.command("retention")
@click.option("--days", type=int, default=None, help="Erase complaints closed longer ago (default: RETENTION_DAYS).")
@click.option("--dry-run", is_flag=True, help="List what would be erased, erase nothing.")
@with_appcontext
def retention_command(days, dry_run):
    """Erase the personal data of complaints closed longer ago than the retention period."""
    from .db import run_change
    from .services.privacy import erase, expired

    days = days if days is not None else current_app.config["RETENTION_DAYS"]
    if days is None:
        click.echo("error: no retention period: pass --days N or set COMPLAINTS_RETENTION_DAYS", err=True)
        sys.exit(1)
    due = [c.reference for c in expired(int(days))]
    click.echo(f"{len(due)} closed complaint(s) past {days} days hold personal data")
    if dry_run:
        for reference in due:
            click.echo(f"  would erase {reference}")
        return
    from .services.complaints import get_by_reference

    for number, reference in enumerate(due, 1):
        run_change(lambda ref=reference: erase(get_by_reference(ref), "retention", f"retention period of {days} days"))
        click.echo(f"  [{number}/{len(due)}] erased {reference}")


@click.command("report")
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD", help="First day of the period (UTC).")
@click.option("--to", "end", default=None, metavar="YYYY-MM-DD", help="The day after the period (excluded).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@with_appcontext
def report_command(start, end, fmt):
    """Print the management report (ISO 10002 clause 8) for a period; without --from and
    --to, the last full calendar month."""
    from marshmallow import ValidationError

    from .schemas.reports import ReportQuery, ReportSummary
    from .services.report_export import to_csv
    from .services.reports import summary

    try:
        period = ReportQuery().load({k: v for k, v in (("from", start), ("to", end)) if v is not None})
    except ValidationError as err:
        for name, messages in err.messages.items():
            click.echo(f"error: --{name}: {' '.join(messages)}", err=True)
        sys.exit(1)
    report = summary(period["start"], period["end"])
    if fmt == "csv":
        click.echo(to_csv(report), nl=False)
    else:
        click.echo(json.dumps(ReportSummary().dump(report), indent=2))


@click.command("audit-sample")
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD", help="First day of the period (UTC).")
@click.option("--to", "end", default=None, metavar="YYYY-MM-DD", help="The day after the period (excluded).")
@click.option("--size", default=None, type=int, help="How many closed complaints to draw (default 10).")
@click.option("--seed", default=None, help="Any text; the same seed and period draw the same sample.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@with_appcontext
def audit_sample_command(start, end, size, seed, fmt):
    """Draw a random sample of complaints closed in a period and check that every step
    happened, in time (ISO 10002 8.5); without --from and --to, the last full month."""
    from marshmallow import ValidationError

    from .schemas.audit_sample import AuditSample, AuditSampleQuery
    from .services.audit_sample import sample
    from .services.audit_text import as_text

    given = {"from": start, "to": end, "size": size, "seed": seed}
    try:
        query = AuditSampleQuery().load({k: v for k, v in given.items() if v is not None})
    except ValidationError as err:
        for name, messages in err.messages.items():
            click.echo(f"error: --{name}: {' '.join(messages)}", err=True)
        sys.exit(1)
    drawn = AuditSample().dump(sample(query["start"], query["end"], query["size"], query["seed"]))
    click.echo(json.dumps(drawn, indent=2) if fmt == "json" else as_text(drawn), nl=fmt == "json")


@click.command("demo")
@with_appcontext
def demo_command():
    """Create demo users (password = name) and a few demo complaints."""
    from .services.demo import seed

    for line in seed():
        click.echo(line)


@click.command("config")
@with_appcontext
def config_command():
    """Show the effective configuration (secrets hidden)."""
    from .config import DEFAULTS

    for key in sorted(DEFAULTS):
        value = current_app.config.get(key)
        if key in ("SECRET_KEY", "SMTP_PASSWORD", "AUDIT_KEY", "IMAP_PASSWORD", "METRICS_TOKEN") and value:
            value = "***"
        click.echo(f"{key} = {json.dumps(value, default=str)}")


@click.command("verify-audit")
@click.option("--reference", default=None, help="Check one complaint's trail only.")
@click.option("--anchors", "anchor_dir", default=None, type=click.Path(file_okay=False),
              help="A folder of checkpoints (audit-anchor): prove no event before them changed.")
@with_appcontext
def verify_audit_command(reference, anchor_dir):
    """Check that the audit trails' hash chains are intact and sealed with the trail's key
    (ISO 10002 8.5). Exits 1 and names each break if an event was changed, removed or
    reordered, or differs from a checkpoint."""
    from sqlalchemy import select

    from .db import anchors, trail
    from .models import AuditEvent

    checkpoints = anchors.load(anchor_dir) if anchor_dir else None
    for problem in checkpoints.problems if checkpoints else []:
        click.echo(f"checkpoints: {problem}")
    if reference:
        streams = [f"complaint:{reference}"]
    else:
        found = set(db.session.scalars(select(AuditEvent.stream).distinct()))
        streams = sorted(found | (checkpoints.streams if checkpoints else set()))
    broken = 0
    for number, stream in enumerate(streams, 1):
        problems = trail.verify(stream, checkpoints)
        if reference and not problems and db.session.scalar(
                select(AuditEvent.id).where(AuditEvent.stream == stream).limit(1)) is None:
            click.echo(f"error: there is no audit trail for {reference}", err=True)
            sys.exit(1)
        for problem in problems:
            click.echo(f"{stream}: {problem}")
        broken += bool(problems)
        if number % 1000 == 0:
            click.echo(f"  checked {number}/{len(streams)} trails", err=True)
    if broken or (checkpoints and checkpoints.problems):
        click.echo(f"{broken} of {len(streams)} audit trail(s) broken", err=True)
        sys.exit(1)
    unsealed = trail.unsealed_chains() if not reference else []
    if unsealed and not checkpoints:
        click.echo(f"note: {len(unsealed)} trail(s) hold events from before the trail was sealed with a key "
                   f"(first: {unsealed[0]}); only a checkpoint vouches for those: use --anchors")
    against = f" and match {checkpoints.newest}" if checkpoints else ""
    click.echo(f"{len(streams)} audit trail(s) checked: all intact{against}")


@click.command("audit-anchor")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Where to write the checkpoint (default: AUDIT_ANCHOR_DIR).")
@with_appcontext
def audit_anchor_command(directory):
    """Write a signed checkpoint of every audit chain's head to a folder outside the
    database; `verify-audit --anchors DIR` later proves no event before it changed."""
    from .db import anchors

    directory = directory or current_app.config.get("AUDIT_ANCHOR_DIR")
    if not directory:
        raise click.UsageError("say where: --dir DIR, or set AUDIT_ANCHOR_DIR")
    path, count = anchors.write(directory)
    click.echo(f"checkpoint of {count} audit trail(s) written to {path}")


@click.command("compare")
@click.argument("key")
@click.argument("old", metavar="FROM")
@click.argument("new", metavar="TO")
@with_appcontext
def compare_command(key, old, new):
    """Print what changed from version FROM to version TO of process KEY (ISO 10002 8.7)."""
    from .services.definitions import compare_versions

    try:
        result = compare_versions(key, old, new)
    except AppError as err:
        _fail(err)
    if result["layout_only"]:
        click.echo("only the layout changed")
    elif not result["changes"]:
        click.echo("the two versions are the same")
    for change in result["changes"]:
        click.echo(f"{change.kind:<8} {change.file}: {change.text}")


@click.command("dmn-tck")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--limit", type=int, default=None, help="Stop after this many test cases.")
@click.option("--failures-only", is_flag=True, help="Print only the cases that did not pass.")
def dmn_tck_command(folder, limit, failures_only):
    """Run the DMN TCK test cases under FOLDER (github.com/dmn-tck/tck's layout): one line per
    case, then the counts. Exits 1 if any case failed or errored."""
    from .expressions.dmn.tck import run_folder

    counts = {"passed": 0, "failed": 0, "error": 0}
    for outcome in run_folder(folder, limit):
        counts[outcome.status] += 1
        if not failures_only or outcome.status != "passed":
            click.echo(str(outcome))
    total = sum(counts.values())
    click.echo(f"{counts['passed']} of {total} passed: {counts['passed']} passed, {counts['failed']} failed, "
               f"{counts['error']} errors")
    if counts["failed"] or counts["error"]:
        sys.exit(1)


@click.command("mail-in")
@click.option("--listen", "address", metavar="HOST:PORT", help="Serve SMTP (or LMTP) for a mail server to forward to.")
@click.option("--lmtp", is_flag=True, help="With --listen: speak LMTP instead of SMTP.")
@click.option("--imap", is_flag=True, help="Poll the mailbox the IMAP_* settings name.")
@click.option("--once", is_flag=True, help="With --imap: poll once and exit.")
@with_appcontext
def mail_in_command(address, lmtp, imap, once):
    """Take inbound mail: replies go to their complaint's case file, other mail from new
    senders becomes a complaint on the email channel."""
    from .services import mail_in

    if bool(address) == imap:
        raise click.UsageError("say either --listen HOST:PORT or --imap")
    if address:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise click.BadParameter("give HOST:PORT, for example 127.0.0.1:2525", param_hint="--listen")
        click.echo(f"taking mail by {'LMTP' if lmtp else 'SMTP'} on {host}:{port}")
        mail_in.listen(host.strip("[]"), int(port), lmtp=lmtp)
        return
    try:
        if once:
            click.echo(f"{mail_in.poll_once()} mails taken")
        else:
            mail_in.poll_forever()
    except ValueError as err:
        raise click.UsageError(str(err)) from None


COMMANDS = (init_db_command, deploy_command, export_command, rollback_command, migrate_command,
            secret_key_command, worker_command, serve_command, run_command,
            demo_command, config_command, erase_command, retention_command, verify_audit_command, audit_anchor_command,
            report_command, audit_sample_command, compare_command, dmn_tck_command, mail_in_command)


def init_app(app) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
