"""What the service serves: the loaded policy set and data sets, swapped whole on reload.

In: policy paths and `--data` paths. Out: a `Snapshot` (immutable: policy set, its hash, the
policies' metadata, the data sets by name). `Holder.reload` compiles and loads everything anew
and replaces the snapshot with one assignment, so a request sees either the old set or the new
one, never a mixture; a reload that fails keeps the old snapshot and reports why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from policydsl import api
from policydsl.diagnostics import DataError, PolicyError, render_all
from policydsl.schema import Dataset


@attrs.frozen(kw_only=True)
class Snapshot:
    policies: api.PolicySet
    policy_set_hash: str  # sha256 over every source file's path and text
    datasets: Mapping[str, Dataset]
    dataset_hashes: Mapping[str, str]  # sha256 over each data set's files (names and bytes)
    loaded_at: str

    def policy_list(self) -> list[dict]:
        out = []
        for name, policy in sorted(self.policies.program.policies.items()):
            files = sorted(p for p in self.policies.sources if _policy_of(self.policies, p) == name)
            out.append({
                "id": name, "title": policy.title, "document": policy.document, "issuer": policy.issuer,
                "issued": _iso(policy.issued), "in_force_from": _iso(policy.in_force_from),
                "in_force_until": _iso(policy.in_force_until), "supersedes": list(policy.supersedes),
                "files": files or [policy.path],
                "rules": sum(1 for r in self.policies.program.rules if r.policy == name),
            })
        return out

    def document_list(self) -> list[dict]:
        """The documents known only by reference: number (or title), dates the corpus gives (a
        year alone as "2011"; null when not given), repeal, and the policy whose files declare it."""
        program = self.policies.program
        return [{"document": number, "title": doc.title, "issuer": doc.issuer, "issued": _iso(doc.issued),
                 "in_force_from": _iso(doc.in_force_from), "in_force_until": _iso(doc.in_force_until),
                 "repealed_on": _iso(doc.repealed_on), "repealed_by": doc.repealed_by, "cited_in": doc.reference_in}
                for number, doc in sorted(program.documents.items())]


def _iso(day: dt.date | int | None) -> str | None:
    """A date as ISO text; a year alone (a document known only by the year of its number) as "2011"."""
    if isinstance(day, int):
        return str(day)
    return day.isoformat() if day else None


_POLICY_LINE = re.compile(r"^policy\s+(\S+)", re.MULTILINE)


def _policy_of(policies: api.PolicySet, path: str) -> str | None:
    """The policy a file belongs to: every file of a policy starts with `policy NAME`."""
    found = _POLICY_LINE.search(policies.sources[path].text)
    return found.group(1) if found else None


def policy_set_hash(policies: api.PolicySet) -> str:
    """A hash of the loaded policy set: the same files with the same text give the same hash."""
    digest = hashlib.sha256()
    for path in sorted(policies.sources):
        digest.update(path.encode() + b"\0" + policies.sources[path].text.encode() + b"\0")
    return "sha256:" + digest.hexdigest()


def files_hash(path: Path) -> str:
    """sha256 over a file, or over every file of a folder (relative names and bytes, sorted)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path) if file != path else file.name).encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def dataset_name(path: str) -> str:
    """A data set's name in the service: its folder or file name without suffix."""
    return Path(path).stem or Path(path).name


def load_snapshot(policy_paths: Sequence[str], data_paths: Sequence[str]) -> Snapshot:
    """Compile the policies and read the data sets; raises PolicyError or DataError."""
    policies = api.load(*policy_paths)
    datasets: dict[str, Dataset] = {}
    hashes: dict[str, str] = {}
    for path in data_paths:
        name = dataset_name(path)
        if name in datasets:
            raise DataError([f"{path}: two data sets are named `{name}`; rename one of them"])
        datasets[name] = policies.load_data(path)
        hashes[name] = files_hash(Path(path))
    return Snapshot(policies=policies, policy_set_hash=policy_set_hash(policies), datasets=datasets,
                    dataset_hashes=hashes,
                    loaded_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


class Holder:
    """The current snapshot; `reload` replaces it atomically."""

    def __init__(self, policy_paths: Sequence[str], data_paths: Sequence[str] = ()):
        self.policy_paths = tuple(policy_paths)
        self.data_paths = tuple(data_paths)
        self.current = load_snapshot(self.policy_paths, self.data_paths)
        self.reloads = 0
        self.last_reload_error: str | None = None
        self._reloading = threading.Lock()

    def reload(self) -> str | None:
        """Load everything anew and swap it in; on failure keep serving the old set and return why."""
        with self._reloading:
            try:
                fresh = load_snapshot(self.policy_paths, self.data_paths)
            except PolicyError as err:
                self.last_reload_error = render_all(err.diagnostics, err.sources)
            except DataError as err:
                self.last_reload_error = "bad data:\n" + "\n".join(f"  {p}" for p in err.problems)
            except OSError as err:
                self.last_reload_error = f"{err.strerror or err}: {getattr(err, 'filename', '') or ''}"
            else:
                self.current = fresh  # one assignment: requests see the old snapshot or the new one
                self.reloads += 1
                self.last_reload_error = None
            return self.last_reload_error
