"""One retry policy and one error classification for every Graph call, single or batched."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Mapping

from liststore.errors import (
    AlreadyExistsError,
    AuthError,
    ConflictError,
    PermanentError,
    StoreError,
    TransientError,
)

RETRYABLE = frozenset({429, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Honour the service's wait when it gives one; otherwise capped exponential backoff, jittered."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 60.0
    max_server_delay: float = 300.0  # we wait as long as Graph asks, up to five minutes

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before attempt number `attempt + 1` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_server_delay)
        ceiling = min(self.max_delay, self.base_delay * (2 ** attempt))
        return rng.uniform(ceiling / 2, ceiling)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait Graph asks for: the larger of Retry-After and RateLimit-Reset when both are sent."""
    waits: list[float] = []
    raw = _header(headers, "Retry-After")
    if raw:
        try:
            waits.append(float(raw))
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
                waits.append(max(0.0, (when - datetime.now(timezone.utc)).total_seconds()))
            except (TypeError, ValueError):
                pass
    reset = _header(headers, "RateLimit-Reset")
    if reset:
        try:
            waits.append(float(reset))
        except ValueError:
            pass
    return max(waits) if waits else None


def error_message(body: Any) -> str:
    """Graph's `error.code: error.message`, or whatever text there is."""
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        err = body["error"]
        return f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
    return str(body)[:300] if body else ""


def classify(status: int, headers: Mapping[str, str], body: Any, what: str) -> StoreError | None:
    """The taxonomy error for a response, or None when it succeeded. `what` names the request."""
    if 200 <= status < 300:
        return None
    detail = error_message(body)
    if status in RETRYABLE or status >= 500:
        return TransientError(f"{what}: {status} {detail}", retry_after_seconds(headers), status=status)
    if status == 401:
        return AuthError(f"{what}: Graph rejected the access token (401 {detail})", status=status)
    if status == 403:
        return AuthError(
            f"{what}: access denied (403). The app needs Microsoft Graph application permission "
            "Sites.Selected with admin consent, and a grant on this site: an administrator "
            "calls POST /sites/{site-id}/permissions with roles [\"write\"] (or [\"manage\"] "
            "to provision lists) for this app's client id. See README, 'Connecting a real tenant'.",
            status=status,
        )
    if status == 409:
        return AlreadyExistsError(f"{what}: {status} {detail}", status=status)
    if status == 412:
        return ConflictError(f"{what}: {status} {detail}", status=status)
    return PermanentError(f"{what}: {status} {detail}", status=status)
