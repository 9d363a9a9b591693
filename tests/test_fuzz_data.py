"""A bounded fuzz of the data stage through the command line: generated CSV, JSON and xlsx files.

Whatever the file holds — odd headers, labels, duplicates, unknown kinds, numbers with separators,
Infinity, huge or tiny numbers, impossible dates, formulas, percent formats, binary bytes — `eval`
must end with an exit code of the README's table for input (0 ok, 2 input error), never 3 (an
internal error) and never a traceback. The profile is pinned (derandomized, fixed example counts)
so the run is the same each time and short.
"""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydsl import cli

POLICY = Path(__file__).parent / "fixtures" / "fuzz_policy.pol"
def pinned(examples: int) -> settings:
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

FACTS = ["id", "period", "zone", "所在区", "opened", "投产日期", "score", "得分", "staff", "tax", "growth", "增速",
         "listed", "performance_class", "quarter_rank"]
HEADERS = st.sampled_from(FACTS) | st.sampled_from(["scroe", "Score", " score ", "", "id ", "备注"]) | st.text(max_size=6)
CELL_TEXT = st.sampled_from([
    "", " ", "E1", "E2", "Z1", "Z2", "2019", "2020", "2019-Q3", "0000", "9999-Q4", "2019Q1", "1,5", "1，5", "1 500",
    "1_000", "12.5%", "50%", "-3", "0.1", "1e3", "1e99999", "Infinity", "-inf", "NaN", "nan", "1" * 50,
    "2015-03-01", "0001-01-01", "9999-12-31", "2019-02-30", "是", "否", "true", "maybe", "A", "D", "E", "=1+1",
    "\x00", "\ufeffid", "開封市", "所在区"]) | st.text(max_size=8)


@functools.lru_cache(maxsize=4)
def _compiled(paths: tuple[str, ...]):
    return cli.api.compile_paths(paths)


def cached_compile():
    """The policy is fixed; compiling it once keeps the fuzz on the data stage."""
    return mock.patch.object(cli, "_compile", lambda paths: _compiled(tuple(paths)))


def run_eval(data: Path, *extra: str) -> int:
    with cached_compile(), mock.patch("sys.stdout"), mock.patch("sys.stderr") as stderr:
        code = cli.main(["eval", str(POLICY), "--data", str(data), "--format", "json", *extra])
    written = "".join(str(call.args[0]) for call in stderr.write.call_args_list if call.args)
    assert "Traceback" not in written
    return code


@pinned(25)
@given(header=st.lists(HEADERS, min_size=0, max_size=8), rows=st.lists(st.lists(CELL_TEXT, max_size=9), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), name=st.sampled_from(
           ["enterprise.csv", "enterprises.csv", "enterprise.old.csv", "Enterprise.CSV"]),
       strict=st.booleans())
def test_generated_csv_files_end_in_a_table_exit_code(header, rows, encoding, name, strict):
    text = "\n".join(",".join(json.dumps(c, ensure_ascii=False) if "," in c or '"' in c else c for c in line)
                     for line in [header, *rows])
    with tempfile.TemporaryDirectory() as folder:
        try:
            content = text.encode(encoding)
        except UnicodeEncodeError:
            content = text.encode("utf-8")
        (Path(folder) / name).write_bytes(content)
        assert run_eval(Path(folder), *(["--strict"] if strict else [])) in (0, 2)


JSON_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-10 ** 60, max_value=10 ** 60)
                | st.floats(allow_nan=False, allow_infinity=False) | CELL_TEXT)
JSON_ROW = st.dictionaries(HEADERS, JSON_SCALARS | st.lists(JSON_SCALARS, max_size=2), max_size=8)
JSON_DATA = st.one_of(
    st.dictionaries(st.sampled_from(["enterprise", "enterprises", "firms", ""]),
                    st.lists(JSON_ROW | JSON_SCALARS, max_size=5) | JSON_SCALARS, max_size=3),
    st.lists(JSON_ROW, max_size=3), JSON_SCALARS)


@pinned(25)
@given(data=JSON_DATA, literal=st.sampled_from(["", "NaN", "Infinity", "-Infinity", "1e999", "1" * 5000]),
       duplicate=st.booleans(), cut=st.integers(min_value=0, max_value=3))
def test_generated_json_files_end_in_a_table_exit_code(data, literal, duplicate, cut):
    text = json.dumps(data, ensure_ascii=False)
    if literal and text.startswith("{") and text.endswith("]}"):
        text = text[:-2] + (", " if text[-3] != "[" else "") + '{"id": "E9", "period": "2019", "score": ' + \
            literal + "}]}"
    if duplicate and text.startswith("{") and len(text) > 2:
        text = '{"enterprise": [], ' + text[1:]
    text = text[:len(text) - cut] if cut and len(text) > cut else text  # sometimes broken JSON
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.json"
        path.write_text(text, encoding="utf-8")
        assert run_eval(path) in (0, 2)
        (Path(folder) / "enterprise.json").write_text(text, encoding="utf-8")
        path.unlink()
        assert run_eval(Path(folder)) in (0, 2)


XLSX_CELL = (st.none() | st.booleans() | st.integers(min_value=-10 ** 18, max_value=10 ** 18)
             | st.floats(allow_nan=False, allow_infinity=False, width=32) | CELL_TEXT
             | st.dates().map(lambda d: d))


@pinned(10)
@given(header=st.lists(HEADERS, min_size=1, max_size=6), rows=st.lists(st.lists(XLSX_CELL, max_size=7), max_size=4),
       percent_columns=st.sets(st.integers(min_value=1, max_value=7), max_size=3))
def test_generated_xlsx_files_end_in_a_table_exit_code(header, rows, percent_columns):
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = openpyxl.Workbook()
    sheet = book.active
    for line in [header, *rows]:
        try:
            sheet.append([c.replace("\x00", "") if isinstance(c, str) else c for c in line])
        except (ValueError, TypeError, IllegalCharacterError):  # openpyxl refuses them: no such workbook exists
            continue
    for column in percent_columns:
        for row in range(2, len(rows) + 2):
            sheet.cell(row=row, column=column).number_format = "0.0%"
    with tempfile.TemporaryDirectory() as folder:
        try:
            book.save(Path(folder) / "enterprise.xlsx")
        except (ValueError, TypeError):
            return
        assert run_eval(Path(folder)) in (0, 2)


def test_binary_and_truncated_files_are_input_errors():
    with tempfile.TemporaryDirectory() as folder:
        for name, content in [("enterprise.csv", bytes(range(256)) * 8), ("enterprise.xlsx", b"PK\x03\x04garbage"),
                              ("enterprise.json", b"\xff\xfe{"), ("enterprise.parquet", b"PAR1")]:
            path = Path(folder) / name
            path.write_bytes(content)
            assert run_eval(Path(folder)) == 2
            path.unlink()
