"""Fixed histogram buckets for durations, and quantiles read from them (pure). Statistics keep counts per bucket,
not every duration, so a year's recap reads a few thousand small rows. A duration is kept as the start of its
bucket: exact to 5 s below a minute, then to 15 s below 5 minutes, 30 s below 10 minutes, a minute below
30 minutes, 3 minutes below an hour, 5 minutes below 2 hours, 15 minutes below 6 hours, an hour below a day,
3 hours below 3 days, 12 hours below 30 days; beyond 30 days, one bucket. A value is shown at most one bucket low:
from 5 minutes to 2 hours within 10 %, below 5 minutes within 15 s."""

from __future__ import annotations

# (from, to, width) in seconds; every bound is a whole second, so a bucket is named by its start.
SEGMENTS = ((0, 60, 5), (60, 300, 15), (300, 600, 30), (600, 1800, 60), (1800, 3600, 180), (3600, 7200, 300),
            (7200, 21600, 900), (21600, 86400, 3600), (86400, 259200, 10800), (259200, 2592000, 43200))
OVERFLOW = SEGMENTS[-1][1]

# (value in minutes, count, count within the deadline)
Buckets = list[tuple[float, int, int]]


def bucket(seconds: float) -> int:
    """The start (seconds) of the bucket a duration falls in; a negative duration (clocks) counts as 0."""
    value = max(0.0, seconds)
    for low, high, width in SEGMENTS:
        if value < high:
            return low + int((value - low) // width) * width
    return OVERFLOW


def quantile(buckets: Buckets, q: float) -> float | None:
    """The inclusive-method quantile (as statistics.quantiles and spreadsheets) of the values in the buckets."""
    ordered = sorted(b for b in buckets if b[1] > 0)
    n = sum(count for _, count, _ in ordered)
    if n == 0:
        return None
    position = (n - 1) * q
    lower, fraction = int(position), position - int(position)
    low, high = _nth(ordered, lower), _nth(ordered, min(lower + 1, n - 1))
    return low + (high - low) * fraction


def _nth(buckets: Buckets, index: int) -> float:
    seen = 0
    for value, count, _ in buckets:
        seen += count
        if index < seen:
            return value
    return buckets[-1][0]


def of_seconds(durations: list[float]) -> Buckets:
    """Durations (seconds) as buckets in minutes (nothing within a deadline)."""
    counts: dict[int, int] = {}
    for seconds in durations:
        key = bucket(seconds)
        counts[key] = counts.get(key, 0) + 1
    return [(start / 60, n, 0) for start, n in sorted(counts.items())]
