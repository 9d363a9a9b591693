"""Data sets uploaded through the service (the analysts' page): read by the loader `--data` uses.

In: uploaded files — a JSON file in the `--data` shape, tables named `<kind>.csv|.json|.xlsx|.parquet`
(one or several, as a folder of long tables), or a `.zip` of such tables. Out: a `Dataset` kept under
a name (`upload-` and the start of its hash) for later `evaluate`/`explain` requests with
`{"dataset": NAME}`. The files are written to a temporary folder and read with
`PolicySet.load_data`, so an upload is accepted and refused exactly as the command line would
accept or refuse the same files, with the same located messages (the temporary folder left out of
them). The store keeps the most recent uploads only and forgets them when the policies are reloaded.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import threading
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import attrs

from policydsl.diagnostics import DataError
from policydsl.schema import Dataset

TABLE_SUFFIXES = (".csv", ".json", ".xlsx", ".parquet")
MAX_UPLOADS = 8  # data sets kept; the oldest is forgotten first
MAX_UNZIPPED = 512 * 1024 * 1024  # bytes a zip may expand to
MAX_FILES = 200


class UploadError(Exception):
    """The upload is not something the loader could be given (400), before any data is read."""


@attrs.frozen(kw_only=True)
class Upload:
    name: str
    hash: str
    files: tuple[str, ...]
    dataset: Dataset
    policy_set: str  # the policy-set hash the data was read against


def upload_hash(files: Sequence[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in sorted(files):
        digest.update(name.encode() + b"\0" + content + b"\0")
    return "sha256:" + digest.hexdigest()


def _safe_name(name: str) -> str:
    """The file's own name, without any folder (a browser may send `folder/enterprise.csv`)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base or base in (".", "..") or base.startswith("."):
        raise UploadError(f"`{name}` is not a file name the data loader reads")
    if "\x00" in base or len(base.encode("utf-8")) > 255:  # no file system takes it
        raise UploadError(f"`{name[:80]}` is not a file name the data loader reads (a NUL, or over 255 bytes)")
    return base


def _unzipped(name: str, content: bytes) -> list[tuple[str, bytes]]:
    """The tables of a zip: every file inside it, by its own name (folders flattened); hidden files
    and macOS resource forks skipped; bounded in count and in expanded size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise UploadError(f"{name}: not a zip archive") from None
    climbing = [m.filename for m in archive.infolist() if ".." in PurePosixPath(m.filename).parts]
    if climbing:  # a member outside the archive's own folder: refused, never skipped without a word
        raise UploadError(f"{name}: `{climbing[0]}` reaches outside the archive (`..`); pack the tables without it")
    members = [m for m in archive.infolist() if not m.is_dir()
               and not any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(m.filename).parts)]
    if len(members) > MAX_FILES:
        raise UploadError(f"{name}: {len(members)} files; at most {MAX_FILES} are read")
    if sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise UploadError(f"{name}: expands to more than {MAX_UNZIPPED // (1024 * 1024)} MB")
    out = []
    for member in members:
        try:
            with archive.open(member) as stream:
                data = stream.read(member.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError) as err:  # a damaged member (CRC, truncated)
            raise UploadError(f"{name}: `{member.filename}` cannot be unpacked: {err}") from None
        except (NotImplementedError, RuntimeError) as err:  # an unknown compression, a password
            raise UploadError(f"{name}: `{member.filename}` cannot be unpacked ({err})") from None
        if len(data) > member.file_size:  # a size the archive understated
            raise UploadError(f"{name}: `{member.filename}` is larger than the archive says")
        out.append((f"{name}/{member.filename}", data))
    if not out:
        raise UploadError(f"{name}: the archive holds no files")
    return out


def tables_of(files: Sequence[tuple[str, bytes]]) -> tuple[list[tuple[str, bytes]], bool]:
    """The files to give the loader, and whether they are one JSON file in the `--data` shape (read
    as a file) rather than tables per kind (read as a folder). Zips are opened."""
    if not files:
        raise UploadError("no file was uploaded (send one or more files as `file`)")
    if len(files) > MAX_FILES:
        raise UploadError(f"{len(files)} files; at most {MAX_FILES} are read")
    flat: list[tuple[str, bytes]] = []
    for name, content in files:
        if name.lower().endswith(".zip"):
            flat.extend(_unzipped(_safe_name(name), content))
        else:
            flat.append((name, content))
    named = [(_safe_name(name), content, name) for name, content in flat]
    seen: dict[str, str] = {}
    for base, _, original in named:
        if base.lower() in seen:
            raise UploadError(f"two files are named `{base}` ({seen[base.lower()]}, {original}); "
                              "a data folder holds one table per name")
        seen[base.lower()] = original
    if len(named) == 1 and named[0][0].lower().endswith(".json"):
        return [(named[0][0], named[0][1])], True
    return [(base, content) for base, content, _ in named], False


def _without_folder(text: str, folder: str) -> str:
    """A message about a file of the upload names the file; one about the whole folder, the upload."""
    return re.sub(re.escape(folder) + r"(?:[/\\](?=\S)|(?=\W|$))", lambda m: "" if len(m.group(0)) > len(folder)
                  else "the upload", text)


def load_upload(policies, files: Sequence[tuple[str, bytes]]) -> Dataset:
    """Read uploaded files with the loader of `--data`; DataError (located, without the temporary
    folder's path) or UploadError when they cannot be read."""
    tables, single_json = tables_of(files)
    if single_json and PurePosixPath(tables[0][0]).stem in policies.program.entities:
        single_json = False  # `enterprise.json`: one kind's rows, a table of a data folder
    with tempfile.TemporaryDirectory(prefix="policydsl-upload-") as folder:
        for name, content in tables:
            (Path(folder) / name).write_bytes(content)
        target = Path(folder) / tables[0][0] if single_json else Path(folder)
        try:
            dataset = policies.load_data(target)
        except DataError as err:
            raise DataError([_without_folder(p, folder) for p in err.problems],
                            issues=_located(err.issues, folder), warnings=_located(err.warnings, folder)) from None
        return attrs.evolve(dataset, warnings=_located(dataset.warnings, folder))


def _located(issues: Sequence, folder: str) -> tuple:
    """Issues named by the uploaded file rather than by its place in the temporary folder."""
    return tuple(attrs.evolve(i, source=_without_folder(i.source, folder))
                 if attrs.has(type(i)) and isinstance(getattr(i, "source", None), str) else i for i in issues)


class Uploads:
    """The uploaded data sets, newest last; at most `limit`, each tied to the policy set it was read for."""

    def __init__(self, limit: int = MAX_UPLOADS):
        self.limit = limit
        self._sets: OrderedDict[str, Upload] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, upload: Upload) -> None:
        with self._lock:
            self._sets.pop(upload.name, None)
            self._sets[upload.name] = upload
            while len(self._sets) > self.limit:
                self._sets.popitem(last=False)

    def get(self, name: str) -> Upload | None:
        with self._lock:
            return self._sets.get(name)

    def names(self) -> list[str]:
        with self._lock:
            return list(self._sets)
