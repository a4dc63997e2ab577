"""The shared intake pipeline: filter, thread, score and store each mention exactly once.

Every entry point (poll, webhook, backfill) hands its `Mention`s here. Nothing is dropped
silently: reposts, the brand's own posts and echoes of our replies are stored with the
reason and never delivered.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy import update

from plugin import sentiment
from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.models import Account
from plugin.models import PostedReply
from plugin.models import StoredMention
from plugin.platforms.errors import PlatformError

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """Counts from one ingest call."""

    stored: int = 0
    filtered: int = 0
    duplicates: int = 0
    too_old: int = 0


def filter_reason(account, adapter, mention, our_replies) -> str | None:
    """Why `mention` must not become a ticket, or None if it should."""
    if mention.external_id in our_replies:
        return "echo_of_our_reply"
    if adapter.is_own(mention, account.brand_user_id):
        return "own_post"
    if mention.is_repost:
        return "repost"
    return None


def ingest(account: Account, adapter, mentions, cursor=None) -> IngestResult:
    """Store the new `mentions` of `account` once each, then commit (with `cursor`, if given)."""
    result = IngestResult()
    fresh = [m for m in mentions if m.posted_at >= account.backfill_since]
    result.too_old = len(mentions) - len(fresh)
    ids = [m.external_id for m in fresh]
    known = set(db.session.scalars(select(StoredMention.external_id).where(
        StoredMention.account_id == account.id, StoredMention.external_id.in_(ids))))
    ours = _our_replies(account.id, ids + [m.parent_id for m in fresh if m.parent_id])
    new = [m for m in fresh if m.external_id not in known]
    result.duplicates = len(fresh) - len(new)
    rows = []
    for mention in new:
        reason = filter_reason(account, adapter, mention, ours)
        rows.append(_row(account, mention, reason, _thread_of(account, adapter, mention, ours)))
        if reason:
            result.filtered += 1
    if rows:
        first = _reserve_seqs(account.id, len(rows))
        for offset, row in enumerate(rows):
            row["seq"] = first + offset
        inserted = insert_ignoring_duplicates(StoredMention, rows, ["account_id", "external_id"])
        result.duplicates += len(rows) - inserted
        result.stored = inserted - result.filtered
    if cursor is not None:
        db.session.execute(update(Account).where(Account.id == account.id).values(cursor=cursor))
    db.session.commit()
    if result.too_old:
        log.info("account %s: left %d mentions older than the backfill window",
                 account.id, result.too_old)
    return result


def _our_replies(account_id, ids):
    """Map each of `ids` that is one of our posted replies to its thread id."""
    if not ids:
        return {}
    rows = db.session.execute(select(PostedReply.external_id, PostedReply.thread_id).where(
        PostedReply.account_id == account_id, PostedReply.external_id.in_(ids)))
    return dict(rows.all())


def _thread_of(account, adapter, mention, ours):
    """The thread a mention belongs to: its parent's, if we hold the parent, else the root."""
    if mention.parent_id:
        if mention.parent_id in ours:
            return ours[mention.parent_id]
        parent_thread = db.session.scalar(select(StoredMention.thread_id).where(
            StoredMention.account_id == account.id,
            StoredMention.external_id == mention.parent_id))
        if parent_thread:
            return parent_thread
    try:
        return adapter.resolve_thread(mention)
    except PlatformError as exc:
        log.warning("account %s: thread of %s unresolved (%s)", account.id,
                    mention.external_id, exc)
        return mention.parent_id or mention.external_id


def _reserve_seqs(account_id, count) -> int:
    """Reserve `count` delivery sequence numbers; the row lock orders concurrent writers."""
    last = db.session.execute(
        update(Account).where(Account.id == account_id)
        .values(last_seq=Account.last_seq + count).returning(Account.last_seq)).scalar_one()
    return last - count + 1


def _row(account, mention, reason, thread_id):
    scored = sentiment.score(mention.text)
    author = mention.author
    return {
        "account_id": account.id,
        "platform": mention.platform,
        "external_id": mention.external_id,
        "thread_id": thread_id,
        "parent_id": mention.parent_id,
        "author_id": author.id,
        "author_handle": author.handle[:255],
        "author_name": (author.name or author.handle)[:255],
        "author_avatar": author.avatar_url,
        "author_url": author.profile_url,
        "text": mention.text,
        "url": mention.url,
        "visibility": mention.visibility,
        "reply_target": mention.reply_target,
        "posted_at": mention.posted_at,
        "sentiment": scored.score,
        "sentiment_label": scored.label,
        "filtered_reason": reason,
        "raw": mention.raw,
    }
