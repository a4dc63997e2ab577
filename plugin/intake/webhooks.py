"""Platform webhooks: `GET|POST /webhooks/<platform>`.

Each platform that pushes brings its own challenge, signature check and routing through its
adapter; a platform that only polls, or whose app-level secrets are not set, answers with a
clear 404. A verified delivery is committed before it is answered, then processed by the
worker.
"""
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request

from plugin.errors import BadRequest
from plugin.errors import Forbidden
from plugin.errors import NotFound
from plugin.errors import Unauthorized
from plugin.intake import deliveries
from plugin.platforms import REGISTRY
from plugin.platforms.base import SHAPE_ERRORS
from plugin.platforms.errors import AuthFailed
from plugin.platforms.errors import PlatformError
from plugin.platforms.errors import WebhookUnsigned

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.route("/<platform>", methods=["GET", "POST"])
def receive(platform):
    """Answer the platform's challenge (GET) or take in a signed delivery (POST).

    :raise NotFound: the platform is unknown, takes no webhooks, or its app-level secrets are
        not configured.
    :raise Unauthorized: the delivery is unsigned.
    :raise Forbidden: the signature or the challenge's verify token does not match.
    :raise BadRequest: the challenge is not one the platform sends.
    """
    cls = REGISTRY.get(platform)
    if cls is None:
        raise NotFound(f"Murmur knows no platform {platform!r}.", code="unknown_platform")
    if "webhook" not in cls.intake:
        raise NotFound(f"{cls.label} mentions are polled; Murmur takes no {cls.label} webhooks.",
                       code="no_webhooks")
    secrets = current_app.config["PLATFORM_SECRETS"]
    missing = cls.missing_app_settings(secrets)
    if missing:
        raise NotFound(f"{cls.label} webhooks are not configured on this server (it needs "
                       f"{', '.join(missing)}).", code="not_configured")
    if request.method == "GET":
        return _challenge(cls, secrets)
    raw_body = request.get_data(cache=False)
    try:
        cls.verify_webhook(raw_body, request.headers, secrets)
    except WebhookUnsigned as exc:
        raise Unauthorized(exc.message, code=exc.code) from None
    except AuthFailed as exc:
        raise Forbidden(exc.message, code=exc.code) from None
    except (PlatformError, *SHAPE_ERRORS) as exc:  # a signature header it cannot even read
        raise Forbidden(f"This {cls.label} delivery's signature cannot be checked.",
                        code="webhook_forged") from exc
    delivery, created = deliveries.store(cls, raw_body, request.headers)
    if created and delivery.status == "pending":
        deliveries.queue(delivery.id)
    return jsonify(received=True, duplicate=not created)


def _challenge(cls, secrets):
    try:
        answer = cls.webhook_challenge(request.args, secrets)
    except AuthFailed as exc:
        raise Forbidden(exc.message, code=exc.code) from None
    except (PlatformError, *SHAPE_ERRORS) as exc:
        raise BadRequest(f"This is not a {cls.label} webhook challenge.",
                         code="bad_challenge") from exc
    if isinstance(answer, dict):
        return jsonify(answer)
    return Response(answer, mimetype="text/plain")
