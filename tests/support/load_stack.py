"""The processes of the load test, as an operator scaling out runs them: the Procfile's
API, and two Procfile workers with node names of their own, started side by side and
stopped by their PIDs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.processes import Process, free_port, start_from_procfile, wait_until
from tests.support.workers import start_worker

QUEUE = "load"
"""The workers' one queue, so that no other worker of the test session takes a scrape."""
NODES = ("load-a", "load-b")
PROCESSES = 4
"""Each worker's processes: as on a small machine, where the API shares two cores with them."""


@dataclass(frozen=True, slots=True)
class LoadStack:
    api: Process
    api_url: str
    workers: list[Process]

    @property
    def nodes(self) -> list[str]:
        return [f"{node}@{socket.gethostname()}" for node in NODES]


@contextmanager
def load_stack(
    log_dir: Path, api_env: dict[str, str], worker_env: dict[str, str]
) -> Iterator[LoadStack]:
    port = free_port()
    with ExitStack() as stack:
        api = start_from_procfile("api", log_dir, api_env | {"ALMANAC_API_PORT": str(port)})
        stack.callback(api.stop)
        with ThreadPoolExecutor(len(NODES)) as pool:
            starting = [
                pool.submit(
                    start_worker,
                    "worker",
                    node,
                    log_dir,
                    worker_env,
                    [
                        "--hostname",
                        f"{node}@%h",
                        "--queues",
                        QUEUE,
                        "--concurrency",
                        str(PROCESSES),
                    ],
                )
                for node in NODES
            ]
        workers = []
        for future in starting:
            if future.exception() is None:
                workers.append(future.result())
                stack.callback(workers[-1].stop)
        for future in starting:
            future.result()  # the first worker that did not start, after the others are kept
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url) or api.popen.poll() is not None, 60, "the API")
        assert api.popen.poll() is None, api.output()
        yield LoadStack(api, url, workers)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
