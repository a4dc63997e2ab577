"""An account's credentials as every process shares them, for credentials that change after
connect (rotating OAuth refresh tokens, expiring access tokens).

Two guards keep concurrent refreshes (a worker poll, a pull, a channelback, a sidebar refresh,
in any process) from spending one single-use refresh token twice or overwriting newer
credentials with older ones: one refresh at a time per account (a short lease taken with a
conditional UPDATE), and every write is a compare-and-swap on `credentials_version`. A process
whose version has moved on re-reads the stored credentials and uses them without refreshing.
"""
import time
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from plugin.db import db
from plugin.models import Account
from plugin.models import utcnow
from plugin.platforms.errors import Unavailable
from plugin.secrets_box import box

# Longer than any one refresh call takes (the platform timeout); a crashed refresher's lease
# runs out after it.
REFRESH_LEASE = timedelta(seconds=30)
WAIT_STEP = 0.1


class AccountCredentials:
    """The store an adapter of a stored account refreshes its credentials through."""

    def __init__(self, account: Account):
        self.account_id = account.id
        self.version = account.credentials_version
        self.current = box().open(account.credentials_sealed)
        # Bound now: adapters may call from worker threads that have no app context.
        self.engine = db.engine
        self.box = box()

    def refreshed(self, seen_version: int, refresh, expires_at) -> dict:
        """The credentials that follow `seen_version`.

        If another process (or thread) already replaced them, those are read and returned;
        otherwise this one takes the account's refresh lease, calls `refresh(current)` and
        stores the result (and its `expires_at`) unless the version moved meanwhile.

        :raise Unavailable: another process held the lease for longer than a refresh takes.
        :raise PlatformError: `refresh` failed; the lease is released, nothing is written.
        """
        deadline = time.monotonic() + REFRESH_LEASE.total_seconds()
        while not self.newer_than(seen_version):
            if self._take_lease(seen_version):
                return self._refresh(seen_version, refresh, expires_at)
            if time.monotonic() > deadline:
                raise Unavailable("Another process is refreshing this account's credentials "
                                  "and has not finished; try again in a minute.")
            time.sleep(WAIT_STEP)
        return self.current

    def failed(self, error):
        """Record that the platform refused the credentials and no refresh fixed it (unless
        they have been replaced since: a reconnect or another refresh)."""
        with self.engine.begin() as connection:
            connection.execute(update(Account).where(
                Account.id == self.account_id, Account.credentials_version == self.version)
                .values(credentials_failed_at=utcnow(),
                        credentials_error=f"{error.code}: {error.message}"[:2000]))

    def newer_than(self, seen_version: int) -> bool:
        """Whether newer credentials than `seen_version` are stored (loading them if so)."""
        if self.version != seen_version:
            return True
        with self.engine.connect() as connection:
            version, sealed = connection.execute(
                select(Account.credentials_version, Account.credentials_sealed)
                .where(Account.id == self.account_id)).one()
        if version == seen_version:
            return False
        self.current, self.version = self.box.open(sealed), version
        return True

    def _take_lease(self, seen_version) -> bool:
        now = utcnow()
        with self.engine.begin() as connection:
            return connection.execute(update(Account).where(
                Account.id == self.account_id, Account.credentials_version == seen_version,
                or_(Account.refresh_lease_until.is_(None), Account.refresh_lease_until < now))
                .values(refresh_lease_until=now + REFRESH_LEASE)).rowcount == 1

    def _refresh(self, seen_version, refresh, expires_at):
        try:
            new = refresh(dict(self.current))
        except BaseException:
            with self.engine.begin() as connection:
                connection.execute(update(Account).where(
                    Account.id == self.account_id, Account.credentials_version == seen_version)
                    .values(refresh_lease_until=None))
            raise
        with self.engine.begin() as connection:
            written = connection.execute(update(Account).where(
                Account.id == self.account_id, Account.credentials_version == seen_version)
                .values(credentials_sealed=self.box.seal(new),
                        credentials_version=seen_version + 1,
                        credentials_expire_at=expires_at(new), refresh_lease_until=None,
                        credentials_failed_at=None, credentials_error=None)).rowcount
        if not written:  # replaced meanwhile (a reconnect): those are the newer ones
            self.newer_than(seen_version)
            return self.current
        self.current, self.version = new, seen_version + 1
        return new
