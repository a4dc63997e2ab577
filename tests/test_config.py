"""Configuration from the environment: the contract names, URL rewriting, the instance key."""
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from huey import RedisHuey

from plugin import config
from plugin import create_app
from plugin.secrets_box import SecretsBox
from plugin.zendesk import gateway

ENV = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_URL", "PORT", "PLATFORM_ALLOW_HTTP",
       "ZENDESK_BASE_URL")


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A clean environment, and Flask's instance folder under tmp_path (not the repo's)."""
    for name in list(os.environ):
        if name in ENV or name.startswith("MURMUR_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    return folder


def make(**test_config):
    return create_app({"TESTING": True, **test_config})


def test_contract_names_are_read_from_the_environment(instance, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("PUBLIC_URL", "https://murmur.example.com")
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("PLATFORM_ALLOW_HTTP", "1")

    app = make()

    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == app.config["DATABASE_URL"]
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/15"
    assert isinstance(app.extensions["huey"], RedisHuey)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["PUBLIC_URL"] == "https://murmur.example.com"
    assert int(app.config["PORT"]) == 8123
    assert app.config["PLATFORM_ALLOW_HTTP"] is True
    assert not (instance / "secret_key").exists()


def test_defaults_without_environment(instance):
    app = make()
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'murmur.db'}"
    assert app.config["REDIS_URL"] is None
    assert app.config["PUBLIC_URL"] is None
    assert int(app.config["PORT"]) == 5000
    assert app.config["PLATFORM_ALLOW_HTTP"] is False
    assert Path(app.extensions["huey"].storage.filename) == instance / "huey.db"


@pytest.mark.parametrize("value", ["0", "", "yes", "true"])
def test_plain_http_is_allowed_only_by_1(instance, monkeypatch, value):
    monkeypatch.setenv("PLATFORM_ALLOW_HTTP", value)
    assert make().config["PLATFORM_ALLOW_HTTP"] is False


def test_murmur_prefixed_variables_set_any_option(instance, monkeypatch):
    monkeypatch.setenv("MURMUR_POLL_INTERVAL_SECONDS", "30")
    monkeypatch.setenv("MURMUR_INLINE_FETCH_AFTER_SECONDS", "86400")
    app = make()
    assert app.config["POLL_INTERVAL_SECONDS"] == 30
    assert app.config["INLINE_FETCH_AFTER_SECONDS"] == 86400


def test_test_config_wins_over_the_environment(instance, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://from-env.example")
    assert make(PUBLIC_URL="https://from-test.example").config["PUBLIC_URL"] == \
        "https://from-test.example"


@pytest.mark.parametrize("url, expected", [
    ("postgres://u:p@db.example:5432/murmur", "postgresql+psycopg://u:p@db.example:5432/murmur"),
    ("postgresql://u@db.example/murmur", "postgresql+psycopg://u@db.example/murmur"),
    ("postgresql+psycopg://u@db.example/murmur", "postgresql+psycopg://u@db.example/murmur"),
])
def test_postgres_urls_use_psycopg_3(instance, monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    app = make()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    with app.app_context():
        from plugin.db import db
        assert db.engine.dialect.driver == "psycopg"
        db.engine.dispose()


def test_without_secret_key_one_is_generated_once_and_reused(instance):
    first = make()
    key_file = instance / "secret_key"
    key = first.config["SECRET_KEY"]
    assert key_file.read_text().strip() == key
    assert len(key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) & 0o077 == 0  # owner only

    second = make()
    assert second.config["SECRET_KEY"] == key
    sealed = SecretsBox(first.config["SECRET_KEY"]).seal({"token": "t"})
    assert second.extensions["secrets_box"].open(sealed) == {"token": "t"}


def test_processes_starting_together_on_a_fresh_install_share_one_key(instance):
    instance.mkdir(parents=True)
    barrier = threading.Barrier(16)

    def start():
        barrier.wait()
        return config._instance_secret(instance)

    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: start(), range(16)))
    assert len(keys) == 1 and len(keys.pop()) >= 40
    assert [p.name for p in instance.iterdir()] == ["secret_key"]
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600


def test_instance_folder_can_be_moved_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MURMUR_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'elsewhere' / 'murmur.db'}"


def test_admin_ui_needs_zendesks_token_unless_development_says_otherwise(instance, monkeypatch):
    assert make().config["ADMIN_REQUIRE_ZENDESK_TOKEN"] is True
    monkeypatch.setenv("MURMUR_ADMIN_REQUIRE_ZENDESK_TOKEN", "false")
    assert make().config["ADMIN_REQUIRE_ZENDESK_TOKEN"] is False


@pytest.mark.parametrize("base, expected", [
    (None, "https://acme.zendesk.com/api/v2/any_channel/validate_token"),
    ("http://127.0.0.1:8025/", "http://127.0.0.1:8025/api/v2/any_channel/validate_token"),
    ("http://127.0.0.1:8025/{subdomain}",
     "http://127.0.0.1:8025/acme/api/v2/any_channel/validate_token"),
])
def test_zendesk_base_url_is_a_template_for_the_subdomain(instance, monkeypatch, base, expected):
    if base:
        monkeypatch.setenv("ZENDESK_BASE_URL", base)
    with make().app_context():
        assert gateway.api_url("acme", "/api/v2/any_channel/validate_token") == expected
