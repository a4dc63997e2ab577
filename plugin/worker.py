"""Entry point for the Huey consumer: `huey_consumer plugin.worker.huey`.

Importing it brings the database schema up to date and checks SECRET_KEY first, so the worker
never runs against tables that are not there or with a key that cannot open the credentials.
"""
import logging

from plugin import create_app
from plugin.startup import prepare

app = create_app()
prepare(app)
huey = app.extensions["huey"]
# The consumer gives huey's logger a handler of its own; don't print each line twice.
logging.getLogger("huey").propagate = False
