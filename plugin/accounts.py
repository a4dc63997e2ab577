"""Connected accounts: creating and editing them, their metadata, and their adapters."""
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from plugin.db import db
from plugin.errors import BadRequest
from plugin.errors import NotFound
from plugin.errors import Unauthorized
from plugin.models import Account
from plugin.models import utcnow
from plugin.platforms import adapter_class
from plugin.secrets_box import box

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


def adapter_for(account: Account, settings=None, credentials=None):
    """An adapter bound to `account` (or to candidate settings and credentials)."""
    cls = adapter_class(account.platform)
    cfg = current_app.config
    return cls(settings if settings is not None else account.settings,
               credentials if credentials is not None else box().open(account.credentials_sealed),
               allow_http=cfg["PLATFORM_ALLOW_HTTP"], timeout=cfg["PLATFORM_TIMEOUT_SECONDS"],
               backoff=cfg["PLATFORM_RETRY_BACKOFF"])


def connect(platform, subdomain, values, *, name=None, account=None, push=None, uid=None):
    """Create (or, given `account`, update) an account after checking it with the platform.

    Blank secret fields on an edit keep the stored secret; a new account takes `uid` if given.
    Returns `(account, metadata)`;
    the metadata carries a fresh secret, so an edit hands Zendesk new metadata.

    :raise NotConfigured: a setting is missing or malformed.
    :raise AuthFailed: the platform refused the credentials.
    """
    subdomain = check_subdomain(subdomain)
    cls = adapter_class(platform)
    cfg = current_app.config
    if account is not None:
        kept = box().open(account.credentials_sealed)
        blanks = {spec.name for spec in cls.fields if spec.secret and not values.get(spec.name)}
        values = {**values, **{name: kept[name] for name in blanks if name in kept}}
    settings, credentials = cls.clean_settings(values, allow_http=cfg["PLATFORM_ALLOW_HTTP"])
    candidate = account or Account(platform=platform, subdomain=subdomain)
    identity = adapter_for(candidate, settings, credentials).verify()
    if account is None:
        days = int(settings["backfill_days"])
        candidate.uid = uid or str(uuid.uuid4())
        candidate.backfill_since = utcnow() - timedelta(days=days)
        candidate.next_poll_at = utcnow()
        db.session.add(candidate)
    candidate.name = (name or f"{cls.label} {identity.handle}")[:255]
    candidate.settings = settings
    candidate.credentials_sealed = box().seal(credentials)
    candidate.brand_user_id = identity.user_id
    candidate.brand_handle = identity.handle
    candidate.active = True
    if push and push.get("instance_push_id"):
        candidate.instance_push_id = push["instance_push_id"]
        candidate.push_token_sealed = box().seal(push.get("zendesk_access_token"))
    secret = secrets.token_urlsafe(32)
    candidate.metadata_secret_hash = _digest(secret)
    db.session.commit()
    return candidate, metadata_for(candidate, secret)


def metadata_for(account: Account, secret: str) -> str:
    """The Channel Framework metadata string: a reference and a secret, never credentials."""
    return json.dumps({"account": account.uid, "secret": secret}, separators=(",", ":"))


def from_metadata(metadata: str) -> Account:
    """The active account a metadata string names, after checking its secret.

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
    if account is None or not account.active:
        raise NotFound("No connected account matches this metadata.", code="unknown_account")
    if not hmac.compare_digest(account.metadata_secret_hash, _digest(secret)):
        raise Unauthorized("The metadata's secret does not match.", code="invalid_metadata")
    return account


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
