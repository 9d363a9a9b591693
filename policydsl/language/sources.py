"""Stage 2, build: which files are read. Paths in, `.pol` files and their texts out.

Folders are expanded into their `.pol` files; a file is read as UTF-8 (a BOM skipped, CRLF and
lone CR line ends as LF, NFC normalised; otherwise E002 at its first bad byte); an `import` may read only `.pol` files inside
the folders being loaded or the shipped schema (E003, E004), checked before anything is read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

from policydsl.diagnostics import Diagnostic, SourceFile, Span, error
from policydsl.language import ast


def policy_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand folders into their `.pol` files (sorted), keeping the order of the arguments."""
    files: list[Path] = []
    diagnostics: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        where = Span(path=str(raw), line=0, column=0, end_line=0, end_column=0)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.pol") if p.is_file())
            if not found:
                diagnostics.append(error("E001", f"no .pol files in folder `{raw}`", where))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            diagnostics.append(error("E001", f"no such policy file or folder: `{raw}`", where))
    return files, diagnostics


def read_source(path: Path) -> tuple[SourceFile | None, Diagnostic | None]:
    where = Span(path=str(path), line=0, column=0, end_line=0, end_column=0)
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, error("E002", f"cannot read `{path}`: {err.strerror}", where)
    return decode_source(path, data)


def decode_source(path: Path, data: bytes) -> tuple[SourceFile | None, Diagnostic | None]:
    """A policy's bytes as its text: UTF-8, a BOM skipped, line ends as `\\n` (CRLF, or a lone CR
    as old Mac editors wrote: else the whole file would be one line), NFC; E002 where a byte is
    not UTF-8."""
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark at the start is no character of the policy
    except UnicodeDecodeError as err:
        return None, _not_utf8(path, data, err)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceFile(path=str(path), text=unicodedata.normalize("NFC", text)), None


def _not_utf8(path: Path, data: bytes, err: UnicodeDecodeError) -> Diagnostic:
    """E002 at the line and column (1-based, in characters) of the first byte that is not UTF-8."""
    line_start = data.rfind(b"\n", 0, err.start) + 1
    line = data.count(b"\n", 0, err.start) + 1
    column = len(data[line_start:err.start].decode("utf-8", errors="replace")) + 1
    line_end = data.find(b"\n", err.start)
    shown = data[line_start:line_end if line_end >= 0 else len(data)].decode("utf-8", errors="replace")
    span = Span(path=str(path), line=line, column=column, end_line=line, end_column=column + 1)
    hint = "save the file as UTF-8"
    try:
        data.decode("gb18030")
        hint = "the file looks like GB18030 (GBK); save it as UTF-8"
    except UnicodeDecodeError:
        pass
    return error("E002", f"`{path.name}` is not UTF-8 text: byte 0x{data[err.start]:02X} at line {line}, "
                 f"column {column} ({err.reason}); the line reads `{shown[:60]}`", span, hint=hint)



def shipped_schema() -> Path:
    """The schema the shipped policies import (`policies/schema/` beside the package)."""
    return Path(__file__).resolve().parents[2] / "policies" / "schema"


def import_roots(paths: Iterable[str | Path]) -> tuple[Path, ...]:
    """The folders an `import` may read from: each folder named, the folder of each file named,
    and the shipped schema."""
    roots = []
    for raw in paths:
        path = Path(raw)
        roots.append((path if path.is_dir() else path.parent).resolve())
    return tuple(roots) + (shipped_schema(),)


def import_target(importer: Path, declaration: ast.ImportDecl,
                  roots: tuple[Path, ...]) -> tuple[Path | None, Diagnostic | None]:
    """The file an `import` names, or the reason it may not be read.

    Nothing is read before the checks pass, so a refused import echoes nothing of its file: an
    import names a `.pol` file (a regular file, not a folder or a device) inside the folders
    being loaded or the shipped schema, symbolic links resolved."""
    written = declaration.path
    target = importer.parent / written
    resolved = target.resolve()
    if not any(resolved == root or root in resolved.parents for root in roots):
        return None, error("E004", f"`import \"{written}\"` reaches outside the folders being loaded",
                           declaration.span,
                           hint="an import reads only .pol files inside the folders (or beside the files) named "
                                "on the command line, and the shipped schema; load a folder that holds both files")
    if resolved.suffix != ".pol":
        return None, error("E004", f"`import \"{written}\"` does not name a policy file", declaration.span,
                           hint="an import names a `.pol` file")
    if not resolved.exists():
        return None, error("E003", f"imported file `{written}` not found", declaration.span,
                           hint=f"paths are relative to `{importer.parent}`")
    if not resolved.is_file():
        what = "a folder" if resolved.is_dir() else "not a regular file"
        return None, error("E004", f"`import \"{written}\"` names {what}", declaration.span,
                           hint="an import names a `.pol` file")
    return target, None
