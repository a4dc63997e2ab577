"""Walking Bluesky's newest-first streams (notifications, search) back to where the last
fetch stopped, within a page budget, never skipping or repeating an item."""
from datetime import datetime
from datetime import timezone

MAX_PAGES = 10


def walk(http, path, params, key, position, since):
    """The items of a newest-first stream (`page[key]`) newer than `position`, the new
    position, and whether more wait.

    A settled position is `{"stop": {"at": indexedAt, "uris": [...]}}`, the newest items taken
    in; a walk goes back until it passes them (or, the first time, `since`). A walk that runs
    out of pages keeps `walk` (the platform's cursor) and `top` (the newest item it saw) and
    says more wait; once it gets past the stop, `top` becomes the new stop.
    """
    position = position or {}
    stop, top, page_cursor = position.get("stop"), position.get("top"), position.get("walk")
    items = []
    for _ in range(MAX_PAGES):
        query = {**params, "cursor": page_cursor} if page_cursor else params
        page = http.get_json(path, params=query)
        entries = page[key]
        for entry in entries:
            at, uri = parse_time(entry["indexedAt"]), entry["uri"]
            if _before(at, stop, since):
                return items, _settled(top, stop), False
            if stop and at == parse_time(stop["at"]) and uri in stop["uris"]:
                continue  # taken in already; others at this instant may still be new
            top = _newest(top, at, uri)
            items.append(entry)
        page_cursor = page.get("cursor")
        if not entries or not page_cursor:
            return items, _settled(top, stop), False
    return items, {"stop": stop, "top": top, "walk": page_cursor}, True


def parse_time(value: str) -> datetime:
    """An AT Protocol datetime (ISO 8601, usually with Z) as an aware datetime."""
    parsed_at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed_at if parsed_at.tzinfo else parsed_at.replace(tzinfo=timezone.utc)


def _before(at, stop, since) -> bool:
    """Whether an item at `at` is older than everything a walk is to take in."""
    return at < (parse_time(stop["at"]) if stop else since)


def _newest(top, at, uri):
    """`top` (the newest items seen: their time and uris) after seeing `uri` at `at`."""
    if top is None:
        return {"at": at.isoformat(), "uris": [uri]}
    if at == parse_time(top["at"]) and uri not in top["uris"]:
        return {**top, "uris": top["uris"] + [uri]}
    return top


def _settled(top, stop):
    if top is None:
        return {"stop": stop} if stop else {}
    if stop and parse_time(stop["at"]) == parse_time(top["at"]):
        top = {**top, "uris": sorted(set(top["uris"]) | set(stop["uris"]))}
    return {"stop": top}
