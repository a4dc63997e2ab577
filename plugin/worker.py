"""Entry point for the Huey consumer: `huey_consumer plugin.worker.huey`."""
import logging

from plugin import create_app

app = create_app()
huey = app.extensions["huey"]
# The consumer gives huey's logger a handler of its own; don't print each line twice.
logging.getLogger("huey").propagate = False
