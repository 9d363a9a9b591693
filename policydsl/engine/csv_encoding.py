"""Which encoding a CSV file is read in, and where a file stops being text in it.

In: a CSV file's path. Out: the encoding to read it in when none is given (`csv_encoding`: UTF-8,
a BOM skipped, or GB18030, the encoding Chinese government spreadsheets export), or, when none
fits, a `DataIssue` naming the first byte that is not text: its row (as a person counts them: the
header is row 1), its column and the byte (`undecodable_byte`, which the CSV reader also uses when
a byte of a file read in a given encoding is not text).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable
from pathlib import Path

import attrs

from policydsl.schema import DataIssue

Report = Callable[[DataIssue], None]
_CHUNK = 1 << 20
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # a byte that is not text, as "surrogateescape" keeps it
# A file is taken for UTF-8 with stray bytes, not for GB18030, when its UTF-8 reading holds at
# least this many characters of 3 or 4 bytes (every Chinese character and punctuation mark is one)
# per byte that is not UTF-8. GB18030 text read as UTF-8 makes such characters only by chance: in
# Chinese text from this repository's policies, cut at random into CSV files of 1 to 200 rows,
# never more than 1 per undecodable byte (300,000 files); in random GB18030 characters at most 2.
# UTF-8 with a byte pasted from another file has tens or thousands per stray byte. A file misjudged
# this way is refused with the way out (`--encoding gb18030`), never read as mojibake.
_WIDE_PER_STRAY_BYTE = 2


@attrs.frozen(kw_only=True)
class Undecodable:
    """The first byte of a CSV file that is not text in its encoding, located as a person finds it."""

    row: int  # the line of the record holding it (the header is row 1)
    cell: int  # 1-based position of its cell in the record
    column: str | None  # that cell's header (None in the header itself, or past its last column)
    character: int  # 1-based position of the byte in its cell, in characters
    byte: int

    def where(self) -> str:
        """`byte 0xB7 (character 3 of the cell)`: the row and column go to the `DataIssue`."""
        cell = "the cell" if self.column is not None else \
            f"header cell {self.cell}" if self.row == 1 else f"cell {self.cell}"
        return f"byte 0x{self.byte:02X} (character {self.character} of {cell})"


def csv_encoding(path: Path, report: Report) -> str | None:
    """The encoding to read a CSV file in when none is given: UTF-8 (a BOM is skipped) if the whole
    file is UTF-8, else GB18030 if it decodes as that, else None after reporting the first byte
    that is not UTF-8. A file that is UTF-8 but for a few stray bytes (text pasted from a file in
    another encoding) is refused, naming the first of them: it may well decode as GB18030 too,
    but read so every Chinese text in it is mojibake (东区 as 涓滃尯)."""
    if _decodes(path, "utf-8-sig"):
        return "utf-8-sig"
    wide, stray = _utf8_census(path)
    mostly_utf8 = wide >= _WIDE_PER_STRAY_BYTE * stray
    if not mostly_utf8 and _decodes(path, "gb18030"):
        return "gb18030"
    first = undecodable_byte(path, "utf-8-sig")
    where = {} if first is None else {"row": first.row, "column": first.column}
    byte = "a byte" if first is None else first.where()
    if mostly_utf8:
        others = f" and {stray - 1} more" if stray > 1 else ""
        report(DataIssue(source=str(path), **where,
                         message=f"{byte} is not UTF-8: the file is UTF-8 except for this byte{others}",
                         hint=f"fix {'them' if others else 'it'} or give --encoding"))
    else:
        report(DataIssue(source=str(path), **where, message=f"{byte} is not UTF-8 text, and the file is not "
                         "GB18030 text either", hint="give the file's encoding with --encoding"))
    return None


def undecodable_byte(path: Path, encoding: str) -> Undecodable | None:
    """The first byte of the file that is not `encoding` text, found by reading it as the CSV
    reader does but keeping each such byte as a lone surrogate ("surrogateescape"): Python decodes
    a file ahead of the reader, a chunk at a time, so the reader's own error names no row. None
    when it cannot be found so (a byte under 0x80 that is not text, as in UTF-16; a CSV error first)."""
    try:
        with path.open(encoding=encoding, errors="surrogateescape", newline="") as handle:
            reader = csv.reader(handle)
            header: list[str] | None = None
            for cells in reader:
                if not _ESCAPED_BYTE.search("".join(cells)):
                    header = cells if header is None else header
                    continue
                index, found = next((i, m) for i, m in enumerate(map(_ESCAPED_BYTE.search, cells)) if m)
                column = header[index].strip() if header is not None and index < len(header) else None
                return Undecodable(row=reader.line_num, cell=index + 1, column=column,
                                   character=found.start() + 1, byte=ord(found.group()) - 0xDC00)
    except (UnicodeError, csv.Error, OSError):
        return None
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_census(path: Path) -> tuple[int, int]:
    """(characters of 3 or 4 bytes, bytes that are not UTF-8) in the file read as UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("ignore")
    wide = kept = read = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            read += len(chunk)
            kept += len(text.encode("utf-8"))
            wide += _wide_characters(text)
            if not chunk:
                return wide, read - kept


def _wide_characters(text: str) -> int:
    """How many characters of `text` UTF-8 writes in 3 or 4 bytes, counted by encoders (a regular
    expression takes ten times as long). With n1..n4 the characters of 1..4 UTF-8 bytes: UTF-8
    takes n1 + 2 n2 + 3 n3 + 4 n4 bytes, ASCII (others left out) n1, UTF-16 n1 + n2 + n3 + 2 n4
    units, and there are n1 + n2 + n3 + n4 characters; so n3 + n4 = UTF-8 + ASCII - characters - UTF-16."""
    if text.isascii():
        return 0
    return (len(text.encode("utf-8")) + len(text.encode("ascii", "ignore")) - len(text)
            - len(text.encode("utf-16-le")) // 2)
