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
from plugin.replies import attachments
from plugin.replies.attachments import AttachmentFailed
from plugin.replies.planning import plan

log = logging.getLogger(__name__)

# Zendesk does not document how long it waits for a channelback; its webhooks give up
# after about 10 s (reference/zendesk.md §3.3). A claim held longer only blocks its retry.
ZENDESK_WAIT = timedelta(seconds=10)
# Room for our own database work around one post.
MARGIN = timedelta(seconds=1)


def send(account: Account, *, message, parent_id, thread_id, request_key,
         file_urls=()) -> PostedReply:
    """Post `message` as a reply in the thread of `parent_id`; return the first posted part.

    The files at `file_urls` (on the account's Zendesk) go with the first part, or, when the
    platform cannot take them, nothing is posted and the agent is told why.

    Idempotent on `request_key`: a retry returns what was posted and posts nothing new, and
    a retry after a partial failure posts only the parts still missing.

    A process that dies while posting leaves a claim that lapses within one post's time
    (`claim_length`); a retry then takes over, and since every part goes out under its own
    stable idempotency key, a part the dead process may already have posted is not doubled.

    :raise BadRequest: the message is empty, or needs more than `MAX_PARTS` posts.
    :raise NotFound: nothing of this account matches `parent_id` or `thread_id`.
    :raise Conflict: the same request is being posted right now, or came before with
        another message.
    :raise AttachmentFailed: an attachment could not be fetched from Zendesk.
    :raise PlatformError: the platform refused or failed (`MediaRefused`: it cannot take
        these attachments); the ledger records it.
    """
    body = (message or "").strip()
    if not body:
        raise BadRequest("The reply is empty.", code="empty_message")
    target, thread = reply_target(account.id, parent_id, thread_id)
    adapter = adapter_for(account)
    length = claim_length(adapter)
    ledger, hold = claim(account.id, request_key, parent_id or thread, thread, body, length,
                         file_urls)
    done = _parts(ledger)
    if ledger.status == "posted":
        return done[0]
    try:
        parts = plan(adapter, target, body, account.settings.get("long_replies", "split"))
        # Media go with the first part: once it is posted, they are out.
        files = attached_files(account, adapter, file_urls) if not done else []
        for index, text in enumerate(parts):
            if index < len(done):
                target = done[index].reply_target
                continue
            renewed = utcnow() + length
            _fence(ledger, hold, claimed_until=renewed)
            db.session.commit()
            hold = renewed
            posted = adapter.post_reply(target, text, part_key(ledger, index),
                                        files=tuple(files) if index == 0 else ())
            done.append(_record_part(account.id, ledger, hold, posted, thread))
            target = posted.reply_target
    except (PlatformError, BadRequest, AttachmentFailed) as exc:
        _fail(ledger, hold, exc)
        raise
    _fence(ledger, hold, status="posted", posted_at=utcnow(), claimed_until=None, error=None)
    db.session.commit()
    return done[0]


def attached_files(account, adapter, file_urls) -> list:
    """The files at `file_urls` fetched from Zendesk, once the adapter says it can take
    that many (and then, fetched, these very files).

    :raise MediaRefused: the platform cannot take them.
    :raise AttachmentFailed: a file could not be fetched.
    """
    if not file_urls:
        return []
    adapter.check_media(len(file_urls))
    files = attachments.fetch_all(account, list(file_urls), adapter.media_rules().largest())
    adapter.check_media(files)
    return files


def claim_length(adapter) -> timedelta:
    """How long a claim lasts before another attempt may take the reply over.

    That is the adapter's timeout for one post (posts are not retried), never more than
    Zendesk waits for our answer, plus our own database work. Each part renews it.
    """
    return min(timedelta(seconds=adapter.http.timeout), ZENDESK_WAIT) + MARGIN


def part_key(ledger, index) -> str:
    """The idempotency key part `index` of a reply is posted under, on every attempt."""
    return f"{ledger.idempotency_key}-{index}"


def reply_target(account_id, parent_id, thread_id):
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


def claim(account_id, request_key, parent_id, thread, body, length, file_urls=()):
    """The ledger row for `request_key` (created if new) and this process's hold on it.

    The hold is the claim's expiry, which this process alone knows: every later write
    checks it, so a process whose claim lapsed and was taken over stops. A posted reply
    comes back with no hold.

    :raise Conflict: another process holds the claim, or the request came with another
        message (or other attachments).
    """
    # A reply without attachments keeps the digest of its text alone.
    digest = hashlib.sha256("\n".join([body, *file_urls]).encode()).hexdigest()
    insert_ignoring_duplicates(ReplyLedger, [{
        "account_id": account_id, "request_key": request_key, "parent_id": parent_id,
        "thread_id": thread, "idempotency_key": uuid.uuid4().hex, "status": "pending",
        "message_sha256": digest, "parts": [], "created_at": utcnow(),
    }], ["account_id", "request_key"])
    db.session.commit()
    ledger = db.session.scalar(select(ReplyLedger).where(
        ReplyLedger.account_id == account_id, ReplyLedger.request_key == request_key))
    if ledger.message_sha256 != digest:
        raise Conflict("Zendesk sent this request before with a different message; "
                       "nothing was posted for this one.", code="reply_request_changed")
    if ledger.status == "posted":
        return ledger, None
    now = utcnow()
    hold = now + length
    # One conditional UPDATE is the claim, so two processes never post the same reply.
    claimed = db.session.execute(update(ReplyLedger).where(
        ReplyLedger.id == ledger.id, ReplyLedger.status != "posted",
        or_(ReplyLedger.claimed_until.is_(None), ReplyLedger.claimed_until < now),
    ).values(claimed_until=hold)).rowcount
    db.session.commit()
    if claimed:
        return ledger, hold
    if ledger.status == "posted":
        return ledger, None
    wait = max(1, round((ledger.claimed_until - now).total_seconds()))
    raise Conflict(f"This reply is being posted right now; try again in {wait} s.",
                   code="reply_in_progress")


def _fence(ledger, hold, **values):
    """Write `values` to the ledger (uncommitted) if this process still holds its claim.

    On PostgreSQL the UPDATE also locks the row, so no take-over lands before the commit.

    :raise Conflict: the claim lapsed and another attempt took the reply over.
    """
    held = db.session.execute(update(ReplyLedger).where(
        ReplyLedger.id == ledger.id, ReplyLedger.claimed_until == hold,
    ).values(**values)).rowcount
    if not held:
        db.session.rollback()
        raise Conflict("Another attempt took this reply over; it posts what is missing.",
                       code="reply_taken_over")


def _parts(ledger) -> list[PostedReply]:
    return list(db.session.scalars(select(PostedReply).where(PostedReply.reply_id == ledger.id)
                                   .order_by(PostedReply.id)))


def _record_part(account_id, ledger, hold, posted, thread) -> PostedReply:
    _fence(ledger, hold, parts=[*ledger.parts, posted.external_id])
    part = PostedReply(account_id=account_id, reply_id=ledger.id, external_id=posted.external_id,
                       thread_id=thread, url=posted.url, reply_target=posted.reply_target)
    db.session.add(part)
    db.session.commit()
    return part


def _fail(ledger, hold, exc):
    db.session.rollback()
    error = f"{exc.code}: {exc.message}"[:2000]
    try:
        _fence(ledger, hold, status="failed", error=error, claimed_until=None)
    except Conflict:
        error += " (another attempt holds the reply now)"
    db.session.commit()
    log.warning("reply %s failed: %s", ledger.id, error)
