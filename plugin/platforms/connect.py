"""How an admin connects an account: the flows an adapter declares.

Every adapter accepts `PASTED`: the admin types its `fields` (tokens, app passwords). A platform
with OAuth 2.0 also declares an `OAuth2` flow: Murmur sends the admin to the platform to sign
in (authorization code with PKCE) and turns what the sign-in grants into the same form values
a pasted token would give, so the account is saved and verified the same way. One sign-in may
grant several things (a user's Facebook pages); each is a `Candidate`, and the admin picks one.

Flows speak HTTP through the `PlatformHTTP` they are handed; they know nothing of Flask or the
database (the client registered at a server, the sign-ins under way are kept by the caller).
"""
import base64
from abc import ABC
from abc import abstractmethod
from dataclasses import dataclass

from plugin.platforms.errors import NotConfigured
from plugin.platforms.http import PlatformHTTP
from plugin.platforms.http import check_base_url


@dataclass(frozen=True)
class Pasted:
    """The admin types the adapter's `fields` (today's form; the CLI's only way)."""

    kind: str = "pasted"


PASTED = Pasted()


@dataclass(frozen=True)
class Client:
    """An OAuth client Murmur holds at a server."""

    client_id: str
    client_secret: str | None


@dataclass(frozen=True)
class Candidate:
    """One thing a sign-in grants that can become an account.

    `values` are account form values (settings and credentials) as a pasted form would carry
    them; `label` is what a picker shows when a sign-in grants several.
    """

    label: str
    values: dict


class OAuth2(ABC):
    """The OAuth 2.0 authorization code grant with PKCE S256 (RFC 6749 §4.1, RFC 7636)."""

    kind = "oauth2"
    scopes: tuple[str, ...] = ()
    # The form field naming the server the admin signs in at (a Mastodon instance); None for
    # a platform with one server, its adapter's `default_base_url`.
    server_field: str | None = None
    # The form fields the sign-in fills in (pasting them stays an advanced option).
    fills: tuple[str, ...] = ()
    # How a client with a secret authenticates at the token endpoint (RFC 8414's names): the
    # secret in the form body, or HTTP Basic, which some platforms require.
    token_auth: str = "client_secret_post"
    # Whether `register` asks the server for a client (kept once registered) rather than
    # reading the deployment's own client (read at every sign-in, so a rotated secret counts).
    dynamic_client: bool = True

    def server(self, adapter_cls, values: dict, allow_http: bool) -> str:
        """The base URL of the server to sign in at, for the form's `values`.

        :raise NotConfigured: the address is missing or not acceptable.
        """
        address = values.get(self.server_field) if self.server_field else None
        try:
            return check_base_url(address or adapter_cls.default_base_url, allow_http)
        except NotConfigured as exc:
            exc.field = self.server_field
            raise

    @abstractmethod
    def authorize_url(self, server: str) -> str:
        """Where the admin's browser signs in and approves Murmur."""

    @abstractmethod
    def token_url(self, server: str) -> str:
        """Where the authorization code is exchanged for a token."""

    @abstractmethod
    def register(self, http: PlatformHTTP, redirect_uri: str, secrets: dict) -> Client:
        """A client at `http`'s server for `redirect_uri`.

        A platform that registers clients dynamically asks the server here, once per server
        and redirect URI (the caller keeps the answer); one with a single developer app per
        deployment reads it from the app-level `secrets` (environment name → value) at every
        sign-in.

        :raise NotConfigured: the deployment's client is not configured.
        """

    @abstractmethod
    def candidates(self, server: str, token: dict) -> list[Candidate]:
        """What the token response `token` grants, as account form values."""


class OAuth1(ABC):
    """OAuth 1.0a (RFC 5849): request token, the admin's approval, access token.

    The interface a platform signing each request with a consumer key implements; the client
    keys come from the adapter's `app_settings`.
    """

    kind = "oauth1"

    @abstractmethod
    def endpoints(self, server: str) -> tuple[str, str, str]:
        """The request-token, authorization and access-token URLs."""

    @abstractmethod
    def candidates(self, server: str, token: dict) -> list[Candidate]:
        """What the access-token response `token` grants, as account form values."""


def basic_auth(client_id: str, client_secret: str) -> str:
    """The Authorization value of HTTP Basic client authentication at a token endpoint.

    The id and secret go as they are, as X documents it (RFC 7617), not form-urlencoded first
    as RFC 6749 §2.3.1 asks: the two only differ for characters X's client ids and secrets
    do not use.
    """
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def sign_in_flow(adapter_cls) -> OAuth2 | None:
    """The adapter's OAuth 2.0 flow, if it declares one."""
    return next((flow for flow in adapter_cls.connect_flows if isinstance(flow, OAuth2)), None)
