"""One HTTP client for every adapter: timeouts, retries on transient failures, typed errors."""
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
from plugin.platforms.errors import Malformed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Refused
from plugin.platforms.errors import Unavailable

USER_AGENT = "Murmur/1.0 (+https://murmur.example)"
DEFAULT_BACKOFF = timedelta(seconds=60)


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


class LocalGuard:
    """A pause kept in memory by one client (an adapter not bound to a stored account)."""

    def __init__(self):
        self.paused_until = None

    def before_call(self):
        """:raise RateLimited: the pause this client learnt has not ended."""
        if self.paused_until and datetime.now(timezone.utc) < self.paused_until:
            raise RateLimited(f"Paused until {self.paused_until:%H:%M:%S} UTC.",
                              resume_at=self.paused_until)

    def learned_pause(self, until, reason):
        """Keep the later of the current pause and `until`."""
        self.paused_until = max(self.paused_until or until, until)


class PlatformHTTP:
    """A `requests.Session` bound to one API base URL and credential.

    GETs are retried on connection errors and 502/503/504 with a short back-off; POSTs
    are not, since only the caller knows whether a repeat is safe. Any error status becomes
    a typed `PlatformError`.
    """

    def __init__(self, base_url, *, headers=None, timeout=10.0, retries=2, backoff=0.5,
                 rate_limit=None, secrets=(), guard=None, allow_loopback=False):
        self.base_url = base_url
        self.host = urlsplit(base_url).hostname
        # Headers that carry credentials: never sent to any host but the account's own.
        self._credential_headers = {name: None for name in (headers or {})}
        # Values never to repeat in an error message (a platform may echo a token back).
        self._secrets = sorted((s for s in secrets if isinstance(s, str) and len(s) >= 6),
                               key=len, reverse=True)
        self.timeout = timeout
        self._rate_limit = rate_limit or (lambda headers: (None, None))
        # Where pauses are kept and checked: the account's (shared by every process), or,
        # for an adapter used without an account, this object's own.
        self.guard = guard or LocalGuard()
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.session.headers.update(headers or {})
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
            if target.hostname != self.host:
                raise OtherHost(f"{self.host} redirected to another host, {target.hostname}.")
        return response

    def url(self, path_or_url: str) -> str:
        """An absolute URL for an API path (absolute URLs, e.g. from Link headers, pass through)."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + path_or_url

    def request(self, method, path_or_url, **kwargs) -> requests.Response:
        """Send a request and return the response if it succeeded.

        :raise AuthFailed: 401 or 403.
        :raise RateLimited: 429, or the last answer said the rate-limit window is spent.
        :raise Refused: any other 4xx.
        :raise Unavailable: a 5xx or no answer at all.
        """
        self.guard.before_call()
        kwargs.setdefault("timeout", self.timeout)
        url = self.url(path_or_url)
        if urlsplit(url).hostname != self.host:  # e.g. a media URL elsewhere: no credentials
            kwargs["headers"] = {**kwargs.get("headers", {}), **self._credential_headers}
        try:
            response = self.session.request(method, url, **kwargs)
        except InvalidIPAddress as exc:
            raise NotConfigured("%(host)s is a private or internal address; Murmur only "
                                "connects to public servers.", field="base_url",
                                params={"host": urlsplit(url).hostname}) from exc
        except OtherHost as exc:
            raise Refused(str(exc)) from exc
        except requests.RequestException as exc:
            raise Unavailable(f"Could not reach {self.base_url}: {type(exc).__name__}.") from exc
        if response.status_code < 400:
            remaining, reset = self._rate_limit(response.headers)
            if remaining is not None and remaining <= 0 and reset:
                # The window is spent: ask again after it resets.
                self.guard.learned_pause(reset, "the platform's rate-limit window is used up")
            return response
        error = self._error_for(response)
        if isinstance(error, RateLimited):
            self.guard.learned_pause(error.resume_at, "the platform answered 429 Too Many "
                                                      "Requests")
        raise error

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
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def _error_for(self, response):
        status = response.status_code
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
