"""The README's way of running Murmur: the Procfile's web and worker processes, end to end.

Migrations, `flask --app plugin accounts add …` and `honcho start` run as subprocesses on a
fresh SQLite folder; a fake Mastodon and a fake Zendesk talk to them over loopback.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bench.common import free_port
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.zendesk import FakeZendesk

ROOT = Path(__file__).resolve().parents[1]


def _run(args, env):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "plugin", *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


@pytest.fixture
def stack(tmp_path):
    """Web and worker from the Procfile, plus a fake Mastodon with three mentions."""
    port = free_port()
    with FakeMastodon.served() as mastodon:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'murmur.db'}",
               "SECRET_KEY": "procfile-test-key", "PUBLIC_URL": "https://murmur.example",
               "PLATFORM_ALLOW_HTTP": "1"}
        env.pop("REDIS_URL", None)
        jane = mastodon.add_customer("jane", "Jane Doe", domain="example.social")
        root = mastodon.mention(jane, "<p>My order is late</p>")
        mastodon.mention(jane, "<p>Any news?</p>", in_reply_to=root["status"])
        mastodon.mention(mastodon.add_customer("bob", "Bob"), "<p>Great service!</p>")
        _run(["db", "upgrade"], env)
        metadata = _run(["accounts", "add", "mastodon", "--subdomain", "acme",
                         "--set", f"base_url={mastodon.url}",
                         "--set", f"access_token={mastodon.token}"], env)[-1]
        log = tmp_path / "honcho.log"
        with log.open("w") as out:
            honcho = subprocess.Popen([sys.executable, "-m", "honcho", "start", "-p", str(port)],
                                      cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            honcho.log = log
            try:
                yield f"http://127.0.0.1:{port}", metadata, mastodon, honcho
            finally:
                os.killpg(honcho.pid, signal.SIGTERM)
                honcho.wait(timeout=20)


def _wait_for_worker_poll(base, honcho):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert honcho.poll() is None, honcho.log.read_text()
        try:
            accounts = requests.get(f"{base}/healthz", timeout=2).json()["accounts"]
            if accounts and accounts[0]["state"] == "ok":
                return accounts[0]
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError("the worker never polled the new account:\n" + honcho.log.read_text())


def test_procfile_processes_take_mentions_in_and_replies_out(stack):
    base, metadata, mastodon, honcho = stack
    assert json.loads(metadata).keys() == {"account", "secret"}
    assert _wait_for_worker_poll(base, honcho)["last_error"] is None
    with FakeZendesk(base) as zendesk:
        instance = zendesk.add_instance("Mastodon", metadata)
        assert zendesk.pull_until_empty(instance) == 3
        assert zendesk.pull_until_empty(instance) == 0
        assert len(zendesk.tickets) == 2
        ticket = next(t for t in zendesk.tickets.values() if len(t.comments) == 2)
        answer = zendesk.agent_reply(ticket.id, "Sorry Jane, it ships today.",
                                     instance=instance, request_id="r-1")
        again = zendesk.agent_reply(ticket.id, "Sorry Jane, it ships today.",
                                    instance=instance, request_id="r-1")
    assert answer.status_code == 200 and again.json() == answer.json()
    assert [p["in_reply_to_id"] for p in mastodon.posted] == [
        ticket.comments[-2]["external_id"].rsplit(":", 1)[1]]
