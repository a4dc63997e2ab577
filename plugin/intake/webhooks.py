"""Platform webhooks: `GET|POST /webhooks/<platform>`.

Each platform that pushes brings its own challenge and
signature check through its adapter; a platform that only polls answers with a clear 404.
"""
from flask import Blueprint

from plugin.errors import NotFound
from plugin.platforms import REGISTRY

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.route("/<platform>", methods=["GET", "POST"])
def receive(platform):
    """Route a platform's webhook call to its adapter.

    :raise NotFound: the platform is unknown or takes no webhooks.
    """
    cls = REGISTRY.get(platform)
    if cls is None:
        raise NotFound(f"Murmur knows no platform {platform!r}.", code="unknown_platform")
    if "webhook" not in cls.intake:
        raise NotFound(f"{cls.label} mentions are polled; Murmur takes no {cls.label} webhooks.",
                       code="no_webhooks")
    raise NotFound(f"{cls.label} webhooks are not set up on this server.", code="no_webhooks")
