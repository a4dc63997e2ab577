"""Connected accounts: creating and editing them, their metadata, and their adapters."""
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugin.db import db
from plugin.errors import BadRequest
from plugin.errors import Conflict
from plugin.errors import NotFound
from plugin.errors import Unauthorized
from plugin.models import Account
from plugin.models import utcnow
from plugin.credential_store import AccountCredentials
from plugin.pauses import AccountGuard
from plugin.platforms import adapter_class
from plugin.platforms.catalogue import N_
from plugin.platforms.errors import NotConfigured
from plugin.secrets_box import box
from plugin.usage import read_budget

SUBDOMAIN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")


def check_subdomain(subdomain: str) -> str:
    """The bare Zendesk subdomain (`acme` for acme.zendesk.com), lower-cased.

    :raise BadRequest: it is not a valid subdomain.
    """
    value = (subdomain or "").strip().lower()
    if value.endswith(".zendesk.com"):
        value = value[: -len(".zendesk.com")]
    if not SUBDOMAIN.match(value):
        raise BadRequest(f"{subdomain!r} is not a Zendesk subdomain.", code="invalid_subdomain")
    return value


def adapter_for(account: Account, settings=None, credentials=None, lease_until=None,
                budgeted=False):
    """An adapter bound to `account` (or to candidate settings and credentials).

    A stored account's adapter checks and records pauses and usage in the database (and
    renews the poll lease `lease_until` this process holds), so every process honours them,
    and refreshes its stored credentials through `AccountCredentials`. A `budgeted` adapter
    (intake, the sidebar's history) also keeps within the account's daily read budget;
    replies never wait for it.
    """
    cls = adapter_class(account.platform)
    cfg = current_app.config
    guard = store = None
    if account.id:
        guard = AccountGuard(account.id, lease_until,
                             read_budget=read_budget(account) if budgeted else None)
        store = AccountCredentials(account) if credentials is None else None
    return cls(settings if settings is not None else account.settings, credentials or {},
               allow_http=cfg["PLATFORM_ALLOW_HTTP"], timeout=cfg["PLATFORM_TIMEOUT_SECONDS"],
               backoff=cfg["PLATFORM_RETRY_BACKOFF"], guard=guard, store=store,
               allow_loopback=cfg["PLATFORM_ALLOW_LOOPBACK"],
               app_secrets=cfg["PLATFORM_SECRETS"])


def check_configured(cls):
    """:raise NotConfigured: the operator has not set the platform's app-level settings."""
    missing = cls.missing_app_settings(current_app.config["PLATFORM_SECRETS"])
    if missing:
        raise NotConfigured(N_("%(platform)s is not configured on this Murmur service: its "
                               "operator must set %(names)s."),
                            params={"platform": cls.label, "names": ", ".join(missing)})


def connect(platform, subdomain, values, *, name=None, account=None, push=None, uid=None):
    """Create (or, given `account`, update) an account after checking it with the platform.

    One account per Zendesk subdomain, platform and brand account: connecting a brand account
    that is already connected edits that account (its cursor, stored mentions and sequence
    stay, so nothing is taken in twice) and reactivates it. Blank secret fields on an edit keep
    the stored secret, as long as the API stays on the same server; a new account takes `uid`
    if given. Returns `(account, metadata)`; the metadata carries a fresh secret, so the
    newest connection is the one Zendesk pulls with.

    :raise NotConfigured: the platform is not configured, a setting is missing or malformed,
        or an edit moves the API to another server without new credentials.
    :raise AuthFailed: the platform refused the credentials.
    :raise Conflict: editing one account with another already-connected brand account.
    """
    subdomain = check_subdomain(subdomain)
    cls = adapter_class(platform)
    check_configured(cls)
    cfg = current_app.config
    kept = []
    if account is not None:
        stored = box().open(account.credentials_sealed)
        kept = [spec for spec in cls.fields
                if spec.secret and not values.get(spec.name) and spec.name in stored]
        values = {**values, **{spec.name: stored[spec.name] for spec in kept}}
    settings, credentials = cls.clean_settings(values, allow_http=cfg["PLATFORM_ALLOW_HTTP"])
    if kept and _origin(cls, settings) != _origin(cls, account.settings):
        raise NotConfigured(N_("Enter the %(label)s for this address: Murmur sends stored "
                               "credentials only to the server they were saved for."),
                            field=kept[0].name, params={"label": kept[0].label})
    candidate = account or Account(platform=platform, subdomain=subdomain)
    adapter = adapter_for(candidate, settings, credentials)
    identity = adapter.verify()
    key = brand_key(adapter.base_url, identity.user_id)
    for attempt in range(2):
        same = _connected(platform, subdomain, key)
        if same is not None and account is not None and same.id != account.id:
            raise Conflict(f"{identity.handle} is already connected as {same.name}; edit that "
                           "account instead.", code="already_connected")
        target = account or same
        if target is None:
            target = Account(platform=platform, subdomain=subdomain, uid=uid or str(uuid.uuid4()),
                             backfill_since=utcnow() - timedelta(days=int(settings["backfill_days"])),
                             next_poll_at=utcnow())
            db.session.add(target)
        target.brand_key = key
        # The adapter's credentials: verifying may have refreshed the submitted ones.
        secret = _save(target, cls, identity, settings, adapter.credentials, name, push)
        try:
            db.session.commit()
        except IntegrityError:
            # Two connects of one new brand account raced; the other one created it: edit it.
            db.session.rollback()
            if attempt:
                raise
            continue
        return target, metadata_for(target, secret)


def _origin(cls, settings):
    """Where an adapter with `settings` sends its credentials: scheme and host of its API."""
    return urlsplit(settings.get("base_url") or cls.default_base_url or "")[:2]


def brand_key(base_url: str, brand_user_id: str) -> str:
    """Which brand account a connection is: its user id on that API (ids are per server)."""
    return hashlib.sha256(f"{base_url}\n{brand_user_id}".encode()).hexdigest()


def _connected(platform, subdomain, key):
    return db.session.scalar(select(Account).where(
        Account.platform == platform, Account.subdomain == subdomain, Account.brand_key == key))


def _save(account, cls, identity, settings, credentials, name, push) -> str:
    """Write a verified connection onto `account`; return the new metadata secret."""
    if not account.active:
        account.next_poll_at = utcnow()  # reconnected: resume from the stored cursor at once
    account.name = (name or f"{cls.label} {identity.handle}")[:255]
    account.settings = settings
    account.credentials_sealed = box().seal(credentials)
    # A new version: a refresh still running with the old credentials cannot overwrite these.
    account.credentials_version = 0 if account.id is None else Account.credentials_version + 1
    account.credentials_expire_at = cls.credentials_expire_at(credentials)
    account.credentials_failed_at = account.credentials_error = None
    account.brand_user_id = identity.user_id
    account.brand_handle = identity.handle
    account.active = True
    if push and push.get("instance_push_id"):
        account.instance_push_id = push["instance_push_id"]
        account.push_token_sealed = box().seal(push.get("zendesk_access_token"))
    secret = secrets.token_urlsafe(32)
    account.metadata_secret_hash = _digest(secret)
    return secret


def metadata_for(account: Account, secret: str) -> str:
    """The Channel Framework metadata string: a reference and a secret, never credentials."""
    return json.dumps({"account": account.uid, "secret": secret}, separators=(",", ":"))


def from_metadata(metadata: str, *, active_only=True) -> Account:
    """The (active) account a metadata string names, after checking its secret.

    :raise BadRequest: the metadata is not ours.
    :raise NotFound: no such account.
    :raise Unauthorized: the secret does not match.
    """
    try:
        data = json.loads(metadata or "")
        uid, secret = str(data["account"]), str(data["secret"])
    except (ValueError, KeyError, TypeError):
        raise BadRequest("metadata is not a Murmur account reference.",
                         code="invalid_metadata") from None
    if "\x00" in uid + secret:  # PostgreSQL cannot even compare text holding NUL
        raise BadRequest("metadata is not a Murmur account reference.", code="invalid_metadata")
    account = db.session.scalar(select(Account).where(Account.uid == uid))
    if account is None or (active_only and not account.active):
        raise NotFound("No connected account matches this metadata.", code="unknown_account")
    if not hmac.compare_digest(account.metadata_secret_hash, _digest(secret)):
        raise Unauthorized("The metadata's secret does not match.", code="invalid_metadata")
    return account


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
