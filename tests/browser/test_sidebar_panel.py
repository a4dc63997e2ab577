"""The sidebar for a ticket whose requester has a known social profile."""
import os
import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import ROUND_HALF_UP
from decimal import Decimal

from playwright.sync_api import expect

from plugin.app_package import MANIFEST_DIR
from tests.browser.harness import fetch_document
from tests.browser.harness import requested_tickets

RELATIVE = re.compile(r"^(just now|\d+ min ago|\d+ h ago|\d+ d ago|[A-Z][a-z]{2} \d{1,2}(, \d{4})?)$")
LABELS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}


def compact(number):
    """Intl.NumberFormat('en-US', {notation: 'compact', maximumFractionDigits: 1})."""
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if number >= size:
            text = str(Decimal(number / size).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            return text.removesuffix(".0") + suffix
    return str(number)


def exact(iso):
    """toLocaleString('en-US', {dateStyle: 'medium', timeStyle: 'short'}) in UTC."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    hour = moment.hour % 12 or 12
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def open_found(sidebar, backend, requester):
    zendesk = requested_tickets(backend.requester_id, backend.ticket_id)
    page = sidebar.open(backend, backend.ticket_id, requester(backend.requester_id), zendesk=zendesk)
    expect(page.locator(".earlier-tickets .ticket").first).to_be_visible()
    return page


def test_profile_header(sidebar, sidebar_backend, requester):
    profile = fetch_document(sidebar_backend, sidebar_backend.ticket_id, sidebar_backend.requester_id)["profile"]
    page = open_found(sidebar, sidebar_backend, requester)
    expect(page.locator(".profile__name")).to_have_text(profile["name"] or profile["handle"])
    handle = page.locator(".profile__handle a")
    expect(handle).to_have_text(profile["handle"])
    expect(handle).to_have_attribute("href", profile["profile_url"])
    expect(handle).to_have_attribute("target", "_blank")
    expect(handle).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator(".profile__meta .platform")).to_have_text(profile["platform_label"])
    followers = profile["followers_count"]
    expect(page.locator(".profile__followers")).to_have_text(
        f"{compact(followers)} follower{'' if followers == 1 else 's'}")
    expect(page.locator(".profile .avatar")).to_be_visible()
    others = page.locator(".other-profile a")
    expect(others).to_have_count(len(profile["other_profiles"]))
    for index, other in enumerate(profile["other_profiles"]):
        expect(others.nth(index)).to_have_text(f"{other['platform_label']} {other['handle']}")
        expect(others.nth(index)).to_have_attribute("href", other["profile_url"])


def test_sentiment_summary_and_chart(sidebar, sidebar_backend, requester):
    doc = fetch_document(sidebar_backend, sidebar_backend.ticket_id, sidebar_backend.requester_id)
    sentiment = doc["sentiment"]
    assert sentiment["trend"], "the backend's ticket needs a sentiment trend"
    page = open_found(sidebar, sidebar_backend, requester)
    summary = page.locator(".sentiment")
    expect(summary.locator(".sentiment__summary .badge")).to_have_text(LABELS[sentiment["label"]])
    expect(summary.locator(".sentiment__direction")).to_have_text(sentiment["direction"])
    value = f"{abs(sentiment['score']):.2f}"
    sign = "+" if sentiment["score"] > 0 and value != "0.00" else "\u2212" if value != "0.00" else ""
    expect(summary.locator(".sentiment__score")).to_have_text(sign + value)
    for label, count in sentiment["counts"].items():
        expect(summary.locator(f".counts__item[data-label={label}]")).to_have_text(f"{count} {LABELS[label]}")
    expect(summary.locator("svg.trend")).to_be_visible()
    points = summary.locator("svg.trend circle")
    expect(points).to_have_count(len(sentiment["trend"]))
    scores = [float(points.nth(i).get_attribute("data-score")) for i in range(len(sentiment["trend"]))]
    assert scores == [max(-1, min(1, item["score"])) for item in sentiment["trend"]]
    kinds = [points.nth(i).get_attribute("class") for i in range(len(sentiment["trend"]))]
    assert kinds == [f"trend__point trend__point--{item['label']}" + (" trend__point--own" if item["own"] else "")
                     for item in sentiment["trend"]]
    assert any(item["own"] for item in sentiment["trend"])


def test_posts_newest_first_with_times_badges_and_brand_marks(sidebar, sidebar_backend, requester):
    posts = fetch_document(sidebar_backend, sidebar_backend.ticket_id, sidebar_backend.requester_id)["posts"]
    assert len(posts) >= 2 and any(p["mentions_brand"] for p in posts), "the backend's ticket needs posts"
    page = open_found(sidebar, sidebar_backend, requester)
    items = page.locator(".posts > li")
    expect(items).to_have_count(len(posts))
    shown = [items.nth(i).locator("time").get_attribute("datetime") for i in range(len(posts))]
    assert shown == [p["posted_at"] for p in posts] and shown == sorted(shown, reverse=True)
    for index, post in enumerate(posts):
        item = items.nth(index)
        expect(item.locator(".post__text")).to_have_text(post["text"])
        time = item.locator("time")
        assert RELATIVE.match(time.inner_text()), time.inner_text()
        assert time.get_attribute("title").replace("\u202f", " ") == exact(post["posted_at"])
        expect(item.locator("a.post__link")).to_have_attribute("href", post["url"])
        expect(item.locator(".badge")).to_have_text(LABELS[post["label"]])
        expect(item).to_have_attribute("data-mentions-brand", "true" if post["mentions_brand"] else "false")
        expect(item.locator(".tag--brand")).to_have_count(1 if post["mentions_brand"] else 0)


def test_relative_and_exact_times_of_older_posts(sidebar, sidebar_backend, social_ticket, mastodon, requester):
    now = datetime.now(timezone.utc)
    long_ago = now - timedelta(days=45)
    ages = {"20 min ago": timedelta(minutes=20), "3 h ago": timedelta(hours=3), "9 h ago": timedelta(hours=9),
            "1 d ago": timedelta(hours=27), "4 d ago": timedelta(hours=98),
            f"{long_ago:%b} {long_ago.day}" + ("" if long_ago.year == now.year else f", {long_ago.year}"):
                timedelta(days=45)}
    for shown, age in ages.items():
        mastodon.post_status(social_ticket.customer, f"<p>Posted {shown} here</p>", created_at=now - age)
    page = sidebar.open(sidebar_backend, sidebar_backend.ticket_id, requester(sidebar_backend.requester_id))
    for shown, age in ages.items():
        time = page.locator(".posts > li", has_text=f"Posted {shown} here").locator("time")
        expect(time).to_have_text(shown)
        assert time.get_attribute("title").replace("\u202f", " ") == exact(
            (now - age).strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_earlier_tickets_without_the_current_one(sidebar, sidebar_backend, requester):
    page = open_found(sidebar, sidebar_backend, requester)
    tickets = page.locator(".earlier-tickets .ticket")
    current = sidebar_backend.ticket_id
    expect(tickets).to_have_count(3)
    ids = [int(tickets.nth(i).get_attribute("data-ticket-id")) for i in range(3)]
    assert ids == [current - 37, current - 112, current - 190]
    expect(tickets.locator(".status")).to_have_text(["Pending", "Solved", "Closed"])
    expect(tickets.first.locator("a")).to_have_text(f"#{current - 37} Descaling loop after firmware 4.1")
    tickets.first.locator("a").click()
    assert ["routeTo", "ticket", current - 37] in page.evaluate("window.__zaf.invokes")
    requests = page.evaluate("window.__zaf.requests")
    assert {"url": f"/api/v2/users/{sidebar_backend.requester_id}/tickets/requested.json"
                   "?sort_by=created_at&sort_order=desc&per_page=10",
            "type": "GET", "dataType": "json"} in requests


def test_earlier_tickets_failing_leaves_the_rest(sidebar, sidebar_backend, requester):
    posts = fetch_document(sidebar_backend, sidebar_backend.ticket_id, sidebar_backend.requester_id)["posts"]
    zendesk = {f"/api/v2/users/{sidebar_backend.requester_id}/tickets/requested.json": {
        "__status": 403, "body": {"error": "Forbidden"}}}
    page = sidebar.open(sidebar_backend, sidebar_backend.ticket_id, requester(sidebar_backend.requester_id),
                        zendesk=zendesk)
    expect(page.locator(".earlier-tickets")).to_contain_text("Couldn\u2019t load earlier tickets.")
    expect(page.locator(".posts > li")).to_have_count(len(posts))


def test_screenshot(sidebar, showcase, requester, tmp_path):
    page = sidebar.open(showcase, showcase.ticket_id, requester(showcase.requester_id),
                        zendesk=requested_tickets(showcase.requester_id, showcase.ticket_id), device_scale_factor=2)
    expect(page.locator(".earlier-tickets .ticket")).to_have_count(3)
    expect(page.locator(".posts > li")).to_have_count(5)
    expect(page.locator(".other-profile")).to_have_count(1)
    page.wait_for_function("document.querySelector('img.avatar') && document.querySelector('img.avatar').complete")
    page.wait_for_function("""() => {
        const last = window.__zaf.resizes[window.__zaf.resizes.length - 1];
        return last && last.height === Math.ceil(document.getElementById('app').getBoundingClientRect().height) + 'px';
    }""")
    target = MANIFEST_DIR / "assets" / "screenshot-0.png" if os.environ.get("MURMUR_SCREENSHOT") == "1" else tmp_path / "sidebar.png"
    page.locator("#app").screenshot(path=target, animations="disabled")
    assert target.stat().st_size > 10_000
