"""gunicorn settings for the `web` process (`gunicorn -c gunicorn.conf.py 'plugin:create_app()'`)."""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# Threads, not sync workers: an idle or slow client then parks a socket in the poller instead
# of holding a whole worker, so a few stalled connections cannot stop Zendesk's calls.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("MURMUR_WEB_THREADS", "8"))
# A request that takes longer than this is a bug: pulls answer from the database and bound
# any platform call to a few seconds, and Zendesk itself gives up on us well before.
timeout = 30
graceful_timeout = 20
# Zendesk and the sidebar reuse connections; idle ones are closed after this many seconds.
keepalive = 15
# A client that has not sent its request line and headers within this is dropped.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Before any worker serves: bring the schema up to date and check the key (once)."""
    from plugin import create_app
    from plugin.startup import prepare

    app = create_app()
    prepare(app)
    with app.app_context():
        from plugin.db import db

        db.engine.dispose()  # the workers open their own connections
