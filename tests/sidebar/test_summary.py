"""The sentiment summary says what the agent sees: recent posts and the ticket's own mention."""
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from plugin.intake.sentiment import label_for
from plugin.sidebar.summary import summarise

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def post(post_id, days_ago, score):
    """A sidebar post `days_ago` old with sentiment `score`."""
    moment = NOW - timedelta(days=days_ago)
    return {"id": post_id, "text": "…", "url": None, "sentiment": score,
            "label": label_for(score), "posted_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mentions_brand": False}


# A month of cheerful posts, then two angry ones and the ticket's own angry mention: the issue's
# reported case, where a plain average said "positive".
REPORTED = [post(f"old{n}", days, 0.9) for n, days in enumerate((30, 25, 20, 15, 10))] + [
    post("new1", 1, -0.6), post("new2", 0.5, -0.6), post("ticket", 0.1, -0.5)]
# (case, posts, the ticket's own mentions, label, direction)
CASES = [
    ("reported: cheerful past, angry now", REPORTED, [REPORTED[-1]], "negative", "worsening"),
    ("all cheerful", [post(n, n, 0.7) for n in range(6)], [], "positive", "steady"),
    ("angry past, happy now", [post(n, 20 - n, -0.8) for n in range(4)] + [
        post("a", 0.5, 0.6), post("b", 0.2, 0.7)], [], "positive", "improving"),
    ("one post", [post("x", 2, -0.3)], [], "negative", "steady"),
    ("the ticket's mention outweighs mild chatter", [post(n, n / 10, 0.1) for n in range(3)],
     [post("ticket", 1, -0.9)], "negative", "improving"),
    ("the ticket's mention alone", [], [post("ticket", 0, 0.6)], "positive", "steady"),
    ("same day, mixed", [post("a", 0.3, 0.5), post("b", 0.2, -0.5)], [], "neutral",
     "worsening"),
]


@pytest.mark.parametrize(("posts", "own", "label", "direction"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_summary(posts, own, label, direction):
    summary = summarise(posts, own)
    assert (summary["label"], summary["direction"]) == (label, direction)
    assert -1 <= summary["score"] <= 1


def test_the_reported_case_was_positive_on_average():
    assert label_for(sum(p["sentiment"] for p in REPORTED) / len(REPORTED)) == "positive"


def test_points_come_oldest_first_once_each_with_the_ticket_marked():
    summary = summarise(REPORTED, [REPORTED[-1]])
    assert [point["posted_at"] for point in summary["trend"]] == \
        sorted(p["posted_at"] for p in REPORTED)
    assert [point["own"] for point in summary["trend"]] == [False] * 7 + [True]
    assert summary["counts"] == {"positive": 5, "neutral": 0, "negative": 3}


def test_nothing_to_summarise():
    assert summarise([], []) is None


def test_the_reported_case_through_the_sidebar(installation, connect, mastodon, zendesk,
                                               sidebar_get):
    _, metadata = connect()
    instance = zendesk.add_instance("Mastodon", metadata)
    kim = mastodon.add_customer("kim", "Kim")
    now = datetime.now(timezone.utc)
    for days in (30, 25, 20, 15, 10):
        mastodon.post_status(kim, "<p>I love this, what a wonderful great day!</p>",
                             created_at=now - timedelta(days=days))
    for hours in (30, 12):
        mastodon.post_status(kim, "<p>This is terrible and awful, I hate it.</p>",
                             created_at=now - timedelta(hours=hours))
    mastodon.mention(kim, "<p>Still broken. Awful service, really disappointed.</p>",
                     created_at=now - timedelta(hours=1))
    zendesk.pull_until_empty(instance)
    [ticket] = zendesk.tickets.values()
    summary = sidebar_get(ticket.id, ticket.requester["user_id"]).get_json()["sentiment"]
    assert (summary["label"], summary["direction"]) == ("negative", "worsening")
    assert summary["trend"][-1]["own"] is True
