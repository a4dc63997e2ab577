"""One HTTP client for every adapter: timeouts, retries on transient failures, typed errors."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from plugin.platforms.catalogue import N_
from plugin.platforms.errors import AuthFailed
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


class PlatformHTTP:
    """A `requests.Session` bound to one API base URL and credential.

    GETs are retried on connection errors and 502/503/504 with a short back-off; POSTs
    are not, since only the caller knows whether a repeat is safe. Any error status becomes
    a typed `PlatformError`.
    """

    def __init__(self, base_url, *, headers=None, timeout=10.0, retries=2, backoff=0.5,
                 rate_limit=None):
        self.base_url = base_url
        self.timeout = timeout
        self._rate_limit = rate_limit or (lambda headers: (None, None))
        self.paused_until = None
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
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

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
        if self.paused_until and datetime.now(timezone.utc) < self.paused_until:
            raise RateLimited("The platform's rate-limit window is used up until "
                              f"{self.paused_until:%H:%M:%S} UTC.", resume_at=self.paused_until)
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, self.url(path_or_url), **kwargs)
        except requests.RequestException as exc:
            raise Unavailable(f"Could not reach {self.base_url}: {type(exc).__name__}.") from exc
        if response.status_code < 400:
            remaining, reset = self._rate_limit(response.headers)
            if remaining is not None and remaining <= 0 and reset:
                self.paused_until = reset  # the window is spent: ask again after it resets
            return response
        raise self._error_for(response)

    def get(self, path_or_url, **kwargs):
        """GET and return the response."""
        return self.request("GET", path_or_url, **kwargs)

    def post(self, path_or_url, **kwargs):
        """POST and return the response."""
        return self.request("POST", path_or_url, **kwargs)

    def _error_for(self, response):
        status = response.status_code
        detail = _error_detail(response)
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
