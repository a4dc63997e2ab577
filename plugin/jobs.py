"""Background work on Huey: SQLite storage by default, Redis when REDIS_URL is set."""
import functools
import logging
from pathlib import Path

from huey import RedisHuey
from huey import SqliteHuey
from huey import crontab
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def make_huey(config):
    """The Huey instance the configuration asks for."""
    immediate = bool(config.get("HUEY_IMMEDIATE"))
    if config.get("REDIS_URL"):
        return RedisHuey("murmur", url=config["REDIS_URL"], immediate=immediate)
    return SqliteHuey("murmur", filename=str(queue_file(config)), immediate=immediate)


def queue_file(config) -> Path:
    """Huey's SQLite file: beside the embedded database, or under instance/ otherwise."""
    return embedded_folder(config) / "huey.db"


def embedded_folder(config) -> Path:
    """Where the embedded default keeps its files: the SQLite database's folder, or instance/."""
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent
    return Path(config["INSTANCE_PATH"])


def init_app(app):
    """Create the queue and register Murmur's tasks on it."""
    # A configured INSTANCE_PATH (tests, operators) wins over Flask's default folder.
    app.config.setdefault("INSTANCE_PATH", app.instance_path)
    huey = make_huey(app.config)
    in_app = _in_app_context(app)

    from plugin.intake import deliveries
    from plugin.intake import polling as intake
    from plugin.sidebar import history

    poll = huey.task(name="murmur.poll_account")(in_app(intake.poll_account))
    refresh_history = huey.task(name="murmur.refresh_history")(in_app(history.refresh_task))
    process_delivery = huey.task(name="murmur.process_delivery")(in_app(deliveries.process))

    @huey.periodic_task(crontab(minute="*"), name="murmur.poll_due")
    @in_app
    def poll_due():
        """Queue a poll for every account that is due (the database says which)."""
        for account_id in intake.due_accounts():
            poll(account_id)

    @huey.periodic_task(crontab(minute="*"), name="murmur.requeue_deliveries")
    @in_app
    def requeue_deliveries():
        """Queue again the webhook deliveries a dead worker left pending."""
        deliveries.requeue_stale()

    app.extensions["huey"] = huey
    app.extensions["murmur.tasks"] = {"poll_account": poll, "poll_due": poll_due,
                                      "refresh_history": refresh_history,
                                      "process_delivery": process_delivery,
                                      "requeue_deliveries": requeue_deliveries}


def _in_app_context(app):
    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with app.app_context():
                return fn(*args, **kwargs)
        return run
    return wrap
