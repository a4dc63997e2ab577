"""Run any WSGI app on a loopback port in a background thread, for tests.

Used for the fake platforms (Mastodon, Zendesk) and for our own app, so that
tests talk real HTTP through ``requests`` instead of a test client.
"""

import threading

from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server


class _QuietHandler(WSGIRequestHandler):
    """Request handler that writes nothing to stderr (no access log lines)."""

    def log_request(self, code="-", size="-"):
        """Skip the per-request access log."""

    def log(self, type, message, *args):
        """Skip werkzeug's own log lines (errors still surface in the app)."""


class LiveServer:
    """A WSGI app served on ``127.0.0.1`` with an ephemeral port.

    Use as a context manager (``with LiveServer(app) as srv: srv.url``) or
    call :meth:`start` and :meth:`stop` yourself. Requests are handled in
    daemon threads, so one slow request does not block others.
    """

    def __init__(self, app, host="127.0.0.1", port=0):
        """Remember the app; nothing listens until :meth:`start`."""
        self.app = app
        self.host = host
        self.port = port
        self._server = None
        self._thread = None

    @property
    def url(self):
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("LiveServer is not running")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self):
        """Bind the port and serve in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        self._server = make_server(
            self.host,
            self.port,
            self.app,
            threaded=True,
            request_handler=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # A short poll keeps stop() fast (the default waits up to 0.5 s).
            kwargs={"poll_interval": 0.05},
            name=f"LiveServer:{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving, close the listening socket and join the thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        """Start the server and return it."""
        return self.start()

    def __exit__(self, *exc_info):
        """Stop the server."""
        self.stop()
