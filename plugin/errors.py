"""Typed application errors and the one place that turns every failure into JSON."""
import logging

from flask import jsonify
from werkzeug.exceptions import HTTPException

from plugin.db import db
from plugin.platforms import errors as platform_errors

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error with an HTTP status and a stable code, shown as `{"error", "message"}`."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class BadRequest(AppError):
    """Malformed or missing input."""


class Unauthorized(AppError):
    """Missing or invalid credentials."""

    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    """Valid credentials that do not cover this request."""

    status = 403
    code = "forbidden"


class NotFound(AppError):
    """Nothing of ours matches."""

    status = 404
    code = "not_found"


class Conflict(AppError):
    """The same work is already under way."""

    status = 409
    code = "conflict"


# Platform failures as an agent or admin sees them through our API.
PLATFORM_STATUS = {
    platform_errors.NotConfigured: 422,
    platform_errors.AuthFailed: 422,
    platform_errors.Refused: 422,
    platform_errors.ReplyTooLong: 422,
    platform_errors.MediaRefused: 422,
    platform_errors.NotShared: 422,
    platform_errors.RateLimited: 429,
    platform_errors.Unavailable: 503,
}


def error_response(status: int, code: str, message: str, headers=None):
    """The JSON error body every endpoint uses."""
    response = jsonify(error=code, message=message)
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def _platform_status(exc):
    for cls in type(exc).__mro__:
        if cls in PLATFORM_STATUS:
            return PLATFORM_STATUS[cls]
    return 502


def register(app):
    """Install the JSON error handlers."""

    @app.errorhandler(AppError)
    def _app_error(exc):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(platform_errors.PlatformError)
    def _platform_error(exc):
        headers = None
        if isinstance(exc, platform_errors.RateLimited):
            headers = {"Retry-After": exc.resume_at.strftime("%a, %d %b %Y %H:%M:%S GMT")}
        return error_response(_platform_status(exc), exc.code, exc.message, headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        code = (exc.name or "error").lower().replace(" ", "_")
        # Keep the exception's own headers (a 405 must say which methods are Allowed).
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return error_response(exc.code or 500, code, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        record_fault()
        return error_response(500, "internal_error", "Something went wrong on our side.")


def record_fault():
    """Log the exception being handled as our own fault and leave the session usable."""
    log.exception("unhandled error")
    db.session.rollback()  # leave nothing half-written, and the session usable
