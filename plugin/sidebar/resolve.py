"""Which social author a Zendesk ticket's requester is."""
from dataclasses import asdict
from dataclasses import dataclass

from sqlalchemy import select

from plugin.db import db
from plugin.db import insert_ignoring_duplicates
from plugin.models import Account
from plugin.models import Installation
from plugin.models import ProfileLink
from plugin.models import StoredMention
from plugin.models import TicketLink
from plugin.platforms.shapes import Author
from plugin.zendesk.gateway import ZendeskGateway


@dataclass
class Match:
    """An author as seen through one of the subdomain's accounts."""

    account: Account
    author: Author


def author_of_ticket(subdomain, ticket_id, requester_id) -> Match | None:
    """The ticket's social author: from the ticket's own mentions, then from the requester's
    Zendesk identities (where the installation gave us an API token), then from profiles
    agents linked by hand. A match is remembered for the requester.

    The ticket's mentions come from unsigned event callbacks: with API access a claimed
    mention counts only if its author is one of the requester's identities; without, only
    a mention no other ticket claims (a forged claim makes the real one ambiguous, so the
    panel shows nothing rather than someone else).
    """
    installation = db.session.scalar(select(Installation).where(
        Installation.subdomain == subdomain))
    identities = None
    if ZendeskGateway.available(installation):
        gateway = ZendeskGateway(installation)
        requester_id = requester_id or gateway.requester_of(ticket_id)
        identities = gateway.identity_values_of(requester_id) if requester_id else []
    match = _from_ticket(subdomain, ticket_id, identities)
    if match is None and identities:
        match = _from_identities(subdomain, identities)
    if match is None and requester_id:
        match = _from_links(subdomain, requester_id)
    if match is not None and requester_id:
        remember(subdomain, requester_id, match, source="ticket")
    return match


def other_profiles(subdomain, requester_id, author_id) -> list[dict]:
    """Every other author the requester is known as, on any platform."""
    if not requester_id:
        return []
    links = db.session.scalars(select(ProfileLink).where(
        ProfileLink.subdomain == subdomain, ProfileLink.requester_id == requester_id,
        ProfileLink.author_id != author_id).order_by(ProfileLink.id)).all()
    seen, result = set(), []
    for link in links:
        if link.author_id not in seen:
            seen.add(link.author_id)
            result.append({"platform": link.author_id.split(":", 1)[0], **link.author})
    return result


def remember(subdomain, requester_id, match: Match, source: str):
    """Record that the requester is this author (idempotent)."""
    insert_ignoring_duplicates(ProfileLink, [{
        "subdomain": subdomain, "requester_id": int(requester_id),
        "account_id": match.account.id, "author_id": match.author.id,
        "author": asdict(match.author), "source": source,
    }], ["subdomain", "requester_id", "author_id"])
    db.session.commit()


def _accounts(subdomain):
    return select(Account.id).where(Account.subdomain == subdomain)


def _mention_match(query) -> Match | None:
    mention = db.session.scalar(query.where(StoredMention.filtered_reason.is_(None))
                                .order_by(StoredMention.seq).limit(1))
    if mention is None:
        return None
    author = Author(id=mention.author_id, handle=mention.author_handle,
                    name=mention.author_name, avatar_url=mention.author_avatar,
                    profile_url=mention.author_url)
    return Match(account=db.session.get(Account, mention.account_id), author=author)


def ticket_mentions(subdomain, ticket_id) -> list[StoredMention]:
    """The mentions Zendesk made this ticket from (its own posts, not the author's history)."""
    return db.session.scalars(_ticket_query(subdomain, ticket_id)
                              .where(StoredMention.filtered_reason.is_(None))
                              .order_by(StoredMention.seq)).all()


def _ticket_query(subdomain, ticket_id):
    external_ids = select(TicketLink.external_id).where(
        TicketLink.subdomain == subdomain, TicketLink.ticket_id == ticket_id)
    return select(StoredMention).where(
        StoredMention.account_id.in_(_accounts(subdomain)),
        StoredMention.external_id.in_(external_ids))


def _from_ticket(subdomain, ticket_id, identities):
    query = _ticket_query(subdomain, ticket_id)
    if identities is not None:  # Zendesk says who the requester is: believe only that
        return _mention_match(query.where(StoredMention.author_id.in_(identities)))
    contested = select(TicketLink.external_id).where(
        TicketLink.subdomain == subdomain, TicketLink.ticket_id != ticket_id)
    return _mention_match(query.where(StoredMention.external_id.not_in(contested)))


def _from_identities(subdomain, values):
    if not values:
        return None
    return _mention_match(select(StoredMention).where(
        StoredMention.account_id.in_(_accounts(subdomain)),
        StoredMention.author_id.in_(values)))


def _from_links(subdomain, requester_id):
    link = db.session.scalar(select(ProfileLink).where(
        ProfileLink.subdomain == subdomain, ProfileLink.requester_id == int(requester_id))
        .order_by(ProfileLink.id).limit(1))
    if link is None:
        return None
    return Match(account=db.session.get(Account, link.account_id), author=Author(**link.author))
