"""No depth, size or count breaks the pipeline: deep expressions, long sums, long chains of
values in any declaration order and running totals over many periods are evaluated (on a deep
stack), and what is beyond the documented limits is a located error, never a traceback."""

from __future__ import annotations

import json

import pytest

import policydsl
from policydsl.cli import main
from policydsl.language.limits import MAX_NESTING

HEADER = """policy p
  in_force_from 1800-01-01
  in_force_until 2199-12-31
entity zone
  yearly x: integer
  quarterly q: integer
"""
SHOW = """outcome o "o" is computed with value: {type}
rule r
  implements p.1
  cite "a" "b"
  for zone
  then o = v
"""


def run(tmp_path, capsys, values: str, rows: list[dict], value_type: str = "integer", *extra: str):
    policy = tmp_path / "p.pol"
    policy.write_text(HEADER + values + SHOW.format(type=value_type), encoding="utf-8")
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"zone": rows}), encoding="utf-8")
    code = main(["eval", str(policy), "--data", str(data), "--format", "json", *extra])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else err)


def values_of(found) -> list:
    decisions = found if isinstance(found, list) else found["decisions"]
    return [d["value"] for d in decisions]


ONE = [{"id": "Z", "period": "2020", "x": 1}]


def test_ten_thousand_nested_parentheses(tmp_path, capsys):
    code, found = run(tmp_path, capsys, "value v for zone: integer = " + "(" * 10_000 + "x" + ")" * 10_000 + "\n", ONE)
    assert code == 0 and values_of(found) == [1]


def test_a_ten_thousand_term_sum(tmp_path, capsys):
    code, found = run(tmp_path, capsys, "value v for zone: integer = " + " + ".join(["x"] * 10_000) + "\n", ONE)
    assert code == 0 and values_of(found) == [10_000]


def test_five_thousand_nested_conditionals(tmp_path, capsys):
    text = "value v for zone: integer = " + "if x > 1 then 1 else " * 5_000 + "7\n"
    code, found = run(tmp_path, capsys, text, ONE)
    assert code == 0 and values_of(found) == [7]


@pytest.mark.parametrize("order", ["reads the next one down", "reads the one declared before"])
def test_a_five_thousand_value_chain_in_either_declaration_order(tmp_path, capsys, order):
    if order == "reads the next one down":
        text = "".join(f"value v{i} for zone: integer = v{i + 1} + 1\n" for i in range(5_000))
        text += "value v5000 for zone: integer = x\nvalue v for zone: integer = v0\n"
    else:
        text = "value v0 for zone: integer = x\n"
        text += "".join(f"value v{i + 1} for zone: integer = v{i} + 1\n" for i in range(5_000))
        text += "value v for zone: integer = v5000\n"
    code, found = run(tmp_path, capsys, text, ONE)
    assert code == 0 and values_of(found) == [5_001]


def test_a_running_total_over_five_hundred_periods(tmp_path, capsys):
    rows = [{"id": "Z", "period": f"{1900 + i // 4}-Q{i % 4 + 1}", "q": 1} for i in range(500)]
    text = "value v for zone: integer = if period_end = 1900-03-31 then 0 else previous(v) + q\n"
    code, found = run(tmp_path, capsys, text, rows, "integer", "--period", "2024-Q4")
    assert code == 0 and values_of(found) == [499]


def test_nesting_beyond_the_documented_limit_is_a_located_error(tmp_path):
    depth = MAX_NESTING + 10
    (tmp_path / "p.pol").write_text(HEADER + "value v for zone = " + "(" * depth + "x" + ")" * depth + "\n",
                                    encoding="utf-8")
    compiled = policydsl.compile_paths([tmp_path / "p.pol"])
    assert [d.code for d in compiled.diagnostics] == ["E117"]
    span = compiled.diagnostics[0].span
    assert span.line == 7 and span.column > 1


def test_a_long_sum_beyond_the_limit_is_a_located_error(tmp_path):
    (tmp_path / "p.pol").write_text(HEADER + "value v for zone = " + " + ".join(["x"] * (MAX_NESTING + 5)) + "\n",
                                    encoding="utf-8")
    compiled = policydsl.compile_paths([tmp_path / "p.pol"])
    assert [d.code for d in compiled.diagnostics] == ["E117"]


@pytest.mark.parametrize("executor", ["row", "columnar"])
def test_the_api_walks_deep_policies_too(tmp_path, executor):
    (tmp_path / "p.pol").write_text(HEADER + "value v for zone: integer = " + "(" * 3_000 + "x" + ")" * 3_000 + "\n"
                                    + SHOW.format(type="integer"), encoding="utf-8")
    result = policydsl.load(tmp_path / "p.pol").evaluate({"zone": ONE}, executor=executor)
    assert [d.value for d in result.decisions] == [1]
    assert "v" in policydsl.explanation_text(result.explain("Z", "o", "2020"))
    (tmp_path / "p.pol").write_text(HEADER + "value v for zone: integer = " + " + ".join(["x"] * 3_000) + "\n"
                                    + SHOW.format(type="integer"), encoding="utf-8")
    result = policydsl.load(tmp_path / "p.pol").evaluate({"zone": ONE}, executor=executor)  # lowered deep
    assert [d.value for d in result.decisions] == [3_000]


def test_the_deep_stack_raises_the_recursion_limit_only_while_it_runs():
    import sys
    import threading

    from policydsl.language.limits import run_deep

    before = sys.getrecursionlimit()
    inside = run_deep(sys.getrecursionlimit)
    assert inside > before
    assert sys.getrecursionlimit() == before  # an embedding program keeps its own limit

    # two deep calls at once: the limit stays up until the last one ends
    started, release = threading.Event(), threading.Event()
    seen = []

    def slow() -> int:
        started.set()
        release.wait(timeout=60)
        return sys.getrecursionlimit()

    waiting = threading.Thread(target=lambda: seen.append(run_deep(slow)))
    waiting.start()
    started.wait(timeout=60)
    assert run_deep(sys.getrecursionlimit) == inside
    assert sys.getrecursionlimit() == inside  # the slow call still runs
    release.set()
    waiting.join(timeout=60)
    assert seen == [inside]
    assert sys.getrecursionlimit() == before
