"""The sidebar page Zendesk loads with a signed request (`"signed": true` in the manifest)."""
from flask import Blueprint
from flask import render_template
from flask import request

from plugin.errors import AppError
from plugin.errors import Unauthorized
from plugin.sidebar import signed

bp = Blueprint("sidebar_page", __name__, url_prefix="/app")


@bp.post("/sidebar")
def sidebar():
    """Check Zendesk's signed token, register its installation, serve the page with a session.

    The query string (`origin`, `app_guid`) stays on the page's URL, where the ZAF SDK reads it.
    """
    token = request.form.get("token", "")
    if not token:
        raise Unauthorized("Zendesk loads this page with a signed token; open it from a ticket.",
                           code="missing_token")
    installation = signed.register(signed.verify_zendesk_token(token))
    page = render_template("sidebar/page.html", session=signed.issue_session(installation))
    # The page carries a session: no cache may keep it.
    return page, 200, {"Cache-Control": "no-store"}


@bp.errorhandler(AppError)
def _refused(exc: AppError):
    """Failures are shown where the agent looks: in the panel, as a page."""
    return render_template("sidebar/refused.html", title="Murmur cannot open this panel.",
                           message=exc.message, code=exc.code), exc.status
