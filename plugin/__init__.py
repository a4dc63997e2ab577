"""Murmur: public social-media mentions as Zendesk tickets, agent replies back to the thread."""
import logging
import os

from flask import Flask

from plugin import config
from plugin import db
from plugin import errors
from plugin import i18n
from plugin import jobs
from plugin import secrets_box
from plugin import security


def create_app(test_config=None):
    """Build the Flask app: configuration, extensions, blueprints, error handlers and CLI."""
    # MURMUR_INSTANCE_PATH moves the embedded default's folder (key, SQLite files) elsewhere.
    app = Flask(__name__, instance_path=os.environ.get("MURMUR_INSTANCE_PATH") or None,
                instance_relative_config=True)
    config.load(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    security.init_app(app)
    errors.register(app)
    register_commands(app)
    if not app.testing:
        logging.basicConfig(level=app.config["LOG_LEVEL"])
    return app


def register_extensions(app):
    """Attach the database, the at-rest encryption, the job queue and the translations."""
    db.init_app(app)
    secrets_box.init_app(app)
    jobs.init_app(app)
    i18n.init_app(app)


def register_blueprints(app):
    """One blueprint per HTTP surface."""
    from plugin import health
    from plugin import sidebar
    from plugin.intake import webhooks
    from plugin.sidebar import page as sidebar_page
    from plugin.zendesk import admin
    from plugin.zendesk import channel

    app.register_blueprint(channel.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(sidebar.bp)
    app.register_blueprint(sidebar_page.bp)
    app.register_blueprint(health.bp)


def register_commands(app):
    """The operator CLI: `flask --app plugin accounts|installations|schema|keys|platforms|app …`."""
    from plugin.app_package import app_cli
    from plugin.cli import accounts_cli
    from plugin.cli import installations_cli
    from plugin.cli import keys_cli
    from plugin.cli import list_platforms
    from plugin.cli import schema_cli

    app.cli.add_command(accounts_cli)
    app.cli.add_command(installations_cli)
    app.cli.add_command(schema_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(list_platforms)
    app.cli.add_command(app_cli)
