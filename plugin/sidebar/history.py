"""A customer's public profile and recent posts, cached per account with stale-while-refresh.

A cached history younger than the TTL is served as is. An older one is served at once while a
background task refreshes it, so an agent never waits twice for the same customer. With no
cache the history is fetched inline; if the platform fails, what Murmur already holds (the
cache, or the author's stored mentions) is served and flagged as possibly out of date.
"""
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from plugin.intake import sentiment
from plugin.accounts import adapter_for
from plugin.boundary import iso_z
from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.models import Account
from plugin.models import HistoryCache
from plugin.models import StoredMention
from plugin.models import utcnow
from plugin.platforms import REGISTRY
from plugin.platforms import adapter_class
from plugin.platforms.base import HISTORY
from plugin.platforms.base import PROFILE
from plugin.platforms.shapes import Author
from plugin.platforms.shapes import Profile
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import BudgetSpent
from plugin.platforms.errors import RateLimited

log = logging.getLogger(__name__)

RECENT_POSTS = 20
STALE_REASONS = {
    "rate_limited": "{platform} asked Murmur to slow down",
    "budget_spent": "today's read budget for {platform} is used up",
    "auth_failed": "{platform} refused the connected account's access; an admin should "
                   "reconnect it",
    "unreachable": "{platform} could not be reached",
}
RETRY_FAILED_REFRESH = timedelta(minutes=1)
REFRESH_LEASE = timedelta(seconds=60)


@dataclass
class History:
    """What the sidebar shows of one author."""

    profile: dict
    posts: list[dict]
    fetched_at: object
    stale: bool = False
    stale_code: str | None = None
    # The capabilities (history, profile) the platform does not share, said plainly.
    not_shared: tuple = ()


def history(account: Account, author: Author) -> History:
    """The author's history as seen through `account` (see the module docstring).

    A platform that shares neither posts nor profiles is never asked: the author's mentions
    of the brand are what Murmur knows, and the sidebar says why.
    """
    missing = not_shared(account)
    if HISTORY in missing and PROFILE in missing:
        return _from_stored_mentions(account, author, None)
    row = _cached(account.id, author.id)
    now = utcnow()
    if row is not None and now >= row.refresh_after:
        _schedule_refresh(row, author)
    if row is None:
        try:
            row = refresh(account, author)
        except PlatformError as exc:
            log.warning("account %s: history of %s unavailable: %s", account.id, author.id, exc)
            return _from_stored_mentions(account, author, stale_code(exc))
    seen = _from_row(row, missing)
    if HISTORY in missing:  # what Murmur knows instead: the author's mentions of the brand
        seen.posts = _from_stored_mentions(account, author, None).posts
    return seen


def not_shared(account: Account) -> tuple:
    """Which of history and profile the account's platform does not share."""
    has = adapter_class(account.platform).capabilities
    return tuple(what for what in (HISTORY, PROFILE) if what not in has)


def refresh(account: Account, author: Author) -> HistoryCache:
    """Fetch the author's profile and posts from the platform and cache them.

    :raise PlatformError: the platform failed; the cache keeps its data and notes the error.
    """
    adapter = adapter_for(account, budgeted=True)
    missing = not_shared(account)
    try:
        # Both calls at once: a cold sidebar waits for the platform once, not twice.
        with ThreadPoolExecutor(max_workers=2) as pool:
            posts_call = pool.submit(lambda: [] if HISTORY in missing
                                     else adapter.recent_posts(author, RECENT_POSTS))
            profile = Profile(author) if PROFILE in missing else adapter.profile(author)
            posts = posts_call.result()
    except PlatformError as exc:
        _note_failure(account, author, exc)
        raise
    ours = _stored_ids(account.id, [post.external_id for post in posts])
    values = {
        "profile": {**asdict(profile.author), "followers_count": profile.followers_count},
        "posts": sorted((_post(post, account, ours) for post in posts),
                        key=lambda p: (p["posted_at"], p["id"]), reverse=True),
        "fetched_at": utcnow(), "last_error": None, "refreshing_until": None,
        "refresh_after": utcnow() + _ttl(),
    }
    return _upsert(account.id, author.id, values)


def refresh_task(account_id: int, author: dict):
    """Background refresh (a Huey task body); failures are recorded on the cache row."""
    account = db.session.get(Account, account_id)
    if account is None:
        return
    try:
        refresh(account, Author(**author))
    except PlatformError:
        pass  # _note_failure recorded it; the next sidebar view retries after a minute


def stale_code(exc) -> str:
    """Why the history may be out of date, as a code the sidebar's catalogue words."""
    if isinstance(exc, BudgetSpent):
        return "budget_spent"
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, AuthFailed):
        return "auth_failed"
    return "unreachable"


def agent_reason(account, code) -> str:
    """A stale code in English words for an agent (no URLs, no internals)."""
    words = STALE_REASONS.get(code, STALE_REASONS["unreachable"])
    return words.format(platform=REGISTRY[account.platform].label)


def _ttl():
    return timedelta(seconds=current_app.config["SIDEBAR_HISTORY_TTL_SECONDS"])


def _known_code(last_error):
    # Rows cached before codes were stored hold English words: call those "unreachable".
    if last_error is None:
        return None
    return last_error if last_error in STALE_REASONS else "unreachable"


def _cached(account_id, author_id):
    return db.session.scalar(select(HistoryCache).where(
        HistoryCache.account_id == account_id, HistoryCache.author_id == author_id))


def _from_row(row, missing) -> History:
    return History(profile=row.profile, posts=row.posts, fetched_at=row.fetched_at,
                   stale=row.last_error is not None,
                   stale_code=_known_code(row.last_error), not_shared=missing)


def _schedule_refresh(row, author):
    now = utcnow()
    claimed = db.session.execute(update(HistoryCache).where(
        HistoryCache.id == row.id,
        (HistoryCache.refreshing_until.is_(None)) | (HistoryCache.refreshing_until < now),
    ).values(refreshing_until=now + REFRESH_LEASE)).rowcount
    db.session.commit()
    if claimed:
        current_app.extensions["murmur.tasks"]["refresh_history"](row.account_id, asdict(author))


def _note_failure(account, author, exc):
    db.session.rollback()
    db.session.execute(update(HistoryCache).where(
        HistoryCache.account_id == account.id, HistoryCache.author_id == author.id,
    ).values(last_error=stale_code(exc),
             refreshing_until=None,
             refresh_after=utcnow() + RETRY_FAILED_REFRESH))
    db.session.commit()


def _upsert(account_id, author_id, values) -> HistoryCache:
    insert_ignoring_duplicates(HistoryCache, [{"account_id": account_id, "author_id": author_id,
                                               **values}], ["account_id", "author_id"])
    db.session.execute(update(HistoryCache).where(
        HistoryCache.account_id == account_id, HistoryCache.author_id == author_id)
        .values(**values))
    db.session.commit()
    return _cached(account_id, author_id)


def _stored_ids(account_id, ids):
    return set(db.session.scalars(select(StoredMention.external_id).where(
        StoredMention.account_id == account_id, StoredMention.external_id.in_(ids))))


def _post(post, account, ours) -> dict:
    scored = sentiment.score(post.text)
    mentions_brand = post.external_id in ours or account.brand_handle.lower() in post.text.lower()
    return _post_dict(post.external_id, post.text, post.url, post.posted_at, scored.score,
                      scored.label, mentions_brand, post.likes)


def _post_dict(post_id, text, url, posted_at, score, label, mentions_brand, likes=None) -> dict:
    """One post as the sidebar document (and the cache) hold it."""
    return {"id": post_id, "text": text, "url": url, "posted_at": iso_z(posted_at),
            "sentiment": score, "label": label, "mentions_brand": mentions_brand,
            "likes": likes}


def stored_posts(mentions) -> list[dict]:
    """Stored mentions as the sidebar document holds posts."""
    return [_post_dict(m.external_id, m.text, m.url, m.posted_at, m.sentiment,
                       m.sentiment_label, mentions_brand=True) for m in mentions]


def _from_stored_mentions(account, author, code) -> History:
    """What Murmur holds of the author: their stored mentions; stale when `code` says why."""
    rows = db.session.scalars(select(StoredMention).where(
        StoredMention.account_id == account.id, StoredMention.author_id == author.id)
        .order_by(StoredMention.posted_at.desc()).limit(RECENT_POSTS)).all()
    posts = stored_posts(rows)
    return History(profile={**asdict(author), "followers_count": None}, posts=posts,
                   fetched_at=rows[0].ingested_at if rows else None, stale=code is not None,
                   stale_code=code, not_shared=not_shared(account))
