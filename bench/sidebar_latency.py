"""Time the sidebar endpoint, cold (history fetched from the platform) and warm (cached).

Run: python bench/sidebar_latency.py [--customers 40] [--latency-ms 80]

On the embedded default (a SQLite file, the real gunicorn web process), a fake Mastodon
over loopback answers every call after `--latency-ms`. Each customer has a social ticket;
the first sidebar request for a customer is cold, the following ones are warm. The
platform's own latency is measured as the adapter's calls for one history, made directly.
Targets: warm p95 ≤ 50 ms; cold p95 ≤ platform latency + 50 ms.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import free_port  # noqa: E402
from bench.common import percentile  # noqa: E402
from bench.common import start_web  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402

SECRET = "bench-shared-secret-" + "x" * 40
WARM_ROUNDS = 10


def seed(env, fake, customers):
    """Connect an account, register the installation, take in one mention per customer and
    link each to a Zendesk ticket as the event callback would. Returns [(ticket, requester)].
    """
    os.environ.update(env)
    from plugin import create_app
    from plugin import accounts
    from plugin.intake import polling as intake
    from plugin.db import db
    from plugin.models import Installation
    from plugin.models import StoredMention
    from plugin.secrets_box import box
    from plugin.zendesk import events

    for n in range(customers):
        customer = fake.add_customer(f"customer{n}", f"Customer {n}", domain="example.social")
        for k in range(20):
            fake.post_status(customer, f"<p>Post {k} from customer {n}: the coffee was great</p>")
        fake.mention(customer, f"<p>Customer {n} here: my order is late</p>")
    app = create_app()
    with app.app_context():
        account, _ = accounts.connect("mastodon", "acme", {"base_url": fake.url,
                                                           "access_token": fake.token})
        db.session.add(Installation(subdomain="acme", secret_sealed=box().seal(SECRET)))
        db.session.commit()
        intake.poll_account(account.id)
        mentions = db.session.query(StoredMention).order_by(StoredMention.seq).all()
        tickets = [(5000 + i, 9000 + i) for i in range(len(mentions))]
        events.record([{"type_id": "resources_created_from_external_ids", "subdomain": "acme",
                        "data": {"resource_events": [
                            {"external_id": m.external_id, "ticket_id": t}
                            for m, (t, _) in zip(mentions, tickets)]}, "error": None}])
        return tickets


def platform_latency(fake):
    """Seconds the platform itself takes to answer for one history: the profile and the
    recent posts, asked at once as Murmur asks them (median of 10)."""
    headers = {"Authorization": f"Bearer {fake.token}"}
    account_id = fake.lookup("customer0@example.social")["id"]
    calls = [(f"{fake.url}/api/v1/accounts/{account_id}", {}),
             (f"{fake.url}/api/v1/accounts/{account_id}/statuses",
              {"limit": 20, "exclude_reblogs": "true"})]
    samples = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(10):
            started = time.perf_counter()
            list(pool.map(lambda call: requests.get(call[0], params=call[1], headers=headers,
                                                    timeout=10), calls))
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def timed_get(http, base, ticket, requester):
    now = int(time.time())
    token = jwt.encode({"iss": "acme", "iat": now, "exp": now + 300, "ticket_id": str(ticket)},
                       SECRET, algorithm="HS256")
    started = time.perf_counter()
    response = http.get(f"{base}/api/sidebar/tickets/{ticket}",
                        params={"requester_id": requester},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and response.json()["state"] == "found", response.text
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=80.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeMastodon.served(rate_limit=10**6) as fake:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/murmur.db", "SECRET_KEY": "bench-key",
               "PUBLIC_URL": "https://murmur.example", "PLATFORM_ALLOW_HTTP": "1",
               "MURMUR_PLATFORM_ALLOW_LOOPBACK": "true",
               "MURMUR_INSTANCE_PATH": tmp}
        subprocess.run([sys.executable, "-m", "flask", "--app", "plugin", "db", "upgrade"],
                       cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)
        tickets = seed(env, fake, args.customers)
        fake.set_latency(args.latency_ms / 1000)
        platform = platform_latency(fake) * 1000
        port = free_port()
        with start_web(env, port, cwd=ROOT), requests.Session() as http:
            base = f"http://127.0.0.1:{port}"
            cold = [timed_get(http, base, t, r) for t, r in tickets]
            warm = [timed_get(http, base, t, r) for _ in range(WARM_ROUNDS) for t, r in tickets]
    cold_p95, warm_p95 = percentile(cold, 95), percentile(warm, 95)
    print(f"customers: {len(tickets)}, fake platform delay per call: {args.latency_ms:.0f} ms, "
          f"platform's own latency for one history: {platform:.1f} ms")
    print(f"cold: n={len(cold)} median {statistics.median(cold):.1f} ms, p95 {cold_p95:.1f} ms "
          f"(target ≤ {platform + 50:.1f} ms: {'PASS' if cold_p95 <= platform + 50 else 'FAIL'})")
    print(f"warm: n={len(warm)} median {statistics.median(warm):.1f} ms, p95 {warm_p95:.1f} ms "
          f"(target ≤ 50 ms: {'PASS' if warm_p95 <= 50 else 'FAIL'})")


if __name__ == "__main__":
    main()
