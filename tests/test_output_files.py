"""Files the commands write are written whole or not at all (`policydsl/output_files.py`): a
failure part way — a full disk, a quota — leaves the old file as it was and no temporary file,
and the command says which file it could not write (exit 2), never a traceback."""

from __future__ import annotations

import errno
import os
import resource
import stat
import subprocess
import sys

import pytest
from conftest import ROOT

from policydsl import output_files

POLICIES, PROVINCE = ROOT / "policies", ROOT / "examples" / "province"


def test_a_write_that_fails_part_way_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("OLD", encoding="utf-8")

    def failing(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write("half of the new")
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(OSError) as raised:
        output_files.write_with(target, failing)
    assert raised.value.filename == str(target) and "No space left on device" in str(raised.value)
    assert target.read_text(encoding="utf-8") == "OLD" and os.listdir(tmp_path) == ["out.json"]


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umasks(tmp_path):
    old = tmp_path / "policy.pol"
    old.write_text("x", encoding="utf-8")
    old.chmod(0o640)
    output_files.write_text(old, "y")
    assert old.read_text(encoding="utf-8") == "y" and stat.S_IMODE(old.stat().st_mode) == 0o640
    new = tmp_path / "new.txt"
    output_files.write_text(new, "z")
    umask = os.umask(0o22)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask


def test_a_path_that_is_not_a_regular_file_is_written_as_it_is():
    output_files.write_text("/dev/null", "nothing")  # replacing it would make /dev/null a file
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def _with_file_size_limit(args: list[str], cwd, limit: int = 8192) -> subprocess.CompletedProcess:
    """A command run as `ulimit -f` would run it: a file written past `limit` bytes fails (EFBIG)."""
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([sys.executable, "-m", "policydsl", *args], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=limited, timeout=300)


@pytest.mark.parametrize("output_format", ["json", "xlsx"])
def test_eval_into_a_full_disk_keeps_the_old_output_and_names_the_file(tmp_path, output_format):
    target = tmp_path / f"decisions.{output_format}"
    target.write_bytes(b"OLD")
    done = _with_file_size_limit(["eval", str(POLICIES), "--data", str(PROVINCE), "--period", "2016",
                                  "--format", output_format, "-o", str(target)], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"error: cannot write (File too large): {target}"]
    assert target.read_bytes() == b"OLD" and sorted(os.listdir(tmp_path)) == [target.name]


def test_fmt_on_a_full_disk_leaves_the_policy_as_it_was(tmp_path):
    source = (POLICIES / "kaifeng2014" / "targets.pol").read_text(encoding="utf-8")
    unformatted = source.replace("  cite ", "  cite  ", 1)
    assert unformatted != source and len(unformatted.encode()) > 8192
    policy = tmp_path / "targets.pol"
    policy.write_text(unformatted, encoding="utf-8")
    done = _with_file_size_limit(["fmt", str(policy)], tmp_path)
    assert done.returncode == 2 and f"cannot write (File too large): {policy}" in done.stderr
    assert "Traceback" not in done.stderr
    assert policy.read_text(encoding="utf-8") == unformatted and os.listdir(tmp_path) == ["targets.pol"]


@pytest.mark.parametrize("command", [["eval", "--data", str(PROVINCE)], ["graph"], ["facts"]])
def test_an_empty_output_name_is_a_usage_error_not_standard_output(command, capsys):
    from policydsl.cli import main

    with pytest.raises(SystemExit) as raised:
        main([command[0], str(POLICIES), *command[1:], "-o", ""])
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert "an empty file name" in captured.err and captured.out == ""


def test_a_symbolic_link_is_written_through_and_kept(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "out.json").write_text("OLD", encoding="utf-8")
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "real" / "out.json")
    output_files.write_text(link, "NEW")
    assert link.is_symlink() and (tmp_path / "real" / "out.json").read_text(encoding="utf-8") == "NEW"
    assert sorted(os.listdir(tmp_path / "real")) == ["out.json"]


def test_dev_stdout_writes_into_what_the_shell_redirected(tmp_path):
    """`-o /dev/stdout > file`: /dev/stdout links to /proc/self/fd/1, which names the shell's file;
    replacing it would leave the redirected file empty (and, as root, replace /dev/stdout)."""
    redirected = tmp_path / "redirected.json"
    with open(redirected, "w", encoding="utf-8") as handle:
        done = subprocess.run([sys.executable, "-m", "policydsl", "eval", str(POLICIES), "--data", str(PROVINCE),
                               "--period", "2016", "--format", "json", "-o", "/dev/stdout"], stdout=handle,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert redirected.read_text(encoding="utf-8").startswith('{\n  "decisions"')
    assert os.path.islink("/dev/stdout")


def test_fmt_formats_the_file_a_symbolic_link_names(tmp_path, capsys):
    from policydsl.cli import main

    (tmp_path / "shared").mkdir()
    shared = tmp_path / "shared" / "x.pol"
    shared.write_text('policy x\n  title "t"\n    in_force_from 2015-01-01\n', encoding="utf-8")
    link = tmp_path / "x.pol"
    link.symlink_to(shared)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink() and shared.read_text(encoding="utf-8") == 'policy x\n  title "t"\n  in_force_from 2015-01-01\n'
