"""Files that hold callers' personal data or secrets (the database, backups, exports, .env) are for the owner only.

The process umask (set in main) makes new files 0600 and folders 0700; these helpers also tighten a file that
already exists, and open new ones 0600 whatever the umask."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
UMASK = 0o077

log = logging.getLogger(__name__)


def restrict(path: Path) -> None:
    """Owner read/write only, if the file exists (a file we cannot change is reported, not fatal)."""
    try:
        if path.exists() and stat.S_IMODE(path.stat().st_mode) != PRIVATE_FILE:
            path.chmod(PRIVATE_FILE)
    except OSError as exc:
        log.warning("cannot make %s private (%s): other users may read it", path, exc.strerror)


def private_dir(path: Path) -> None:
    """Create the folder (and missing parents) owner-only; an existing folder is left as it is."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a file only the owner can read, created 0600 or tightened first if it exists."""
    restrict(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def readable_by_others(path: Path) -> bool:
    """True when the group or anyone else may read the file (a secret there is not a secret)."""
    return path.exists() and bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
