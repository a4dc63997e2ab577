"""What every serving or working process does before it starts: schema current, key right."""
from plugin import schema
from plugin import secrets_box


def prepare(app):
    """Migrate the database if it is behind, then check SECRET_KEY opens what is stored.

    :raise KeyMismatch: the key cannot open the stored credentials (the process must not
        start: it would fail every poll and reply, or seal new values nobody else can open).
    """
    with app.app_context():
        schema.upgrade()
        secrets_box.check_key()
