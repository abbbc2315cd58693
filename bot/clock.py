"""The only place the program reads the clock; the domain always receives `now` as a parameter."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
