"""Entry point for the Huey consumer: `huey_consumer plugin.worker.huey`."""
from plugin import create_app

app = create_app()
huey = app.extensions["huey"]
