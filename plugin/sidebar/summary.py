"""The sidebar's sentiment summary: what the customer's mood is now, and where it is heading.

A plain average lets a month of cheerful posts outvote today's complaint. Here each post weighs
half as much for every HALF_LIFE it is older than the newest one, the ticket's own mention
weighs double (and never less than the newest post), and the direction compares the newer half
of the posts with the older half.
"""
from datetime import datetime

from plugin.intake import sentiment

HALF_LIFE_DAYS = 3.0
OWN_WEIGHT = 2.0
# How far the newer half's average must move from the older half's to call it a change.
DIRECTION_STEP = 0.25
LABELS = ("positive", "neutral", "negative")


def summarise(posts: list[dict], own: list[dict] = ()) -> dict | None:
    """Summarise `posts` (sidebar post dicts) and the ticket's own mentions `own`.

    Returns the weighted score with its label, the direction (improving, worsening or
    steady), counts per label, and every point oldest first; None with nothing to summarise.
    """
    own_ids = {post["id"] for post in own}
    series = sorted({post["id"]: post for post in [*posts, *own]}.values(),
                    key=lambda post: (post["posted_at"], post["id"]))
    if not series:
        return None
    newest = _time(series[-1])
    total = weights = 0.0
    for post in series:
        weight = 0.5 ** ((newest - _time(post)).total_seconds() / 86400 / HALF_LIFE_DAYS)
        if post["id"] in own_ids:
            weight = OWN_WEIGHT * max(weight, 1.0)
        total += weight * post["sentiment"]
        weights += weight
    score = round(total / weights, 4)
    counts = {label: 0 for label in LABELS}
    for post in series:
        counts[post["label"]] += 1
    return {"score": score, "label": sentiment.label_for(score), "direction": _direction(series),
            "counts": counts,
            "trend": [{"posted_at": post["posted_at"], "score": post["sentiment"],
                       "label": post["label"], "own": post["id"] in own_ids} for post in series]}


def _direction(series) -> str:
    half = len(series) // 2
    if not half:
        return "steady"
    older = sum(post["sentiment"] for post in series[:half]) / half
    newer = sum(post["sentiment"] for post in series[-half:]) / half
    if newer - older >= DIRECTION_STEP:
        return "improving"
    if older - newer >= DIRECTION_STEP:
        return "worsening"
    return "steady"


def _time(post) -> datetime:
    return datetime.fromisoformat(post["posted_at"].replace("Z", "+00:00"))
