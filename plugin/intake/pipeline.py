"""The shared intake pipeline: filter, thread, score and store each mention exactly once.

Every entry point (poll, webhook, backfill) hands its `Mention`s here. Nothing is dropped
silently: reposts, the brand's own posts and echoes of our replies are stored with the
reason and never delivered.
"""
import logging
from dataclasses import asdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy import update

from plugin.intake import sentiment
from plugin.boundary import storable
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
    """Store the new `mentions` of `account` once each, then commit (with `cursor`, if given).

    Reads first, then asks the platform for the threads it must (outside any transaction,
    once per batch), then writes mentions and cursor in one transaction.
    """
    result = IngestResult()
    fresh = [m for m in mentions if m.posted_at >= account.backfill_since]
    result.too_old = len(mentions) - len(fresh)
    ids = [m.external_id for m in fresh]
    known = set(db.session.scalars(select(StoredMention.external_id).where(
        StoredMention.account_id == account.id, StoredMention.external_id.in_(ids))))
    new = [m for m in fresh if m.external_id not in known]
    result.duplicates = len(fresh) - len(new)
    ours = _our_replies(account.id, ids + [m.parent_id for m in new if m.parent_id])
    threads = _stored_threads(account.id, new, ours)
    db.session.commit()  # end the read transaction: platform calls hold no database locks
    threads.update(_ask_platform(account, adapter, [m for m in new if m.external_id not in threads]))
    rows = []
    for mention in new:
        reason = filter_reason(account, adapter, mention, ours)
        thread = (threads.get(mention.external_id) or threads.get(mention.parent_id)
                  or mention.parent_id or mention.external_id)
        rows.append(storable(_row(account, mention, reason, thread)))
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


def _stored_threads(account_id, mentions, ours) -> dict[str, str]:
    """Threads known without asking the platform: top-level posts, replies to what we hold."""
    threads = {m.external_id: m.thread_id for m in mentions if m.thread_id}
    parents = {m.parent_id for m in mentions if m.parent_id and m.external_id not in threads}
    held = dict(db.session.execute(select(StoredMention.external_id, StoredMention.thread_id)
                                   .where(StoredMention.account_id == account_id,
                                          StoredMention.external_id.in_(parents))).all())
    held.update({parent: ours[parent] for parent in parents if parent in ours})
    for mention in mentions:  # oldest first, so a reply follows its parent within the batch
        if mention.external_id in threads:
            continue
        parent_thread = held.get(mention.parent_id) or threads.get(mention.parent_id)
        if parent_thread:
            threads[mention.external_id] = parent_thread
    return threads


def _ask_platform(account, adapter, mentions) -> dict[str, str]:
    if not mentions:
        return {}
    try:
        return adapter.resolve_threads(mentions)
    except PlatformError as exc:
        log.warning("account %s: threads of %d mentions unresolved (%s)", account.id,
                    len(mentions), exc)
        return {}


def _our_replies(account_id, ids):
    """Map each of `ids` that is one of our posted replies to its thread id."""
    if not ids:
        return {}
    rows = db.session.execute(select(PostedReply.external_id, PostedReply.thread_id).where(
        PostedReply.account_id == account_id, PostedReply.external_id.in_(ids)))
    return dict(rows.all())


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
        "attachments": [asdict(attachment) for attachment in mention.attachments],
    }
