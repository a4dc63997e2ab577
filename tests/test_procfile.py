"""The README's way of running Murmur: the Procfile's web and worker processes, end to end.

`honcho start web worker` and `flask --app plugin accounts add …` run as subprocesses on a
fresh instance folder; a fake Mastodon and a fake Zendesk talk to them over loopback.
"""
import json
import os
import signal
import socket
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


def _start(args, env, log):
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


@pytest.fixture
def stack(tmp_path):
    """Web and worker from the Procfile, plus a fake Mastodon with three mentions.

    Nothing but the environment: no SECRET_KEY, no DATABASE_URL, no migrate step. The web
    process, the worker and the operator's `accounts add` start at the same moment on one
    fresh instance folder, and must agree on one key and one schema.
    """
    port = free_port()
    with FakeMastodon.served() as mastodon:
        env = {**os.environ, "MURMUR_INSTANCE_PATH": str(tmp_path / "instance"),
               "PUBLIC_URL": "https://murmur.example", "PLATFORM_ALLOW_HTTP": "1",
               "MURMUR_PLATFORM_ALLOW_LOOPBACK": "true",
               "MURMUR_OPERATOR_TOKEN": "procfile-operator"}
        for name in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY"):
            env.pop(name, None)
        jane = mastodon.add_customer("jane", "Jane Doe", domain="example.social")
        root = mastodon.mention(jane, "<p>My order is late</p>")
        mastodon.mention(jane, "<p>Any news?</p>", in_reply_to=root["status"])
        mastodon.mention(mastodon.add_customer("bob", "Bob"), "<p>Great service!</p>")
        log = tmp_path / "honcho.log"
        with log.open("w") as out:
            honcho = _start([sys.executable, "-m", "honcho", "start", "-p", str(port),
                             "web", "worker"], env, out)
            honcho.log = log
            try:
                metadata = _run(["accounts", "add", "mastodon", "--subdomain", "acme",
                                 "--set", f"base_url={mastodon.url}",
                                 "--set", f"access_token={mastodon.token}"], env)[-1]
                yield f"http://127.0.0.1:{port}", metadata, mastodon, honcho
            finally:
                os.killpg(honcho.pid, signal.SIGTERM)
                honcho.wait(timeout=20)
        assert [p.name for p in (tmp_path / "instance").glob("*secret_key*")] == ["secret_key"]


def _wait_for_worker_poll(base, honcho):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert honcho.poll() is None, honcho.log.read_text()
        try:
            accounts = requests.get(f"{base}/healthz", timeout=2, headers={
                "Authorization": "Bearer procfile-operator"}).json()["accounts"]
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


def test_idle_connections_do_not_stall_the_web_process(stack):
    base, _, _, honcho = stack
    _wait_for_worker_poll(base, honcho)
    host, port = base.rsplit("//", 1)[1].split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(4)]
    try:
        started = time.monotonic()
        answer = requests.get(f"{base}/channel/health", timeout=10)
        took = time.monotonic() - started
    finally:
        for conn in idle:
            conn.close()
    assert answer.status_code == 200 and took < 2, f"took {took:.1f}s with 4 idle connections"
