"""Process memory housekeeping."""

from __future__ import annotations

import ctypes
import sys


def release_freed_memory() -> None:
    """Hand the heap pages freed so far back to the operating system (glibc's malloc_trim).

    glibc keeps what Python frees in its heap for reuse, but the free pages scattered among
    live objects stay resident: after the validated records of a national quarter are let
    go, ~340 MB; after the roster book is written, ~200 MB. Called between such steps, the
    next one starts from a lower footprint, which lowers the run's peak. Costs microseconds.
    Elsewhere (Windows, macOS, musl) this does nothing: no portable call exists."""
    if sys.platform != "linux":
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
