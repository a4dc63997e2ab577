"""Each account's transport: signed requests to its own hosts only, timeouts, retries on
transient failures, typed errors, refreshed credentials, counted calls."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter
from urllib3.util import Retry

from plugin.platforms.catalogue import N_
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import CredentialsExpired
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Refused
from plugin.platforms.errors import Unavailable

USER_AGENT = "Murmur/1.0 (+https://murmur.example)"
DEFAULT_BACKOFF = timedelta(seconds=60)
# Credentials this close to their expiry are refreshed before a call rather than after a 401.
REFRESH_AHEAD = timedelta(minutes=2)


def check_base_url(url: str, allow_http: bool) -> str:
    """Return `url` without a trailing slash if it is an acceptable API base URL.

    The host is lower-cased and a default port dropped, so one server has one spelling.

    :raise NotConfigured: not http(s), no host, credentials in it, or plain http when not
        allowed.
    """
    parts = urlsplit((url or "").strip())
    allowed = {"https", "http"} if allow_http else {"https"}
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in allowed or not parts.hostname or port == -1:
        template = (N_("The API base URL must be an http or https URL, got %(url)s.") if allow_http
                    else N_("The API base URL must be an https URL, got %(url)s."))
        raise NotConfigured(template, params={"url": repr(url)})
    if parts.username or parts.password:
        raise NotConfigured(N_("The API base URL must not hold a user name or password."))
    # One server, one spelling: our external ids are built from this URL.
    default = {"https": 443, "http": 80}[parts.scheme]
    netloc = parts.hostname if port in (None, default) else f"{parts.hostname}:{port}"
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


class OtherHost(requests.RequestException):
    """A platform tried to send us (with our credentials) to another host."""


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <token>` on each request it signs."""

    def __init__(self, token: str):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class LocalGuard:
    """A pause kept in memory by one client (an adapter not bound to a stored account)."""

    def __init__(self):
        self.paused_until = None

    def before_call(self, most_billed=0):
        """:raise RateLimited: the pause this client learnt has not ended."""
        if self.paused_until and datetime.now(timezone.utc) < self.paused_until:
            raise RateLimited(f"Paused until {self.paused_until:%H:%M:%S} UTC.",
                              resume_at=self.paused_until)

    def learned_pause(self, until, reason):
        """Keep the later of the current pause and `until`."""
        self.paused_until = max(self.paused_until or until, until)

    def record_call(self, rate_limited, billed_reads):
        """Nothing to count for a client without an account."""


class LocalCredentials:
    """Credentials held by one client only (an adapter not bound to a stored account)."""

    def __init__(self, credentials: dict):
        self.current = dict(credentials)
        self.version = 0

    def refreshed(self, seen_version: int, refresh, expires_at) -> dict:
        """The credentials after `seen_version`: refreshed by `refresh` unless already newer."""
        if self.version == seen_version:
            self.current = refresh(dict(self.current))
            self.version += 1
        return self.current

    def newer_than(self, version: int) -> bool:
        """Whether these credentials have been replaced since `version`."""
        return self.version != version

    def failed(self, error):
        """Nothing to record for a client without an account."""


class PlatformHTTP:
    """One account's transport: a `requests.Session` bound to its API and credentials.

    Each request to one of `own_hosts` is signed by `auth(credentials)` with the credentials
    current at that moment; a request to any other host (a media URL, a Link header) goes out
    with no credentials at all. Answers are classified by `classify` (a platform's own error
    shapes, even in a 200) before the status-code rules. Credentials that `classify` calls
    expired are refreshed through `refresh` (one refresh at a time per account, see the
    store) and the request repeated once; credentials about to expire are refreshed first.

    GETs are retried on connection errors and 502/503/504 with a short back-off; POSTs
    are not, since only the caller knows whether a repeat is safe. Every answered call is
    counted on the guard (calls, 429s, billed reads).
    """

    def __init__(self, base_url, *, auth=None, credentials=None, refresh=None, expires_at=None,
                 classify=None, billed_reads=None, most_billed=None, own_hosts=(),
                 user_agent=USER_AGENT, timeout=10.0, retries=2, backoff=0.5, rate_limit=None,
                 guard=None, allow_loopback=False):
        self.base_url = base_url
        self.host = urlsplit(base_url).hostname
        self.own_hosts = {self.host, *own_hosts}
        self.credentials = credentials or LocalCredentials({})
        self._auth = auth or (lambda credentials: None)
        self._refresh = refresh
        self._expires_at = expires_at or (lambda credentials: None)
        self._classify = classify or (lambda response: None)
        self._billed_reads = billed_reads or (lambda response: 0)
        self._most_billed = most_billed or (lambda method, url, params: 0)
        self.timeout = timeout
        self._rate_limit = rate_limit or (lambda headers: (None, None))
        # Where pauses and usage are kept and checked: the account's (shared by every
        # process), or, for an adapter used without an account, this object's own.
        self.guard = guard or LocalGuard()
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        # Retry-After is not slept out inside a call (urllib3 would block a worker for the
        # whole window and retry 429s): it travels on the error as `resume_at`, and the
        # account's poll schedule honours it.
        retry = Retry(
            total=retries, connect=retries, read=0, status=retries, backoff_factor=backoff,
            status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=False, raise_on_status=False,
        )
        # Every connection goes to the address the name resolved to, checked to be public
        # (no loopback, private, link-local or reserved ranges: no SSRF, no DNS rebinding).
        # Only local fakes in tests may allow loopback.
        for scheme in ("https://", "http://"):
            adapter = IPFilterAdapter(is_https_proto=scheme == "https://",
                                      allow_loopback=allow_loopback)
            adapter.max_retries = retry
            self.session.mount(scheme, adapter)
        self.session.hooks["response"].append(self._same_host_redirects_only)

    def _same_host_redirects_only(self, response, **_):
        if response.is_redirect:
            target = urlsplit(requests.compat.urljoin(response.url,
                                                      response.headers["Location"]))
            if target.hostname != urlsplit(response.url).hostname:
                raise OtherHost(f"{urlsplit(response.url).hostname} redirected to another "
                                f"host, {target.hostname}.")
        return response

    def url(self, path_or_url: str) -> str:
        """An absolute URL for an API path (absolute URLs, e.g. from Link headers, pass through)."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + path_or_url

    def request(self, method, path_or_url, *, authenticate=True, **kwargs) -> requests.Response:
        """Send a request and return the response if it succeeded.

        `authenticate=False` sends no credentials even to an own host (a token endpoint).

        :raise CredentialsExpired: expired, and no refresh was possible.
        :raise AuthFailed: 401 or 403 (or the platform's own way of saying so).
        :raise RateLimited: 429 (or the platform's throttling code), or the last answer said
            the rate-limit window is spent; `BudgetSpent` before a call that could exceed the
            account's daily read budget.
        :raise Refused: any other 4xx (`ReplyNotAllowed` when the platform says so).
        :raise Unavailable: a 5xx or no answer at all.
        """
        url = self.url(path_or_url)
        self.guard.before_call(self._most_billed(method, url, kwargs.get("params")))
        kwargs.setdefault("timeout", self.timeout)
        signed = authenticate and urlsplit(url).hostname in self.own_hosts
        if signed and self._refresh and self._expiring():
            self._refresh_from(self.credentials.version)
        response, version, error = self._answer(method, url, signed, kwargs)
        if isinstance(error, AuthFailed) and signed and self._renewed(error, version):
            response, _, error = self._answer(method, url, signed, kwargs)
        if error is None:
            remaining, reset = self._rate_limit(response.headers)
            if remaining is not None and remaining <= 0 and reset:
                # The window is spent: ask again after it resets.
                self.guard.learned_pause(reset, "the platform's rate-limit window is used up")
            return response
        if isinstance(error, RateLimited):
            reason = ("the platform answered 429 Too Many Requests" if error.status == 429
                      else "the platform said Murmur is calling too often")
            self.guard.learned_pause(error.resume_at, reason)
        if isinstance(error, AuthFailed) and signed and response.status_code != 403:
            # 403 may concern one action only (a missing scope); anything else is the account.
            self.credentials.failed(error)
        raise error

    def _answer(self, method, url, signed, kwargs):
        """Send once and count the call: the response, the credentials version that signed
        it, and the error it stands for (or None)."""
        version = self.credentials.version
        auth = self._auth(self.credentials.current) if signed else None
        try:
            response = self.session.request(method, url, auth=auth, **kwargs)
        except InvalidIPAddress as exc:
            raise NotConfigured("%(host)s is a private or internal address; Murmur only "
                                "connects to public servers.", field="base_url",
                                params={"host": urlsplit(url).hostname}) from exc
        except OtherHost as exc:
            raise Refused(str(exc)) from exc
        except requests.RequestException as exc:
            raise Unavailable(f"Could not reach {urlsplit(url).hostname}: "
                              f"{type(exc).__name__}.") from exc
        error = self._error_for(response)
        self.guard.record_call(isinstance(error, RateLimited), self._billed_reads(response))
        return response, version, error

    def _renewed(self, error, version) -> bool:
        """Whether credentials newer than `version` are now at hand: stored meanwhile by
        another process (a refresh, a reconnect), or, for expired ones, refreshed here."""
        if self.credentials.newer_than(version):
            return True
        if isinstance(error, CredentialsExpired) and self._refresh:
            self._refresh_from(version)
            return True
        return False

    def _expiring(self) -> bool:
        expires_at = self._expires_at(self.credentials.current)
        return bool(expires_at and expires_at - datetime.now(timezone.utc) < REFRESH_AHEAD)

    def _refresh_from(self, seen_version):
        """New credentials (refreshed here, or by whoever refreshed `seen_version` first)."""
        try:
            self.credentials.refreshed(seen_version, self._refresh, self._expires_at)
        except AuthFailed as exc:
            # The refresh itself was refused (a revoked grant): only a reconnect helps now.
            error = AuthFailed(f"Refreshing the credentials failed: {self.scrub(exc.message)}",
                               status=exc.status)
            self.credentials.failed(error)
            raise error from exc

    def get(self, path_or_url, **kwargs):
        """GET and return the response."""
        return self.request("GET", path_or_url, **kwargs)

    def get_json(self, path_or_url, expect=dict, **kwargs):
        """GET and return the parsed JSON body, which must be an `expect` (dict or list).

        :raise Malformed: the body is not JSON, or not of that shape.
        """
        return parsed(self.get(path_or_url, **kwargs), expect)

    def post(self, path_or_url, **kwargs):
        """POST and return the response."""
        return self.request("POST", path_or_url, **kwargs)

    def scrub(self, text: str) -> str:
        """`text` with every credential of this account blotted out."""
        secrets = sorted((s for s in self.credentials.current.values()
                          if isinstance(s, str) and len(s) >= 6), key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def _error_for(self, response):
        """The typed error a response stands for, or None for a success."""
        error = self._classify(response)
        if error is not None:
            error.message = self.scrub(error.message)
            error.args = (error.message,)
            return error
        status = response.status_code
        if status < 400:
            return None
        detail = self.scrub(_error_detail(response))
        if status == 429:
            resume_at = retry_after(response.headers) or self._rate_limit(response.headers)[1]
            resume_at = resume_at or datetime.now(timezone.utc) + DEFAULT_BACKOFF
            return RateLimited(f"Rate limited by the platform until {resume_at:%H:%M:%S} UTC.",
                               resume_at=resume_at)
        if status in (401, 403):
            return AuthFailed(f"The platform refused our credentials ({status}): {detail}",
                              status=status)
        if status < 500:
            return Refused(detail, status=status)
        return Unavailable(f"The platform answered {status}: {detail}", status=status,
                           resume_at=retry_after(response.headers))


def parsed(response, expect=dict):
    """The JSON body of a successful response, checked to be an `expect`.

    :raise Malformed: not JSON (or not of that shape).
    """
    try:
        body = response.json()
    except ValueError:
        raise Malformed(f"{urlsplit(response.url).hostname} answered {response.status_code} "
                        "with a body that is not JSON.") from None
    if not isinstance(body, expect):
        raise Malformed(f"{urlsplit(response.url).hostname} answered with a JSON "
                        f"{type(body).__name__} where a {expect.__name__} belongs.")
    return body


def retry_after(headers) -> datetime | None:
    """The moment a `Retry-After` header (seconds or an HTTP date) points at, if any."""
    value = headers.get("Retry-After")
    if not value:
        return None
    now = datetime.now(timezone.utc)
    if value.strip().isdigit():
        return now + timedelta(seconds=int(value))
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _error_detail(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "")[:300]
    if isinstance(body, dict):
        for key in ("error_description", "error", "message", "detail", "title"):
            if isinstance(body.get(key), str):
                return body[key][:300]
    return str(body)[:300]
