"""A redis-server of a test's own, which it may stop and start again without touching
the one other tests share. Persistent (append-only file), as in `compose.dev.yml`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import redis

from tests.support.processes import free_port, wait_until


class OwnRedis:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self) -> OwnRedis:
        self._popen = subprocess.Popen(
            [
                self.binary,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.dir),
                "--appendonly", "yes",
                "--save", "",
                "--logfile", str(self.dir / "redis.log"),
            ],
            start_new_session=True,
        )  # fmt: skip
        wait_until(self.answers, 10, "the test's redis-server")
        return self

    def answers(self) -> bool:
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=0.5) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop it as a restart does (SIGTERM: it writes its file and exits)."""
        if self._popen is not None and self._popen.poll() is None:
            self._popen.terminate()
            self._popen.wait(15)
        self._popen = None
