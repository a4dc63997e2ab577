"""Agent replies: post a channelback to the original thread, once per Zendesk request."""
import hashlib
import logging
import uuid
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from plugin.accounts import adapter_for
from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.errors import BadRequest
from plugin.errors import Conflict
from plugin.errors import NotFound
from plugin.models import Account
from plugin.models import PostedReply
from plugin.models import ReplyLedger
from plugin.models import StoredMention
from plugin.models import utcnow
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import ReplyTooLong
from plugin.textsplit import split_reply

log = logging.getLogger(__name__)

CLAIM = timedelta(seconds=90)


def send(account: Account, *, message, parent_id, thread_id, request_key) -> PostedReply:
    """Post `message` as a reply in the thread of `parent_id`; return the first posted part.

    Idempotent on `request_key`: a retry returns what was posted and posts nothing new, and
    a retry after a partial failure posts only the parts still missing.

    :raise BadRequest: the message is empty.
    :raise NotFound: nothing of this account matches `parent_id` or `thread_id`.
    :raise Conflict: the same request is being posted right now.
    :raise PlatformError: the platform refused or failed; the ledger records it.
    """
    body = (message or "").strip()
    if not body:
        raise BadRequest("The reply is empty.", code="empty_message")
    target, thread = _target(account.id, parent_id, thread_id)
    ledger = _claim(account.id, request_key, parent_id or thread, thread, body)
    done = _parts(ledger)
    if ledger.status == "posted":
        return done[0]
    adapter = adapter_for(account)
    try:
        parts = plan(adapter, target, body, account.settings.get("long_replies", "split"))
        for index, text in enumerate(parts):
            if index < len(done):
                target = done[index].reply_target
                continue
            posted = adapter.post_reply(target, text, f"{ledger.idempotency_key}-{index}")
            done.append(_record_part(account.id, ledger, posted, thread))
            target = posted.reply_target
    except PlatformError as exc:
        _fail(ledger, exc)
        raise
    ledger.status = "posted"
    ledger.posted_at = utcnow()
    ledger.claimed_until = None
    ledger.error = None
    db.session.commit()
    return done[0]


def plan(adapter, target, body, mode) -> list[str]:
    """The texts to post for `body`: one, or several within the limit when splitting.

    :raise ReplyTooLong: over the limit and the account refuses to split.
    """
    prefix = adapter.reply_prefix(target)
    if prefix and body.lower().startswith(prefix.strip().lower()):
        body = body[len(prefix.strip()):].strip()
    limit = adapter.reply_limit()
    whole = prefix + body
    if adapter.measure(whole) <= limit:
        return [whole]
    if mode == "refuse":
        raise ReplyTooLong(adapter.measure(whole), limit, adapter.label)
    return split_reply(body, prefix, limit, adapter.measure)


def _target(account_id, parent_id, thread_id):
    """The reply target and thread for a channelback's parent (or, failing that, thread)."""
    for key in (parent_id, thread_id):
        if not key:
            continue
        mention = db.session.scalar(select(StoredMention).where(
            StoredMention.account_id == account_id, StoredMention.external_id == key))
        if mention:
            return mention.reply_target, mention.thread_id
        ours = db.session.scalar(select(PostedReply).where(
            PostedReply.account_id == account_id, PostedReply.external_id == key))
        if ours:
            return ours.reply_target, ours.thread_id
    if thread_id:
        latest = db.session.scalar(select(StoredMention).where(
            StoredMention.account_id == account_id, StoredMention.thread_id == thread_id,
            StoredMention.filtered_reason.is_(None)).order_by(StoredMention.seq.desc()))
        if latest:
            return latest.reply_target, latest.thread_id
    raise NotFound("This ticket's post is not one Murmur took in for this account.",
                   code="unknown_parent")


def _claim(account_id, request_key, parent_id, thread, body) -> ReplyLedger:
    """The ledger row for `request_key`, created if new and claimed for this process."""
    insert_ignoring_duplicates(ReplyLedger, [{
        "account_id": account_id, "request_key": request_key, "parent_id": parent_id,
        "thread_id": thread, "idempotency_key": uuid.uuid4().hex, "status": "pending",
        "message_sha256": hashlib.sha256(body.encode()).hexdigest(), "parts": [],
        "created_at": utcnow(),
    }], ["account_id", "request_key"])
    db.session.commit()
    ledger = db.session.scalar(select(ReplyLedger).where(
        ReplyLedger.account_id == account_id, ReplyLedger.request_key == request_key))
    now = utcnow()
    # One conditional UPDATE is the claim, so two processes never post the same reply.
    claimed = db.session.execute(update(ReplyLedger).where(
        ReplyLedger.id == ledger.id, ReplyLedger.status != "posted",
        or_(ReplyLedger.claimed_until.is_(None), ReplyLedger.claimed_until < now),
    ).values(claimed_until=now + CLAIM)).rowcount
    db.session.commit()
    if claimed or ledger.status == "posted":
        return ledger
    raise Conflict("This reply is being posted right now; try again shortly.",
                   code="reply_in_progress")


def _parts(ledger) -> list[PostedReply]:
    return list(db.session.scalars(select(PostedReply).where(PostedReply.reply_id == ledger.id)
                                   .order_by(PostedReply.id)))


def _record_part(account_id, ledger, posted, thread) -> PostedReply:
    part = PostedReply(account_id=account_id, reply_id=ledger.id, external_id=posted.external_id,
                       thread_id=thread, url=posted.url, reply_target=posted.reply_target)
    db.session.add(part)
    ledger.parts = [*ledger.parts, posted.external_id]
    db.session.commit()
    return part


def _fail(ledger, exc):
    db.session.rollback()
    ledger = db.session.get(ReplyLedger, ledger.id)
    ledger.status = "failed"
    ledger.error = f"{exc.code}: {exc.message}"[:2000]
    ledger.claimed_until = None
    db.session.commit()
    log.warning("reply %s failed: %s", ledger.id, ledger.error)
