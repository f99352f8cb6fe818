"""Worker processes for the stages that handle many independent files (reading submissions,
writing feedback workbooks): how many, and a pool that works on Windows as on Linux."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

WORKERS_ENV = "CQO_WORKERS"  # "1": everything in this process, whatever the size
MAX_WORKERS = 4


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except AttributeError:  # Windows, macOS
        return os.cpu_count() or 1


def worker_count(tasks: int, big_enough: bool = True) -> int:
    """Processes for `tasks` independent jobs: CQO_WORKERS when set, else the cores (at most
    MAX_WORKERS) when the work is `big_enough` to repay starting them (~0.5-1 s: each
    worker imports pandas), else 1."""
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted.isdigit() and int(wanted) >= 1:
        return max(1, min(int(wanted), tasks))
    n = min(cores(), MAX_WORKERS, tasks)
    return n if n >= 2 and big_enough else 1


def context(preload: Sequence[str] = ()):
    """spawn works everywhere (Windows has nothing else); on Linux/macOS a fork server, started
    once with `preload` imported, gives the same clean workers sooner. Never plain fork: the
    CLI has a progress thread running."""
    import multiprocessing as mp

    if sys.platform != "win32" and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload))
        return ctx
    return mp.get_context("spawn")
