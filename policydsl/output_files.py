"""Files the commands write (`-o FILE`, `fmt` rewriting a policy): written whole or not at all.

Each is written to a temporary file beside it, flushed to disk, given the mode of the file it
replaces, and renamed over it (`os.replace`: atomic within one file system). A failure part way
(a full disk, a quota, a writer that raises) leaves the old file exactly as it was and no
temporary file behind, and is raised as an `OSError` naming the file, which the CLI reports
with its input-error exit code.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_text(path: str | Path, text: str, *, newline: str | None = None) -> None:
    """`path` holds `text` (UTF-8), or is left as it was."""
    def write(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
            _to_disk(handle)
    write_with(path, write)


def write_bytes(path: str | Path, data: bytes) -> None:
    """`path` holds `data`, or is left as it was."""
    def write(temporary: str) -> None:
        with open(temporary, "wb") as handle:
            handle.write(data)
            _to_disk(handle)
    write_with(path, write)


def write_with(path: str | Path, write: Callable[[str], None]) -> None:
    """`write(temporary_path)` makes the file's whole content (a workbook's `save`); then it
    replaces `path`. Nothing of it is left at `path` unless the whole of it is. A path that is
    not a regular file (`/dev/stdout`, a pipe) is written as it is: it cannot be replaced."""
    target = Path(path)
    try:
        if target.exists() and not target.is_file():
            write(str(target))
            return
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as err:
        raise OSError(err.errno, f"cannot write ({err.strerror or err})", str(target)) from None
    os.close(handle)
    try:
        write(temporary)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)  # an old file keeps its mode
        except FileNotFoundError:
            mode = 0o666 & ~_umask()  # a new one gets what `open` would give it
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(err, OSError):
            raise OSError(err.errno, f"cannot write ({err.strerror or err})", str(target)) from None
        raise


def _to_disk(handle) -> None:
    """Flush a file to disk before it replaces another (a device or a pipe has no disk to flush to)."""
    handle.flush()
    if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        os.fsync(handle.fileno())


def _umask() -> int:
    """The process's umask (read by setting it, and at once set back)."""
    current = os.umask(0o22)
    os.umask(current)
    return current
