"""Security headers on every answer; rate limits on the public endpoints."""
import json

import pytest


def test_json_endpoints_may_not_be_framed(client):
    answer = client.get("/channel/manifest.json")
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"]


def test_the_admin_ui_may_be_framed_by_zendesk_only(client):
    answer = client.post("/channel/admin", data={})
    assert "X-Frame-Options" not in answer.headers
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://*.zendesk.com" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_a_flood_of_wrong_secret_pulls_is_cut_off_with_retry_after(client, connect):
    account, metadata = connect()
    forged = json.dumps({**json.loads(metadata), "secret": "guess"})
    codes = [client.post("/channel/pull", data={"metadata": forged}).status_code
             for _ in range(40)]
    assert codes[:30] == [401] * 30 and set(codes[30:]) == {429}
    answer = client.post("/channel/pull", data={"metadata": forged})
    assert answer.status_code == 429 and answer.json["error"] == "too_many_requests"
    assert int(answer.headers["Retry-After"]) > 0


def test_one_accounts_flood_does_not_stop_another_account(client, connect, mastodon):
    _, metadata = connect()
    codes = [client.post("/channel/pull", data={"metadata": metadata}).status_code
             for _ in range(125)]
    assert codes.count(200) == 120 and codes[-1] == 429
    assert client.post("/channel/pull", data={"metadata": json.dumps(
        {"account": "another", "secret": "x"})}).status_code == 404


@pytest.mark.parametrize("path", ["/healthz", "/channel/health"])
def test_every_answer_has_the_headers(client, path):
    assert "Content-Security-Policy" in client.get(path).headers


def test_manifest_urls_never_come_from_the_host_header(app, client):
    answer = client.get("/channel/manifest.json", headers={"Host": "evil.example"})
    assert all(url.startswith("https://murmur.example/")
               for url in answer.json["urls"].values())
    app.config.update(PUBLIC_URL=None, TESTING=False)
    answer = client.get("/channel/manifest.json", headers={"Host": "evil.example"})
    assert answer.status_code == 503 and answer.json["error"] == "public_url_unset"
    assert "evil.example" not in answer.get_data(as_text=True)


def test_metadata_nested_thousands_deep_is_a_4xx_not_a_500(client):
    answer = client.post("/channel/pull", data={"metadata": "[" * 5000 + "]" * 5000})
    assert 400 <= answer.status_code < 500 and answer.json["error"]
