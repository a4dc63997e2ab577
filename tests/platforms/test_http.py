"""PlatformHTTP against a scripted loopback server: error types, retries, URL and header rules."""
from collections import Counter
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from flask import Flask
from flask import jsonify
from flask import request

from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import NotConfigured
from plugin.platforms.errors import RateLimited
from plugin.platforms.errors import Refused
from plugin.platforms.errors import ReplyNotAllowed
from plugin.platforms.errors import Unavailable
from plugin.platforms.http import BearerAuth
from plugin.platforms.http import LocalCredentials
from plugin.platforms.http import PlatformHTTP
from plugin.platforms.http import check_base_url
from plugin.platforms.http import retry_after
from tests.fakes.rotating import RotatingAdapter
from tests.fakes.server import LiveServer


def scripted_app():
    """`/status/<code>` answers `code` with `{"error": "scripted <code>"}`; `.hits` counts calls.

    Query `retry_after=N` adds a Retry-After header; `text=1` answers plain text instead
    (with the query's `echo` in it).
    """
    app = Flask(__name__)
    app.hits = Counter()

    @app.route("/status/<int:code>", methods=["GET", "POST"])
    def status(code):
        app.hits[request.method, code] += 1
        headers = {}
        if "retry_after" in request.args:
            headers["Retry-After"] = request.args["retry_after"]
        if request.args.get("text"):  # `echo` is repeated back, as some servers do with tokens
            return f"plain {code} {request.args.get('echo', '')}".strip(), code, headers
        return jsonify(error=f"scripted {code}"), code, headers

    return app


def bearer(token):
    """Transport options for an account whose credential is the bearer token `token`."""
    return {"credentials": LocalCredentials({"token": token}),
            "auth": lambda credentials: BearerAuth(credentials["token"])}


@pytest.fixture
def server():
    """The scripted app served on a loopback port."""
    with LiveServer(scripted_app()) as live:
        yield live


@pytest.fixture
def http(server):
    """A client on the scripted server with no backoff between retries."""
    return PlatformHTTP(server.url, allow_loopback=True, backoff=0, timeout=5)


STATUS_ERRORS = [
    # (status, error type, requests the server saw for one GET)
    (400, Refused, 1),
    (404, Refused, 1),
    (422, Refused, 1),
    (401, AuthFailed, 1),
    (403, AuthFailed, 1),
    (429, RateLimited, 1),
    (500, Unavailable, 1),
    (502, Unavailable, 3),
    (503, Unavailable, 3),
    (504, Unavailable, 3),
]


@pytest.mark.parametrize(("status", "error", "hits"), STATUS_ERRORS)
def test_get_error_status_becomes_typed_error(http, server, status, error, hits):
    with pytest.raises(error) as raised:
        http.get(f"/status/{status}")
    assert raised.value.status == status
    assert server.app.hits["GET", status] == hits


@pytest.mark.parametrize("status", [400, 404, 422])
def test_refused_carries_the_body_error_text(http, status):
    with pytest.raises(Refused) as raised:
        http.get(f"/status/{status}")
    assert raised.value.message == f"scripted {status}"


def test_refused_falls_back_to_a_plain_text_body(http):
    with pytest.raises(Refused, match="plain 422"):
        http.get("/status/422", params={"text": 1})


def test_success_returns_the_response(http, server):
    assert http.get("/status/200").json() == {"error": "scripted 200"}
    assert http.get(server.url + "/status/201").status_code == 201  # absolute URLs pass through


def test_sends_user_agent_and_bound_headers(server):
    seen = {}
    server.app.before_request(lambda: seen.update(request.headers))
    PlatformHTTP(server.url, allow_loopback=True, **bearer("t")).get("/status/200")
    assert seen["Authorization"] == "Bearer t"
    assert seen["User-Agent"].startswith("Murmur/")


@pytest.mark.parametrize("status", [502, 503, 504])
def test_post_is_never_retried(http, server, status):
    with pytest.raises(Unavailable):
        http.post(f"/status/{status}")
    assert server.app.hits["POST", status] == 1


def test_429_with_retry_after_is_returned_not_slept_out(http, server):
    # urllib3 would otherwise sleep Retry-After inside the call and retry the GET.
    started = datetime.now(timezone.utc)
    with pytest.raises(RateLimited) as raised:
        http.get("/status/429", params={"retry_after": 2})
    assert server.app.hits["GET", 429] == 1
    assert datetime.now(timezone.utc) - started < timedelta(seconds=1)
    assert abs(raised.value.resume_at - (started + timedelta(seconds=2))) < timedelta(seconds=1)


def test_503_retry_after_is_carried_not_slept_out(http, server):
    started = datetime.now(timezone.utc)
    with pytest.raises(Unavailable) as raised:
        http.get("/status/503", params={"retry_after": 3600})
    assert datetime.now(timezone.utc) - started < timedelta(seconds=5)
    assert raised.value.resume_at - started > timedelta(minutes=59)


def test_429_without_any_hint_backs_off_a_minute(http):
    with pytest.raises(RateLimited) as raised:
        http.get("/status/429")
    expected = datetime.now(timezone.utc) + timedelta(seconds=60)
    assert abs(raised.value.resume_at - expected) < timedelta(seconds=5)


def test_429_uses_the_adapter_rate_limit_reset(server):
    reset = datetime(2030, 1, 1, tzinfo=timezone.utc)
    http = PlatformHTTP(server.url, allow_loopback=True, backoff=0, rate_limit=lambda headers: (5, reset))
    with pytest.raises(RateLimited) as raised:
        http.get("/status/429")
    assert raised.value.resume_at == reset


def test_closed_port_is_unavailable():
    with LiveServer(scripted_app()) as live:
        url = live.url
    with pytest.raises(Unavailable, match="Could not reach"):
        PlatformHTTP(url, backoff=0, timeout=2, allow_loopback=True).get("/status/200")


BASE_URLS = [
    # (url, allow_http, cleaned)
    ("https://mastodon.social", False, "https://mastodon.social"),
    ("https://mastodon.social/", False, "https://mastodon.social"),
    ("  https://example.com/api/  ", False, "https://example.com/api"),
    ("http://localhost:3000/", True, "http://localhost:3000"),
    ("https://example.com", True, "https://example.com"),
    ("https://Mastodon.Social:443/", False, "https://mastodon.social"),
    ("http://example.com:80", True, "http://example.com"),
    ("https://example.com:8443", False, "https://example.com:8443"),
]
BAD_BASE_URLS = [
    ("http://mastodon.social", False),
    ("ftp://files.example.com", True),
    ("https://", False),
    ("https:///path", True),
    ("mastodon.social", True),
    ("", True),
    (None, True),
    ("https://user:pw@example.com", False),
    ("https://example.com:99999", False),
]


@pytest.mark.parametrize(("url", "allow_http", "cleaned"), BASE_URLS)
def test_check_base_url_accepts(url, allow_http, cleaned):
    assert check_base_url(url, allow_http) == cleaned


@pytest.mark.parametrize(("url", "allow_http"), BAD_BASE_URLS)
def test_check_base_url_refuses(url, allow_http):
    with pytest.raises(NotConfigured, match="base URL"):
        check_base_url(url, allow_http)


def test_retry_after_seconds():
    expected = datetime.now(timezone.utc) + timedelta(seconds=120)
    assert abs(retry_after({"Retry-After": "120"}) - expected) < timedelta(seconds=2)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
     datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)),
    ({}, None),
    ({"Retry-After": ""}, None),
    ({"Retry-After": "soon"}, None),
])
def test_retry_after_dates_and_junk(headers, expected):
    assert retry_after(headers) == expected


def test_a_spent_window_pauses_calls_until_it_resets(server):
    reset = datetime.now(timezone.utc) + timedelta(minutes=5)
    http = PlatformHTTP(server.url, allow_loopback=True, backoff=0, rate_limit=lambda headers: (0, reset))
    http.get("/status/200")
    with pytest.raises(RateLimited) as raised:
        http.get("/status/200")
    assert raised.value.resume_at == reset
    assert server.app.hits["GET", 200] == 1  # the platform was not asked again


@pytest.mark.parametrize("status", [401, 422, 500])
def test_error_texts_never_repeat_a_credential(server, status):
    http = PlatformHTTP(server.url, allow_loopback=True, backoff=0, timeout=5, **bearer("tok-3141592653"))
    with pytest.raises((AuthFailed, Refused, Unavailable)) as raised:
        http.get(f"/status/{status}", params={"text": 1, "echo": "tok-3141592653"})
    assert "tok-3141592653" not in raised.value.message
    assert "[redacted]" in raised.value.message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.1", "192.168.1.20",
                                  "172.16.0.1", "169.254.169.254", "0.0.0.0", "[::1]",
                                  "100.64.0.1", "[fe80::1]"])
def test_internal_addresses_are_refused_before_any_connection(host):
    http = PlatformHTTP(f"https://{host}:8443", backoff=0, timeout=2,
                        **bearer("secret"))
    with pytest.raises(NotConfigured, match="private or internal address"):
        http.get("/api/v1/instance")


def recording_app():
    app = Flask(__name__)
    app.seen = []

    @app.route("/<path:path>")
    def anything(path):
        app.seen.append(dict(request.headers))
        return jsonify(ok=True)

    return app


def test_redirects_to_another_host_are_refused_and_carry_no_credentials():
    with LiveServer(recording_app()) as other:
        redirector = Flask(__name__)
        elsewhere = other.url.replace("127.0.0.1", "localhost") + "/steal"
        redirector.add_url_rule("/go", "go", lambda: ("", 302, {"Location": elsewhere}))
        with LiveServer(redirector) as server:
            http = PlatformHTTP(server.url, allow_loopback=True, backoff=0, timeout=5,
                                **bearer("secret"))
            with pytest.raises(Refused, match="redirected to another host"):
                http.get("/go")
        assert other.app.seen == []


def test_absolute_urls_on_another_host_go_out_without_credentials():
    with LiveServer(recording_app()) as other, LiveServer(recording_app()) as own:
        http = PlatformHTTP(own.url, allow_loopback=True, backoff=0, timeout=5,
                            **bearer("secret"))
        http.get("/on-our-host")
        http.get(other.url.replace("127.0.0.1", "localhost") + "/media.png")
    assert own.app.seen[0]["Authorization"] == "Bearer secret"
    assert "Authorization" not in other.app.seen[0]


def test_an_adapter_may_name_more_hosts_that_get_its_credentials():
    with LiveServer(recording_app()) as other, LiveServer(recording_app()) as own:
        http = PlatformHTTP(own.url, allow_loopback=True, backoff=0, timeout=5,
                            own_hosts={"localhost"}, **bearer("secret"))
        http.get(other.url.replace("127.0.0.1", "localhost") + "/upload")
    assert other.app.seen[0]["Authorization"] == "Bearer secret"


@pytest.fixture
def rotating(tokens):
    """The test-only rotating adapter on its fake, bound to no account."""
    return RotatingAdapter({"base_url": tokens.url}, tokens.grant(), allow_http=True,
                           allow_loopback=True, backoff=0)


def test_each_platform_sends_its_own_user_agent(rotating, tokens):
    seen = {}
    tokens.app.before_request(lambda: seen.update(request.headers))
    rotating.verify()
    assert seen["User-Agent"] == RotatingAdapter.user_agent


CLASSIFIED = [
    # (method, path, error type, code): the platform's own shapes, not the status code
    ("GET", "/api/error-in-200", Refused, "platform_refused"),
    ("GET", "/api/throttled", RateLimited, "platform_rate_limited"),
    ("POST", "/api/replies", ReplyNotAllowed, "reply_not_allowed"),
]


@pytest.mark.parametrize(("method", "path", "error", "code"), CLASSIFIED)
def test_the_adapter_classifies_answers_before_the_status_rules(rotating, method, path, error,
                                                                code):
    with pytest.raises(error) as raised:
        rotating.http.request(method, path)
    assert raised.value.code == code


def test_throttling_sent_as_400_pauses_like_a_429(rotating, tokens):
    with pytest.raises(RateLimited) as raised:
        rotating.http.get("/api/throttled")
    assert raised.value.resume_at > datetime.now(timezone.utc) + timedelta(seconds=100)
    calls = len(tokens.requests)
    with pytest.raises(RateLimited):
        rotating.verify()
    assert len(tokens.requests) == calls


def test_a_reply_not_allowed_is_refused_not_an_auth_failure():
    assert issubclass(ReplyNotAllowed, Refused) and not issubclass(ReplyNotAllowed, AuthFailed)


def test_expired_credentials_are_refreshed_and_the_call_repeated_once(rotating, tokens):
    before = dict(rotating.credentials)
    tokens.expire_access_tokens()
    assert rotating.verify().user_id == "42"
    assert tokens.refreshes == 1
    assert rotating.credentials["refresh_token"] != before["refresh_token"]
    assert [r["path"] for r in tokens.requests] == ["/api/me", "/oauth/token", "/api/me"]
    token_call = tokens.requests[1]
    assert token_call["authorization"] is None  # the token endpoint gets no bearer token


def test_credentials_about_to_expire_are_refreshed_before_the_call(tokens):
    grant = tokens.grant(expires_in=timedelta(seconds=30))
    adapter = RotatingAdapter({"base_url": tokens.url}, grant, allow_http=True,
                              allow_loopback=True, backoff=0)
    adapter.verify()
    assert [r["path"] for r in tokens.requests] == ["/oauth/token", "/api/me"]


def test_credentials_a_refresh_cannot_renew_fail_as_auth_failed(rotating, tokens):
    rotating.http.credentials.current["refresh_token"] = "never-issued-token"
    tokens.expire_access_tokens()
    with pytest.raises(AuthFailed, match="Refreshing the credentials failed") as raised:
        rotating.verify()
    assert "never-issued-token" not in str(raised.value)
