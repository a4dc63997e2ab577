"""The one place Murmur calls the Zendesk REST API, through zenpy.

zenpy sleeps through 429s in the calling thread, so calls here carry a small rate-limit
budget and a timeout: a sidebar request never hangs on Zendesk.
"""
import logging

import requests
from flask import current_app
from requests import RequestException
from zenpy import Zenpy
from zenpy.lib.exception import APIException
from zenpy.lib.exception import ZenpyException

from plugin.models import Installation
from plugin.secrets_box import box

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
RATELIMIT_BUDGET_SECONDS = 3
# Not found, refused, rate-limit budget spent, unreachable: the sidebar shows what it has.
FAILURES = (APIException, ZenpyException, RequestException)


class ZendeskGateway:
    """Zendesk REST verbs for one installation that gave Murmur an API token."""

    def __init__(self, installation: Installation):
        self._client = Zenpy(subdomain=installation.subdomain, email=installation.api_email,
                             token=box().open(installation.api_token_sealed),
                             timeout=TIMEOUT_SECONDS, disable_cache=True,
                             ratelimit_budget=RATELIMIT_BUDGET_SECONDS)

    @staticmethod
    def available(installation: Installation | None) -> bool:
        """Whether the installation has a Zendesk API credential."""
        return bool(installation and installation.api_email and installation.api_token_sealed)

    def requester_of(self, ticket_id: int) -> int | None:
        """The requester's user id of a ticket, or None if Zendesk does not know it."""
        try:
            return self._client.tickets(id=ticket_id).requester_id
        except FAILURES as exc:
            log.warning("zendesk: ticket %s unavailable: %s", ticket_id, exc)
            return None

    def identity_values_of(self, user_id: int) -> list[str]:
        """The values of a user's identities (emails, handles, any_channel external ids)."""
        try:
            return [identity.value for identity in self._client.users.identities(id=user_id)
                    if identity.value]
        except FAILURES as exc:
            log.warning("zendesk: identities of user %s unavailable: %s", user_id, exc)
            return []


def api_url(subdomain: str, path: str) -> str:
    """`path` on the Zendesk API of `subdomain` (ZENDESK_BASE_URL, `{subdomain}` filled in)."""
    base = current_app.config["ZENDESK_BASE_URL"].format(subdomain=subdomain).rstrip("/")
    return base + path


def app_public_key(subdomain: str, app_id: str) -> str:
    """The PEM public key Zendesk signs an app's requests with (anonymous access).

    :raise ZendeskUnavailable: Zendesk did not answer with a key.
    """
    try:
        answer = requests.get(api_url(subdomain, f"/api/v2/apps/{app_id}/public_key.pem"),
                              timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except RequestException as exc:
        raise ZendeskUnavailable(f"Zendesk could not be reached: {type(exc).__name__}") from None
    if answer.status_code != 200 or "BEGIN PUBLIC KEY" not in answer.text:
        raise ZendeskUnavailable(f"Zendesk answered {answer.status_code} for the app's key")
    return answer.text


class ZendeskUnavailable(Exception):
    """Zendesk did not give what was asked (unreachable, an error, an unexpected body)."""
