"""Stage 1 support: the built Lark parser kept between processes, in a private folder.

Building the LALR tables from `grammar/policy.lark` costs about 0.1 CPU s, every process (each
`policydsl` command, each service start, each test worker); loading the built tables costs about
a tenth of that. Lark's own `cache=True` writes to the shared temporary folder, where another
user could plant a file that `pickle` would then load, so it is not used. Instead:

- the folder is `$XDG_CACHE_HOME/policydsl` (else `~/.cache/policydsl`), created with mode 0700,
  and used only when it is a real directory (not a link) owned by this user that nobody else may
  write; the file must be owned by this user too;
- the file's name carries a hash of the grammar text, the parser options, lark's version and
  Python's, so a changed grammar or an upgraded lark never reads tables built for another;
- it is written to a temporary file in the same folder and renamed into place, so a reader
  never sees half a file; a file that cannot be read (damaged, foreign) is ignored and the
  parser is built as without a cache, as it is whenever the folder cannot be used.

In: grammar text and Lark options; out: a `lark.Lark`, the same as `lark.Lark(text, **options)`.
`POLICYDSL_NO_PARSER_CACHE=1` turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path

import lark


def cache_folder() -> Path | None:
    """The private folder for built parsers, or None when there is no safe one."""
    if os.environ.get("POLICYDSL_NO_PARSER_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None  # `~` unknown, or a relative setting: nowhere private to put it
    folder = Path(base) / "policydsl"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    return folder if _private(info, directory=True) else None


def _private(info: os.stat_result, *, directory: bool) -> bool:
    """Owned by this user, writable by no one else, and of the expected type (a link is neither)."""
    right_type = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    uid = getattr(os, "getuid", None)
    owned = uid is None or info.st_uid == uid()
    return right_type and owned and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def cache_name(text: str, options: dict) -> str:
    """The file name of the tables built from `text` with `options` by this lark and Python."""
    key = "\0".join([text, repr(sorted(options.items())), lark.__version__,
                     ".".join(map(str, sys.version_info[:3]))])
    return f"parser-lark{lark.__version__}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}.bin"


def cached_parser(text: str, folder: Path | None = None, **options) -> lark.Lark:
    """`lark.Lark(text, **options)`, its tables loaded from the private folder when they were
    built before, else built (and saved there for the next process)."""
    folder = cache_folder() if folder is None else folder
    if folder is None:
        return lark.Lark(text, cache=False, **options)
    path = folder / cache_name(text, options)
    try:
        with open(path, "rb") as stream:
            if _private(os.fstat(stream.fileno()), directory=False):
                return lark.Lark.load(stream)
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001  (a damaged or foreign file: built anew below, and replaced)
        pass
    built = lark.Lark(text, cache=False, **options)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".parser-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                built.save(stream)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass  # a full or read-only disk: the next process builds it again
    return built
