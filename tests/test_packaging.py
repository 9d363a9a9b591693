"""The grammar ships inside the wheel, and an installed wheel loads it without the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_contains_the_grammar_and_loads_it_outside_the_checkout(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(ROOT)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("policydsl-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert "policydsl/grammar/policy.lark" in archive.namelist()
        archive.extractall(tmp_path / "site")
    policy = tmp_path / "p.pol"
    policy.write_text('policy p\nentity e\n  yearly x: integer\noutcome o "结果" is measure\n'
                      'rule r\n  implements p.1\n  cite "一"\n  for e\n  when x > 1\n  then o\n', encoding="utf-8")
    # Run from an empty folder with only the unpacked wheel on the path: no checkout to fall back on.
    script = ("import sys, policydsl, policydsl.language.syntax as s; "
              "assert 'site' in s.__file__, s.__file__; "
              f"print(len(policydsl.load({str(policy)!r}).program.rules))")
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                               env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""})
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "1"
