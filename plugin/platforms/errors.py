"""Typed failures an adapter raises; the web layer maps them to JSON errors or form pages."""
from datetime import datetime


class PlatformError(Exception):
    """Base for anything that went wrong talking to a platform.

    `resume_at`, when set, is the earliest moment the platform wants to hear from us again.
    `field`, when set, names the account setting the failure concerns. A message given with
    `params` is a template (`%(label)s is required.`) that a form can translate before filling
    in; `message` is always the English text.
    """

    code = "platform_error"

    def __init__(self, message: str, *, status: int | None = None,
                 resume_at: datetime | None = None, field: str | None = None,
                 params: dict | None = None):
        self.template = message
        self.params = params or {}
        self.message = message % self.params if params else message
        super().__init__(self.message)
        self.status = status
        self.resume_at = resume_at
        self.field = field


class NotConfigured(PlatformError):
    """The account's settings are missing or malformed."""

    code = "invalid_settings"


class AuthFailed(PlatformError):
    """The platform refused our credentials (revoked or wrong): only a reconnect helps."""

    code = "platform_auth_failed"


class CredentialsExpired(AuthFailed):
    """The credentials ran out (an access token's lifetime): refreshing them may help."""

    code = "platform_credentials_expired"


class RateLimited(PlatformError):
    """The platform asked us to slow down until `resume_at`."""

    code = "platform_rate_limited"

    def __init__(self, message: str, *, resume_at: datetime, status: int | None = 429):
        super().__init__(message, status=status, resume_at=resume_at)


class Refused(PlatformError):
    """The platform rejected the request itself (validation, permissions, gone)."""

    code = "platform_refused"


class ReplyNotAllowed(Refused):
    """The platform does not let this account answer this post (the author limited replies,
    blocked the brand, or the conversation is closed): the agent must answer another way."""

    code = "reply_not_allowed"


class BudgetSpent(RateLimited):
    """The account's daily read budget would be exceeded: intake waits for the next UTC day."""

    code = "read_budget_spent"

    def __init__(self, message: str, *, resume_at: datetime):
        super().__init__(message, resume_at=resume_at, status=None)


class Unavailable(PlatformError):
    """The platform could not be reached or answered with a server error."""

    code = "platform_unavailable"


class Malformed(Unavailable):
    """The platform answered, but not with what its API promises (bad JSON, wrong shapes)."""

    code = "platform_malformed"


class MediaRefused(PlatformError):
    """A reply's attachments cannot go to the platform (none allowed, a type, size or count
    over its limits); nothing was posted."""

    code = "reply_media_refused"


class NotShared(PlatformError):
    """The platform does not offer this (a customer's posts, profiles, media …) to Murmur."""

    code = "not_shared"

    def __init__(self, capability: str, platform: str):
        super().__init__(f"{platform} does not share this with Murmur ({capability}).")
        self.capability = capability


class ReplyTooLong(PlatformError):
    """A reply exceeds one of the platform's length limits and may not be split."""

    code = "reply_too_long"

    def __init__(self, length: int, limit: int, unit: str, platform: str, can_thread: bool):
        advice = ("Shorten it, or let Murmur split long replies in the account settings."
                  if can_thread else f"Shorten it: {platform} replies cannot be split into a "
                                     "thread.")
        super().__init__(f"The reply is {length} {unit} as {platform} counts them; the limit "
                         f"is {limit}. {advice}")
        self.length = length
        self.limit = limit
        self.unit = unit


class WebhookUnsigned(AuthFailed):
    """A webhook delivery that carries no signature (or none we can check)."""

    code = "webhook_unsigned"


class WebhookForged(AuthFailed):
    """A webhook delivery whose signature does not match its body."""

    code = "webhook_forged"
