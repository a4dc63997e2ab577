"""Pull latency and web-worker memory on the embedded default (SQLite), with 10,000 mentions.

Run from anywhere: `python bench/pull_latency.py [--mentions N] [--rounds R]`.

1. A temp dir holds the SQLite database; migrations run with `flask --app plugin schema upgrade`.
2. The test fake (tests/fakes/mastodon.py, built from the recorded bodies in
   tests/fixtures/mastodon) holds N mention notifications inside the 7-day backfill window (and
   one older); a Mastodon account is connected and the worker's polls (`intake.poll_account`)
   take the backfill in, page by page over as many polls as it needs. It must end with all N
   stored (each notification kept as raw JSON, ~3 KB); every round below checks all N are
   pulled, each once.
3. The real web process runs: `gunicorn -w 1 -b 127.0.0.1:PORT 'plugin:create_app()'`, with
   MURMUR_INLINE_FETCH_AFTER_SECONDS large so pulls never call out (the worker has "polled").
4. POST /channel/pull walks through all N mentions, 256 at a time with the state carried, for
   several rounds (each round from empty state). Reported: pulls, median and p95 latency, and
   the gunicorn worker's peak RSS (VmHWM), against the targets.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port  # noqa: E402
from bench.common import peak_rss_mb  # noqa: E402
from bench.common import percentile  # noqa: E402
from bench.common import start_web  # noqa: E402
from bench.common import worker_pids  # noqa: E402

TARGET_P95_MS = 250.0
TARGET_RSS_MB = 150.0
DEADLINE_SECONDS = 600
TEXTS = [
    "My order #{n} never arrived and nobody answers my emails. Really disappointed.",
    "Love the new release, thank you! The dark mode is great (ticket {n})",
    "Is the app down? I can't log in since this morning, error code {n}",
    "Could you tell me when the store reopens? Asking for order {n}.",
    "Terrible support experience today, waited {n} minutes on hold.",
    "Thanks for the quick fix yesterday, everything works now &lt;3 #{n}",
]


def seed(count):
    """Put `count` mentions (inside the backfill window) and one older mention on a fake
    Mastodon, connect an account, and let the worker's polls take the backfill in."""
    from sqlalchemy import func
    from sqlalchemy import select

    from plugin import accounts
    from plugin import create_app
    from plugin.intake import polling as intake
    from plugin.db import db
    from plugin.models import Account
    from plugin.models import StoredMention
    from plugin.models import utcnow
    from tests.fakes.mastodon import FakeMastodon

    app = create_app()
    with app.app_context(), FakeMastodon.served(rate_limit=10 ** 6) as fake:
        customers = [fake.add_customer(f"customer{i}", f"Customer {i}",
                                       domain="example.social" if i % 3 else None)
                     for i in range(50)]
        start = utcnow() - timedelta(days=6)
        step = timedelta(days=6) / count
        for n in range(count):
            fake.mention(customers[n % len(customers)],
                         f"<p>{TEXTS[n % len(TEXTS)].format(n=n)}</p>", created_at=start + step * n)
        fake.mention(customers[0], "<p>older than the backfill window</p>",
                     created_at=utcnow() - timedelta(days=8))
        account, metadata = accounts.connect(
            "mastodon", "acme", {"base_url": fake.url, "access_token": fake.token})
        polls = 0
        while True:  # the worker's polls, as many as the backfill takes
            polls += 1
            intake.poll_account(account.id)
            account = db.session.get(Account, account.id)
            db.session.refresh(account)
            if account.next_poll_at > utcnow() or account.last_error:
                break
        if account.last_error:
            raise RuntimeError(f"the backfill failed: {account.last_error}")
        stored = db.session.scalar(select(func.count()).select_from(StoredMention).where(
            StoredMention.account_id == account.id))
        raw_size = statistics.mean(len(json.dumps(raw)) for raw in db.session.scalars(
            select(StoredMention.raw).limit(200)))
        db.engine.dispose()
    return metadata, stored, raw_size, polls


def walk(session, url, metadata, expected, deadline):
    """One round from empty state; returns the latency (s) of each pull."""
    state, seen, latencies = "", set(), []
    while time.monotonic() < deadline:
        started = time.perf_counter()
        answer = session.post(url, data={"metadata": metadata, "state": state}, timeout=30)
        latencies.append(time.perf_counter() - started)
        answer.raise_for_status()
        body = answer.json()
        seen.update(r["external_id"] for r in body["external_resources"])
        if body["state"] == state:
            break
        state = body["state"]
    if len(seen) != expected:
        raise RuntimeError(f"a round delivered {len(seen)} mentions, expected {expected}")
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    deadline = time.monotonic() + DEADLINE_SECONDS
    with tempfile.TemporaryDirectory(prefix="murmur-bench-") as workdir:
        port = free_port()
        env = {"DATABASE_URL": f"sqlite:///{workdir}/murmur.db", "SECRET_KEY": "bench-secret-key",
               "PUBLIC_URL": f"http://127.0.0.1:{port}", "PLATFORM_ALLOW_HTTP": "1",
               "MURMUR_PLATFORM_ALLOW_LOOPBACK": "true",
               "MURMUR_LOG_LEVEL": "WARNING", "MURMUR_INLINE_FETCH_AFTER_SECONDS": str(10 ** 9),
               "REDIS_URL": ""}
        os.environ.update(env)
        subprocess.run([sys.executable, "-m", "flask", "--app", "plugin", "schema", "upgrade"],
                       cwd=ROOT, check=True, timeout=120, capture_output=True)
        started = time.monotonic()
        metadata, stored, raw_size, polls = seed(args.mentions)
        size_mb = Path(workdir, "murmur.db").stat().st_size / 2 ** 20
        print(f"backfill: {stored} of {args.mentions} mentions in the window taken in by "
              f"{polls} polls in {time.monotonic() - started:.1f} s (raw JSON "
              f"{raw_size / 1024:.1f} KB each, database {size_mb:.0f} MB)")
        if stored != args.mentions:
            raise RuntimeError(f"the backfill stored {stored}, expected {args.mentions}")
        with start_web(env, port, cwd=ROOT) as web, requests.Session() as session:
            url = f"http://127.0.0.1:{port}/channel/pull"
            warmup = walk(session, url, metadata, stored, deadline)
            latencies = []
            for _ in range(args.rounds):
                latencies += walk(session, url, metadata, stored, deadline)
            peak_mb = max(peak_rss_mb(pid) for pid in worker_pids(web.pid))
    ms = [x * 1000 for x in latencies]
    p95 = percentile(ms, 95)
    print(f"pulls: {len(ms)} timed ({args.rounds} rounds of {len(ms) // args.rounds}, "
          f"256 per pull, state carried) after a warm-up round of {len(warmup)}")
    print(f"latency: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
          f"max {max(ms):.1f} ms")
    print(f"web worker peak RSS (VmHWM): {peak_mb:.1f} MB")
    ok_latency, ok_rss = p95 <= TARGET_P95_MS, peak_mb <= TARGET_RSS_MB
    print(f"targets: p95 <= {TARGET_P95_MS:.0f} ms: {'PASS' if ok_latency else 'FAIL'}; "
          f"RSS <= {TARGET_RSS_MB:.0f} MB: {'PASS' if ok_rss else 'FAIL'}")
    return 0 if ok_latency and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
