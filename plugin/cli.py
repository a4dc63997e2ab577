"""Operator CLI: `flask --app plugin accounts …`, `… installations …` and `… platforms`."""
import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup
from flask.cli import with_appcontext
from sqlalchemy import func
from sqlalchemy import select

from plugin import accounts
from plugin.intake import polling as intake
from plugin import schema
from plugin import secrets_box
from plugin.db import db
from plugin.errors import AppError
from plugin.health import account_health
from plugin.models import Account
from plugin.models import Installation
from plugin.platforms import REGISTRY
from plugin.platforms.errors import PlatformError
from plugin.usage import usage_today
from plugin.secrets_box import box


@with_appcontext
def _schema_first():
    """The operator's commands work on a fresh database, as the processes do."""
    schema.upgrade()


accounts_cli = AppGroup("accounts", help="Connected social accounts.", callback=_schema_first)
installations_cli = AppGroup("installations", help="Zendesk subdomains using the sidebar.",
                             callback=_schema_first)
schema_cli = AppGroup("schema", help="The database schema (migrations).")
keys_cli = AppGroup("keys", help="SECRET_KEY and the credentials it seals.")


@schema_cli.command("upgrade")
def upgrade_schema():
    """Apply pending migrations (safe while other processes start: they take turns)."""
    schema.upgrade()
    click.echo(f"Database schema at {schema.current_revision()}.")


@schema_cli.command("status")
def schema_status():
    """Say whether the database schema matches the code; exit 1 if it is behind."""
    current, head = schema.current_revision(), schema.head_revision()
    click.echo(f"database at {current or 'nothing'}, code at {head}")
    if current != head:
        raise SystemExit(1)


@keys_cli.command("check")
def check_keys():
    """Check that SECRET_KEY opens the stored credentials."""
    try:
        secrets_box.check_key()
    except secrets_box.KeyMismatch as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("SECRET_KEY opens the stored credentials.")


@keys_cli.command("rotate")
def rotate_keys():
    """Re-seal every stored secret under the first key of SECRET_KEY=new,old."""
    try:
        count = secrets_box.reseal_all()
    except secrets_box.KeyMismatch as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Re-sealed {count} stored secret(s) under the first key; the others may go.")


def _pairs(values, env_values=()):
    """Settings from `--set KEY=VALUE` (VALUE `-`: read a line from standard input) and
    `--set-env KEY=VARIABLE` (the value of an environment variable), so secrets need not
    stand on the command line."""
    settings = {}
    for option, items in (("--set", values), ("--set-env", env_values)):
        for item in items:
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
            if option == "--set-env":
                if value not in os.environ:
                    raise click.BadParameter(f"the environment has no {value!r}",
                                             param_hint=option)
                value = os.environ[value]
            elif value == "-":
                value = _stdin_line(key)
            settings[key] = value
    return settings


def _stdin_line(what):
    line = click.get_text_stream("stdin").readline()
    if not line:
        raise click.BadParameter(f"{what}=- but standard input is empty", param_hint="--set")
    return line.rstrip("\r\n")


@accounts_cli.command("add")
@click.argument("platform")
@click.option("--subdomain", required=True, help="The Zendesk subdomain (acme for acme.zendesk.com).")
@click.option("--name", default=None, help="The account's name in Zendesk.")
@click.option("--set", "values", multiple=True, metavar="KEY=VALUE",
              help="An account setting; VALUE `-` reads it from standard input (one line each).")
@click.option("--set-env", "env_values", multiple=True, metavar="KEY=VARIABLE",
              help="An account setting taken from an environment variable.")
def add_account(platform, subdomain, name, values, env_values):
    """Connect an account as the admin UI would; print its Channel Framework metadata last.

    Connecting a brand account that is already connected for the subdomain edits it.
    """
    try:
        account, metadata = accounts.connect(platform, subdomain, _pairs(values, env_values),
                                             name=name)
    except (PlatformError, AppError) as exc:
        raise click.ClickException(exc.message) from None
    intake.queue_poll(account.id)
    click.echo(f"Connected {account.name} (account {account.id}) for {account.subdomain}.")
    click.echo(metadata)


@click.command("platforms")
@with_appcontext
def list_platforms():
    """Show each platform: how accounts connect, and whether its app settings are set."""
    secrets = current_app.config["PLATFORM_SECRETS"]
    for cls in REGISTRY.values():
        missing = cls.missing_app_settings(secrets)
        state = f"not configured: set {', '.join(missing)}" if missing else "ready"
        flows = ", ".join(flow.kind for flow in cls.connect_flows)
        click.echo(f"{cls.name}\t{cls.label}\tconnect: {flows}\t{state}")


@accounts_cli.command("remove")
@click.argument("account_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_account(account_id, yes):
    """Delete an account with its stored mentions, replies and cached histories."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise click.ClickException(f"No account {account_id}.")
    if not yes:
        click.confirm(f"Delete {account.name} for {account.subdomain} and everything it took "
                      "in?", abort=True)
    db.session.delete(account)
    db.session.commit()
    click.echo(f"Removed account {account_id}. Remove its instance in Zendesk too "
               "(Admin Center → Channel integrations), or its pulls will fail.")


@accounts_cli.command("list")
def list_accounts():
    """Show every account with its health (intake, replies, platform pauses, credentials) and
    today's usage (UTC: platform calls, 429s, billed reads against any daily budget)."""
    rows = db.session.scalars(select(Account).order_by(Account.id)).all()
    if not rows:
        click.echo("No accounts.")
    usage = usage_today()
    for account in rows:
        health = account_health(account, usage.get(account.id))
        today = health["usage_today"]
        budget = f"/{health['daily_read_budget']}" if health["daily_read_budget"] else ""
        click.echo(f"{account.id}\t{account.platform}\t{account.subdomain}\t{account.name}\t"
                   f"{health['state']}\tlast success: {health['last_success_at'] or 'never'}\t"
                   f"last error: {health['last_error'] or health['last_reply_error'] or '-'}\t"
                   f"today: calls {today['calls']}, rate-limited {today['rate_limited']}, "
                   f"billed reads {today['billed_reads']}{budget}"
                   + (f"\tpaused until {health['paused_until']}: {health['pause_reason']}"
                      if health["paused_until"] else "")
                   + (f"\tcredentials expire {health['credentials_expire_at']}"
                      if health["credentials_expire_at"] else ""))


@installations_cli.command("add")
@click.argument("subdomain")
@click.option("--secret", default=None,
              help="Use this shared secret instead of a new one (`-`: read it from standard input).")
@click.option("--api-email", default=None,
              help="Optional: a Zendesk agent's email, for reading requesters' identities.")
@click.option("--api-token", default=None, envvar="ZENDESK_API_TOKEN",
              help="Optional: that agent's Zendesk API token (or set ZENDESK_API_TOKEN).")
def add_installation(subdomain, secret, api_email, api_token):
    """Register a Zendesk subdomain; print the sidebar's shared secret last."""
    try:
        subdomain = accounts.check_subdomain(subdomain)
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    if secret == "-":
        secret = _stdin_line("--secret")
    if secret is not None and len(secret.encode()) < 32:
        # HS256 keys shorter than the hash are weak (RFC 7518 §3.2).
        raise click.ClickException("The shared secret must be at least 32 bytes.")
    secret = secret or secrets.token_urlsafe(32)
    installation = db.session.scalar(select(Installation).where(
        Installation.subdomain == subdomain)) or Installation(subdomain=subdomain)
    installation.secret_sealed = box().seal(secret)
    if bool(api_email) != bool(api_token):
        raise click.ClickException("Give both --api-email and --api-token, or neither.")
    if api_email:
        installation.api_email = api_email
        installation.api_token_sealed = box().seal(api_token)
    db.session.add(installation)
    db.session.commit()
    click.echo(f"Installation for {subdomain}.zendesk.com; put this in the app's Shared secret:")
    click.echo(secret)


@installations_cli.command("list")
def list_installations():
    """Show every registered Zendesk subdomain and its accounts (secrets are never shown)."""
    rows = db.session.scalars(select(Installation).order_by(Installation.subdomain)).all()
    if not rows:
        click.echo("No installations.")
    for installation in rows:
        count = db.session.scalar(select(func.count()).select_from(Account).where(
            Account.subdomain == installation.subdomain))
        api = installation.api_email or "no API access"
        click.echo(f"{installation.subdomain}\tregistered {installation.created_at:%Y-%m-%d}\t"
                   f"{count} account(s)\t{api}")
