"""The sidebar API the Zendesk app calls through Zendesk's proxy."""
from flask import Blueprint
from flask import jsonify
from flask import request
from sqlalchemy import select

from plugin.accounts import adapter_for
from plugin.boundary import json_body
from plugin.boundary import load
from plugin.boundary import web_url
from plugin.db import db
from plugin.errors import NotFound
from plugin.models import Account
from plugin.platforms import REGISTRY
from plugin.platforms.base import PROFILE
from plugin.platforms.errors import NotShared
from plugin.platforms.errors import Refused
from plugin.sidebar import history as histories
from plugin.sidebar import resolve
from plugin.sidebar.auth import authorised_subdomain
from plugin.sidebar.auth import vouched_ids
from plugin.sidebar.schemas import link_request
from plugin.sidebar.schemas import sidebar_document
from plugin.sidebar.schemas import ticket_request
from plugin.sidebar.summary import summarise

bp = Blueprint("sidebar", __name__, url_prefix="/api/sidebar")


# A string, judged by the schema: Werkzeug's int converter raises on 4,300 digits or more.
@bp.get("/tickets/<ticket_id>")
def ticket(ticket_id):
    """The panel's document for a ticket of the token's subdomain.

    The ticket and requester are the token's when it names them; the path and the
    `requester_id` query may only agree.
    """
    subdomain, claims = authorised_subdomain()
    ids = vouched_ids(claims, load(ticket_request, {
        "ticket_id": ticket_id, "requester_id": request.args.get("requester_id") or None}))
    match = resolve.author_of_ticket(subdomain, ids["ticket_id"], ids["requester_id"])
    return jsonify(sidebar_document.dump(
        _document(subdomain, ids["ticket_id"], ids["requester_id"], match)))


@bp.post("/links")
def link():
    """Link a handle on a connected platform to the requester, then answer as `ticket` does.

    :raise NotFound: no connected account on that platform, or no such handle there.
    :raise NotShared: the platform does not let Murmur look people up.
    """
    subdomain, claims = authorised_subdomain()
    data = vouched_ids(claims, load(link_request, json_body()))
    account = db.session.scalar(select(Account).where(
        Account.subdomain == subdomain, Account.platform == data["platform"],
        Account.active.is_(True)).order_by(Account.id).limit(1))
    if account is None:
        raise NotFound(f"No {data['platform']} account is connected for this Zendesk.",
                       code="platform_not_connected")
    cls = REGISTRY[account.platform]
    if PROFILE not in cls.capabilities:
        raise NotShared(PROFILE, cls.label)
    try:
        author = adapter_for(account).lookup(data["handle"])
    except Refused as exc:
        raise NotFound(exc.message, code="profile_not_found") from None
    match = resolve.Match(account=account, author=author)
    resolve.remember(subdomain, data["requester_id"], match, source="manual")
    return jsonify(sidebar_document.dump(
        _document(subdomain, data["ticket_id"], data["requester_id"], match)))


def _document(subdomain, ticket_id, requester_id, match):
    connected = [{"platform": a.platform, "label": REGISTRY[a.platform].label,
                  "account": a.brand_handle, "handle_example": REGISTRY[a.platform].handle_example,
                  "can_link": PROFILE in REGISTRY[a.platform].capabilities}
                 for a in db.session.scalars(select(Account).where(
                     Account.subdomain == subdomain, Account.active.is_(True))
                     .order_by(Account.id))]
    document = {"ticket_id": ticket_id, "state": "unknown", "profile": None, "sentiment": None,
                "posts": [], "stale": False, "stale_code": None, "stale_reason": None,
                "fetched_at": None, "not_shared": [],
                "connected_platforms": connected}
    if match is None:
        return document
    seen = histories.history(match.account, match.author)
    platform = match.account.platform
    others = [{**other, "platform_label": REGISTRY[other["platform"]].label}
              for other in resolve.other_profiles(subdomain, requester_id, match.author.id)
              if other["platform"] in REGISTRY]
    profile = {**seen.profile, "author_id": match.author.id, "platform": platform,
               "platform_label": REGISTRY[platform].label, "other_profiles": others}
    profile.pop("id", None)
    posts = [{**post, "url": web_url(post["url"])} for post in seen.posts]
    for item in (profile, *others):
        for key in ("profile_url", "avatar_url"):
            if key in item:
                item[key] = web_url(item[key])
    own = histories.stored_posts([m for m in resolve.ticket_mentions(subdomain, ticket_id)
                                  if m.author_id == match.author.id])
    document.update(state="found", profile=profile, posts=posts,
                    sentiment=summarise(seen.posts, own), stale=seen.stale,
                    not_shared=list(seen.not_shared),
                    stale_code=seen.stale_code, fetched_at=seen.fetched_at,
                    stale_reason=seen.stale_code and histories.agent_reason(match.account,
                                                                            seen.stale_code))
    return document
