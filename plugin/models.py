"""Database models: installations, accounts, mentions, the reply ledger, Zendesk events, used
admin forms, OAuth clients and sign-ins under way."""
from datetime import date
from datetime import datetime
from datetime import timezone

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from plugin.db import db


def utcnow():
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(db.TypeDecorator):
    """A DateTime that always comes back timezone-aware UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Installation(db.Model):
    """A Zendesk subdomain that installed the app.

    Registered the first time Zendesk vouches for it with a signed sidebar request (which
    names its app installation), or by an operator for a private install with a shared secret.
    """

    __tablename__ = "installations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subdomain: Mapped[str] = mapped_column(String(63), unique=True)
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    app_installation_id: Mapped[int | None] = mapped_column(BigInteger)
    vouched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    api_email: Mapped[str | None] = mapped_column(String(255))
    api_token_sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Account(db.Model):
    """One connected social account (a Channel Framework integration instance)."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("subdomain", "platform", "brand_key", name="uq_accounts_brand"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    subdomain: Mapped[str] = mapped_column(String(63), index=True)
    name: Mapped[str] = mapped_column(String(255))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    credentials_sealed: Mapped[str] = mapped_column(Text)
    metadata_secret_hash: Mapped[str] = mapped_column(String(64))
    brand_user_id: Mapped[str] = mapped_column(String(255))
    brand_handle: Mapped[str] = mapped_column(String(255))
    # The brand account's identity across reconnects: its user id on that API base URL.
    brand_key: Mapped[str] = mapped_column(String(64))
    instance_push_id: Mapped[str | None] = mapped_column(String(255))
    push_token_sealed: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    backfill_since: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    poll_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a webhook delivery last reached the account (platforms that push).
    last_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # A pause the platform asked for (429, a spent window), honoured by every process.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(String(255))
    # Credentials that change after connect: each write bumps the version (compare-and-swap),
    # one process at a time refreshes them (the lease), and a refusal no refresh fixed is kept.
    credentials_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    credentials_expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credentials_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credentials_error: Mapped[str | None] = mapped_column(Text)
    # Receipts of stored mentions the platform has not yet taken as acknowledged (retried).
    unacknowledged: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AccountUsage(db.Model):
    """Platform calls, 429s and billed reads of one account on one UTC day."""

    __tablename__ = "account_usage"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rate_limited: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    billed_reads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class StoredMention(db.Model):
    """A mention as taken in, kept once per account; `seq` orders delivery to Zendesk."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id", name="uq_mentions_account_external"),
        UniqueConstraint("account_id", "seq", name="uq_mentions_account_seq"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(String(255))
    author_id: Mapped[str] = mapped_column(String(255), index=True)
    author_handle: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str] = mapped_column(String(255))
    author_avatar: Mapped[str | None] = mapped_column(String(1024))
    author_url: Mapped[str | None] = mapped_column(String(1024))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1024))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    reply_target: Mapped[dict] = mapped_column(JSON)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sentiment: Mapped[float] = mapped_column(Float)
    sentiment_label: Mapped[str] = mapped_column(String(16))
    filtered_reason: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[dict] = mapped_column(JSON)
    # The post's files as `Attachment` fields, for Zendesk's file_urls.
    attachments: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(db.Model):
    """A signed webhook delivery, kept raw as received, once per platform and delivery key.

    `status`: pending (stored, not yet processed), done, unroutable (no active account of the
    platform is the brand it is for) or failed; `reason` says why for the last two.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("platform", "delivery_key", name="uq_webhook_deliveries_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    delivery_key: Mapped[str] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict] = mapped_column(JSON)
    brand_user_ids: Mapped[list] = mapped_column(JSON, default=list)
    account_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a worker was last asked to process it, and how many times it has been asked.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReplyLedger(db.Model):
    """One agent reply (a channelback), keyed by Zendesk's request_unique_identifier."""

    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("account_id", "request_key", name="uq_replies_account_request"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    request_key: Mapped[str] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(String(255))
    message_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    parts: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostedReply(db.Model):
    """Each status we posted, so our own replies are recognised when they come back."""

    __tablename__ = "posted_replies"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id", name="uq_posted_account_external"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1024))
    reply_target: Mapped[dict] = mapped_column(JSON)


class ZendeskEvent(db.Model):
    """A Channel Framework event callback, kept as received."""

    __tablename__ = "zendesk_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subdomain: Mapped[str] = mapped_column(String(63), index=True)
    type_id: Mapped[str] = mapped_column(String(64))
    integration_instance: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketLink(db.Model):
    """A claim, from an (unsigned) event callback, that one of our external ids landed on a
    ticket; several claims for one id may exist, and only an uncontradicted or confirmed one
    is believed."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("subdomain", "external_id", "ticket_id",
                         name="uq_ticket_links_candidate"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subdomain: Mapped[str] = mapped_column(String(63))
    external_id: Mapped[str] = mapped_column(String(255))
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProfileLink(db.Model):
    """A Zendesk requester known to be a social author (seen on a ticket, or linked by hand)."""

    __tablename__ = "profile_links"
    __table_args__ = (
        UniqueConstraint("subdomain", "requester_id", "author_id", name="uq_profile_links"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subdomain: Mapped[str] = mapped_column(String(63))
    requester_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(String(255))
    author: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HistoryCache(db.Model):
    """An author's public profile and recent posts, as last fetched through an account."""

    __tablename__ = "history_cache"
    __table_args__ = (
        UniqueConstraint("account_id", "author_id", name="uq_history_account_author"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(String(255))
    profile: Mapped[dict] = mapped_column(JSON)
    posts: Mapped[list] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_after: Mapped[datetime] = mapped_column(UTCDateTime)
    refreshing_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class UsedFormToken(db.Model):
    """An admin-UI form that was submitted, so it saves once; kept until the form expires."""

    __tablename__ = "used_form_tokens"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OAuthClient(db.Model):
    """The client Murmur registered at one server of a platform, for one redirect URI."""

    __tablename__ = "oauth_clients"
    __table_args__ = (UniqueConstraint("platform", "server", "redirect_uri",
                                       name="uq_oauth_client"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    server: Mapped[str] = mapped_column(String(512))
    redirect_uri: Mapped[str] = mapped_column(String(512))
    client_id: Mapped[str] = mapped_column(String(512))
    client_secret_sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthSignIn(db.Model):
    """A sign-in an admin started from one account form: kept server-side, used once."""

    __tablename__ = "oauth_sign_ins"
    # sha256 of the `state` sent to the platform: the state itself is never stored.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_nonce: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    verifier_sealed: Mapped[str] = mapped_column(Text)
    form_sealed: Mapped[str] = mapped_column(Text)
    claimed: Mapped[bool] = mapped_column(Boolean, default=False)
    result_sealed: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
