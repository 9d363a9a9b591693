"""The README's Python example runs as written (in a fresh interpreter, from the repository root)."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def python_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_python_example_runs_without_error(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(python_example(), encoding="utf-8")
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT,
                               env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stdout.splitlines()
    assert len([line for line in lines if line.count(" ") == 3]) >= 5  # five decisions printed
    assert "zone_criticised_rank_drop" in completed.stdout or "Z01" in completed.stdout
