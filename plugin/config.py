"""Configuration: safe defaults, overlaid by the environment, overlaid by a test mapping."""
import os
import secrets
from pathlib import Path

from plugin.platforms import REGISTRY

ENV_NAMES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_URL", "PORT",
             "ZENDESK_PUSH_CLIENT_ID", "ZENDESK_BASE_URL", "ZENDESK_APP_PUBLIC_KEY",
             "ZENDESK_APP_ID")


def load(app, test_config=None):
    """Fill `app.config` from defaults, the environment, then `test_config`."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance / 'murmur.db'}",
        REDIS_URL=None,
        SECRET_KEY=None,
        PUBLIC_URL=None,
        PORT=5000,
        PLATFORM_ALLOW_HTTP=False,
        # Test-only: platform fakes listen on loopback; no deployment should set this.
        PLATFORM_ALLOW_LOOPBACK=False,
        LOG_LEVEL="INFO",
        # Zendesk sends small forms; anything near a megabyte is abuse, not a mention.
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_FORM_MEMORY_SIZE=256 * 1024,
        POLL_INTERVAL_SECONDS=60,
        INLINE_FETCH_AFTER_SECONDS=180,
        PLATFORM_TIMEOUT_SECONDS=10,
        PLATFORM_RETRY_BACKOFF=0.5,
        HUEY_IMMEDIATE=False,
        SENTIMENT_FIELD="murmur_sentiment",
        SIDEBAR_HISTORY_TTL_SECONDS=600,
        ZENDESK_PUSH_CLIENT_ID=None,
        # Where Murmur reaches a Zendesk account's API; tests point it at a fake.
        ZENDESK_BASE_URL="https://{subdomain}.zendesk.com",
        # The app's key for signed sidebar loads: the PEM itself, or the app id to fetch it.
        ZENDESK_APP_PUBLIC_KEY=None,
        ZENDESK_APP_ID=None,
        SIDEBAR_SESSION_SECONDS=3600,
        # Local development only: False lets the admin UI open without Zendesk's push token.
        ADMIN_REQUIRE_ZENDESK_TOKEN=True,
        OPERATOR_TOKEN=None,
        PROXY_COUNT=0,
    )
    for name in ENV_NAMES:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config["PLATFORM_ALLOW_HTTP"] = os.environ.get("PLATFORM_ALLOW_HTTP") == "1"
    app.config["PLATFORM_SECRETS"] = platform_secrets(os.environ)
    app.config.from_prefixed_env("MURMUR")
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(app.config["DATABASE_URL"])
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance)
    return app.config


def platform_secrets(environ) -> dict:
    """The app-level settings every registered platform asks for, as the environment has them."""
    return {name: environ[name] for cls in REGISTRY.values() for name in cls.app_settings
            if environ.get(name)}


def _sqlalchemy_url(url):
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance):
    """A per-installation key kept under instance/ so the embedded default survives restarts.

    Processes starting together on a fresh install race to create it: each writes a candidate
    to a private file and hard-links it into place, which only one link can win, so every
    process reads the same, complete key.
    """
    path = instance / "secret_key"
    if not path.exists():
        candidate = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process won; its key is the key
        finally:
            candidate.unlink()
    return path.read_text().strip()
