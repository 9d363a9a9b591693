"""`import` reads only policy files: inside the folders being loaded (or beside the files named)
and the shipped schema; anything else is a located error that echoes nothing of the file."""

from __future__ import annotations

import os

import pytest

import policydsl
from policydsl.diagnostics import render_all

SECRET = "top-secret-first-line"


def check(tmp_path, imports: str, *, load=None):
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "main.pol").write_text(f'{imports}\npolicy p\n', encoding="utf-8")
    compiled = policydsl.compile_paths([load or folder])
    return compiled, render_all(compiled.diagnostics, compiled.sources)


@pytest.fixture
def outside(tmp_path):
    secret = tmp_path / "outside" / "secret.pol"
    secret.parent.mkdir()
    secret.write_text(f"{SECRET}\n", encoding="utf-8")
    return secret


def test_an_absolute_path_outside_the_loaded_folders_is_refused_without_reading_it(tmp_path):
    compiled, text = check(tmp_path, 'import "/etc/passwd"')
    assert [d.code for d in compiled.diagnostics] == ["E004"]
    assert "root:" not in text and compiled.diagnostics[0].span.line == 1


def test_a_relative_path_that_climbs_out_is_refused(tmp_path, outside):
    compiled, text = check(tmp_path, 'import "../outside/secret.pol"')
    assert [d.code for d in compiled.diagnostics] == ["E004"] and SECRET not in text


def test_a_symbolic_link_inside_that_points_outside_is_refused(tmp_path, outside):
    (tmp_path / "policies").mkdir()
    os.symlink(outside, tmp_path / "policies" / "linked.pol")
    # (the link is itself a .pol file of the folder, which loading the folder would read: name the file)
    compiled, text = check(tmp_path, 'import "linked.pol"', load=tmp_path / "policies" / "main.pol")
    assert [d.code for d in compiled.diagnostics] == ["E004"] and SECRET not in text


@pytest.mark.parametrize("name", ["notes.txt", "data.csv"])
def test_a_file_that_is_not_a_policy_is_refused(tmp_path, name):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / name).write_text(f"{SECRET}\n", encoding="utf-8")
    compiled, text = check(tmp_path, f'import "{name}"')
    assert [d.code for d in compiled.diagnostics] == ["E004"] and SECRET not in text


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "policies" / "folder.pol").mkdir(parents=True)
    compiled, text = check(tmp_path, 'import "folder.pol"')
    assert [d.code for d in compiled.diagnostics] == ["E004"] and "folder" in compiled.diagnostics[0].message


def test_a_device_or_pipe_is_refused_without_opening_it(tmp_path):
    (tmp_path / "policies").mkdir()
    os.mkfifo(tmp_path / "policies" / "pipe.pol")  # opening it would block forever
    compiled, _ = check(tmp_path, 'import "pipe.pol"', load=tmp_path / "policies" / "main.pol")
    assert [d.code for d in compiled.diagnostics] == ["E004"]
    compiled, _ = check(tmp_path, 'import "/dev/zero"')
    assert [d.code for d in compiled.diagnostics] == ["E004"]


def test_imports_inside_the_loaded_folder_and_of_the_shipped_schema_are_read(tmp_path):
    (tmp_path / "policies" / "shared").mkdir(parents=True)
    (tmp_path / "policies" / "shared" / "kinds.pol").write_text('entity zone\n  yearly score: decimal\n',
                                                                encoding="utf-8")
    compiled, _ = check(tmp_path, 'import "shared/kinds.pol"')
    assert compiled.ok and "zone" in compiled.program.entities
    from policydsl.language.build import shipped_schema
    relative = os.path.relpath(shipped_schema() / "entities.pol", tmp_path / "policies")
    compiled, _ = check(tmp_path, f'import "{relative}"')
    assert compiled.ok and "industrial_zone" in compiled.program.entities


def test_a_missing_import_inside_is_not_found(tmp_path):
    compiled, _ = check(tmp_path, 'import "absent.pol"')
    assert [d.code for d in compiled.diagnostics] == ["E003"]
