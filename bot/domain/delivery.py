"""Pure rules of sending: how long to wait before trying a failed send again."""

from __future__ import annotations

from datetime import timedelta

BACKOFF_BASE = 2.0
BACKOFF_MAX = timedelta(minutes=5)


def backoff(attempts: int, jitter: float) -> float:
    """Seconds until the next try: exponential, capped, times a jitter factor (the caller draws it in 0.8..1.2)
    so that groups cut off together do not all retry in the same second."""
    return min(BACKOFF_BASE ** min(attempts, 10), BACKOFF_MAX.total_seconds()) * jitter
