"""Files going out with a reply: what an agent attached, and what a platform takes."""
from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True)
class Upload:
    """A file an agent attached to a reply, fetched and ready to go to the platform."""

    filename: str
    mime_type: str
    content: bytes
    description: str = ""


@dataclass(frozen=True)
class MediaRules:
    """What one reply may carry on a platform (as far as it tells): how many files, which
    MIME types, and the largest size for a MIME type's family (`image/`, `video/`, ...)."""

    max_count: int
    mime_types: frozenset
    max_bytes: dict = field(default_factory=dict)

    def count_refusal(self, count: int) -> str | None:
        """Why `count` files cannot go with one reply, or None if they can."""
        if count > self.max_count:
            return (f"at most {self.max_count} attachments go with one reply; this one has "
                    f"{count}")
        return None

    def largest(self) -> int | None:
        """The most bytes any one file may have, if the platform says."""
        return max(self.max_bytes.values(), default=None)

    def refusal(self, files: list) -> str | None:
        """Why `files` (`Upload`s) cannot go with one reply, or None if they can."""
        if reason := self.count_refusal(len(files)):
            return reason
        for upload in files:
            if upload.mime_type not in self.mime_types:
                return f"{upload.filename} is {upload.mime_type}, a type it does not take"
            limit = self.max_bytes.get(upload.mime_type.split("/", 1)[0])
            if limit is not None and len(upload.content) > limit:
                return (f"{upload.filename} is {_megabytes(len(upload.content))}; "
                        f"the limit is {_megabytes(limit)}")
        return None


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"
