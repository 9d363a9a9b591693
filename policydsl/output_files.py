"""Files the commands write (`-o FILE`, `fmt` rewriting a policy): written whole or not at all.

Each is written to a temporary file beside it, flushed to disk, given the mode of the file it
replaces, and renamed over it (`os.replace`: atomic within one file system). A symbolic link is
followed: the file it names is replaced, the link stays. (A replaced file keeps its permission
bits, not its owner, hard links or extended attributes: the price of never leaving half a file.)
A failure part way (a full disk, a quota, a writer that raises) leaves the old file exactly as it
was and no temporary file behind, and is raised as an `OSError` naming the file, which the CLI
reports with its input-error exit code.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def output_path(text: str) -> str:
    """argparse's type for `-o FILE`: an empty name would silently mean standard output."""
    import argparse

    if not text.strip():
        raise argparse.ArgumentTypeError("an empty file name (leave -o out to write to standard output)")
    return text


def write_text(path: str | Path, text: str, *, newline: str | None = None) -> None:
    """`path` holds `text` (UTF-8), or is left as it was."""
    _write(path, text, "w", encoding="utf-8", newline=newline)


def write_bytes(path: str | Path, data: bytes) -> None:
    """`path` holds `data`, or is left as it was."""
    _write(path, data, "wb")


def _write(path: str | Path, content: str | bytes, mode: str, **options) -> None:
    def write(temporary: str) -> None:
        with open(temporary, mode, **options) as handle:
            handle.write(content)
            _to_disk(handle)
    write_with(path, write)


def write_with(path: str | Path, write: Callable[[str], None]) -> None:
    """`write(temporary_path)` makes the file's whole content (a workbook's `save`); then it
    replaces the file at `path` — the file a symbolic link names, never the link. Nothing of it
    is left there unless the whole of it is. What is not a regular file (`/dev/stdout`, a pipe,
    anything under /dev or /proc) is written as it is: it cannot be replaced, only written."""
    given = Path(path)
    target = Path(os.path.realpath(given))  # through symbolic links: the file they name
    try:
        if _not_replaceable(given, target):
            write(str(given))
            return
        if target.exists() and not os.access(target, os.W_OK):  # as `open(..., "w")` refuses it
            raise PermissionError(13, "Permission denied")
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as err:
        raise OSError(err.errno, f"cannot write ({err.strerror or err})", str(given)) from None
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
            raise OSError(err.errno, f"cannot write ({err.strerror or err})", str(given)) from None
        raise


def _not_replaceable(given: Path, target: Path) -> bool:
    """A device, a pipe, a terminal, or a name under /dev or /proc (`/dev/stdout` is a link to
    `/proc/self/fd/1`, which may name a file the shell opened): written into, not replaced."""
    special = ("/dev/", "/proc/")
    if str(given.absolute()).startswith(special) or str(target).startswith(special):
        return True
    return target.exists() and not target.is_file()


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
