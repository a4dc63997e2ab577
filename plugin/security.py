"""Headers on every answer and rate limits on every public endpoint.

Security headers come from Flask-Talisman: a strict Content-Security-Policy that allows no
framing, except for the pages Zendesk frames (the admin UI, the sidebar), which only Zendesk's own hosts
may frame. Rate limits come from Flask-Limiter, counted in Redis when REDIS_URL is set (so
every web process shares them) and in memory otherwise; a client over a limit gets a JSON
429 with Retry-After.
"""
import json

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

ZENDESK_HOSTS = "https://*.zendesk.com"
POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "https:", "data:"],
    "script-src": ["'self'", "https://static.zdassets.com"],
    "style-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": ["'self'", ZENDESK_HOSTS],
    "frame-ancestors": "'none'",
}
# Blueprints whose pages Zendesk shows in an iframe.
FRAMED = ("admin", "sidebar_page")
# Status codes that mean "you are not who you say" or "no such thing": what a guesser gets.
FAILURES = frozenset({400, 401, 403, 404, 422})


def account_key() -> str:
    """The account a Channel Framework call names (unverified: it only buckets the counts)."""
    try:
        uid = json.loads(request.form.get("metadata") or "")["account"]
    except (ValueError, KeyError, TypeError, RecursionError):  # garbage buckets by client
        uid = None
    return f"account:{str(uid)[:64]}" if uid else f"client:{get_remote_address()}"


def failed(response) -> bool:
    """Refused requests: wrong secrets, unknown accounts, garbage."""
    return response.status_code in FAILURES


def served(response) -> bool:
    """Requests that were served (so a stranger's forged calls never use an account's share)."""
    return response.status_code < 400


ALL, FAILED, SERVED = None, failed, served
# endpoint (or blueprint prefix) → [(limit, key function, which answers count)]
LIMITS = {
    "channel.pull": [("120/minute", account_key, SERVED), ("30/minute", get_remote_address, FAILED)],
    "channel.channelback": [("120/minute", account_key, SERVED),
                            ("30/minute", get_remote_address, FAILED)],
    "channel.event_callback": [("600/minute", get_remote_address, ALL),
                               ("30/minute", get_remote_address, FAILED)],
    "channel.clickthrough": [("120/minute", get_remote_address, ALL)],
    "admin.": [("60/minute", get_remote_address, ALL)],
    "sidebar.": [("600/minute", get_remote_address, ALL), ("60/minute", get_remote_address, FAILED)],
    "sidebar_page.": [("300/minute", get_remote_address, ALL),
                      ("60/minute", get_remote_address, FAILED)],
    "webhooks.": [("1200/minute", get_remote_address, ALL),
                  ("60/minute", get_remote_address, FAILED)],
    "health.": [("120/minute", get_remote_address, ALL)],
}


def init_app(app):
    """Install the headers and the limits on every registered view (call after blueprints)."""
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:  # behind N reverse proxies, the client is in X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    talisman = Talisman(app, force_https=False, content_security_policy=POLICY,
                        frame_options="DENY", session_cookie_secure=not app.testing,
                        strict_transport_security_preload=False)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "murmur-limits")
    limiter = Limiter(get_remote_address, app=app)
    app.extensions["murmur.limiter"] = limiter
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.split(".", 1)[0] in FRAMED:
            view = talisman(frame_options=None, content_security_policy={
                **POLICY, "frame-ancestors": ["'self'", ZENDESK_HOSTS]})(view)
        for limit, key, counts in _limits_for(endpoint):
            view = limiter.limit(limit, key_func=key, deduct_when=counts,
                                 scope=f"{endpoint}:{limit}:{key.__name__}")(view)
        app.view_functions[endpoint] = view


def _limits_for(endpoint):
    for prefix, limits in LIMITS.items():
        if endpoint == prefix or (prefix.endswith(".") and endpoint.startswith(prefix)):
            return limits
    return []
