"""Crash-safe file writing: write under a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` atomically.

    On any exception the temporary file is removed and `target` is left as it was.
    `private=True` makes the file owner-only (roster, store: personal data).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=".~" + target.stem + ".", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600: keep that for personal data, else the usual umask mode.
        with contextlib.suppress(OSError):
            os.chmod(tmp_path, 0o600 if private else 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def safe_component(name: str, fallback: str = "未命名") -> str:
    """A single path component safe on Windows and POSIX: no separators, no '..', no
    reserved characters. Used for every output file named after sender-controlled text."""
    bad = '<>:"/\\|?*\x00'
    cleaned = "".join("_" if (c in bad or ord(c) < 32) else c for c in str(name)).strip(" .")
    if not cleaned or set(cleaned) <= {"_", "."}:
        return fallback
    return cleaned[:100]
