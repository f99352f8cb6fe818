"""Crash-safe file writing: write under a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import os
import shutil
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


def ensure_private(path: Path) -> None:
    """Make `path` owner-only (0600), creating it empty when missing. For the SQLite store:
    SQLite gives its -wal and -shm files the database file's mode, so the database must be
    0600 before it is first opened (a 0-byte file is an empty database). No effect where
    chmod means nothing (Windows: the folder's ACL applies)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if p.exists():
            with contextlib.suppress(OSError):
                os.chmod(p, 0o600)


def fresh_dir(path: Path) -> Path:
    """An empty directory at `path`; whatever a crashed run left there is removed."""
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def first_locked(staging: Path, target: Path) -> Path | None:
    """The first file of `target` that a file under `staging` would replace and that cannot be
    written now (open in Excel/WPS on Windows, read-only), else None. Opening for append
    changes nothing in the file."""
    staging, target = Path(staging), Path(target)
    for src in sorted(p for p in staging.rglob("*") if p.is_file()):
        dst = target / src.relative_to(staging)
        if dst.is_file():
            try:
                with dst.open("ab"):
                    pass
            except OSError:
                return dst
    return None


def promote(staging: Path, target: Path, last: str, replaced: dict[str, str]) -> None:
    """Move every file written under `staging` into `target`, each with an atomic rename, the
    file `last` at the very end (it marks the folder complete), then remove `staging`.

    `replaced` maps sub-folders the tool rewrites whole to the pattern of its files there
    (e.g. {"退回修改": "*.xlsx"}): those matching files that `staging` does not have are stale
    and removed. Other files in `target` (a clerk's own notes) are never touched.
    """
    staging, target = Path(staging), Path(target)
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    fresh = {p.relative_to(staging) for p in files}
    final = staging / last
    for src in files:
        if src != final:
            dst = target / src.relative_to(staging)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    for folder, pattern in replaced.items():
        for old in (target / folder).glob(pattern):
            if old.is_file() and old.relative_to(target) not in fresh:
                old.unlink()
    if final.is_file():
        target.mkdir(parents=True, exist_ok=True)
        os.replace(final, target / last)
    shutil.rmtree(staging, ignore_errors=True)
