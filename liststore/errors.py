"""One error taxonomy for every store, classified where the store meets its backend."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store failure; `status` is the HTTP status the backend answered, when
    there was one, so callers decide by it and never by the message's text."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientError(StoreError):
    """Worth retrying later (429, 503, 504, timeouts); `retry_after` in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None, *, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PermanentError(StoreError):
    """Retrying the same request cannot succeed (400, 404, a value the list refuses)."""


class NotProvisionedError(PermanentError):
    """The list does not exist yet; `dx-sync provision` creates it."""

    def __init__(self, list_name: str) -> None:
        super().__init__(
            f"list {list_name!r} does not exist; run `dx-sync provision` first"
        )
        self.list_name = list_name


class ConflictError(StoreError):
    """The item changed since it was read (412 on If-Match); re-read and re-plan."""


class AlreadyExistsError(StoreError):
    """What a create would make exists already (409, e.g. the unique key column): write to the
    existing item instead. Not a conflict: nothing changed behind the writer's back."""


class AuthError(StoreError):
    """Credentials or permissions are wrong; the message says which and how to fix it."""
