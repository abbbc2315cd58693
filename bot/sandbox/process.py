"""Runs the real `sigap112` program (CLI and bot process) against the fake Bot API: for the end-to-end tests
and the benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .fake_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
SIGAP = str(Path(sys.executable).parent / "sigap112")


class BotProcess:
    def __init__(self, fake: FakeTelegram, database_url: str, workdir: Path, admin_ids: list[int],
                 extra_env: dict[str, str] | None = None) -> None:
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_"))},
            "BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url, "DATABASE_URL": database_url,
            "RULES_DIR": str(ROOT / "rules"), "ADMIN_IDS": ",".join(map(str, admin_ids)), "INSTANCE_ID": "e2e-1",
            "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", **(extra_env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([SIGAP, *args], env=self.env, cwd=self.workdir, capture_output=True, text=True,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"sigap112 {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def start(self, *args: str) -> BotProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([SIGAP, "run", *args], env=self.env, cwd=self.workdir, stdout=log, stderr=log)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the server loses power."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def terminate(self, within: float) -> int:
        """SIGTERM, as systemd or a deploy sends it: the exit code; AssertionError (and SIGKILL) when the process
        has not exited within `within` seconds."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(within)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"sigap112 run did not exit within {within:.0f} s of SIGTERM") from None
        self.proc = None
        return code

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(10)
        self.proc = None
        return code

    def memory_kib(self) -> dict[str, int]:
        """The process's resident memory now (VmRSS) and at its peak so far (VmHWM), in KiB (Linux)."""
        assert self.proc is not None
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
        return fields

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    """A port to listen on later, chosen below the kernel's ephemeral range (32768 and up on Linux): a port the
    kernel hands out for `bind(0)` may be taken meanwhile by any outgoing connection (to the database, to the
    emulator), and the bot started a second later could not listen on it."""
    import random
    import socket

    low, high = _ephemeral_range()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        if port in _GIVEN:  # free now, but promised to an earlier caller (two instances of one test)
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _GIVEN.add(port)
            return port
    with socket.socket() as sock:  # no luck below the range: any free port
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_GIVEN: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999
