"""The built parser kept between processes (language/grammar_cache.py): the same parser as one
built afresh, only in a private folder, never from a damaged or foreign file."""

from __future__ import annotations

import os
import sys

import pytest

from policydsl.language import grammar_cache, syntax

OPTIONS = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": False}
SOURCE = """policy p
  title "t"
entity e "E"
  yearly a: integer
rule r
  implements p.1 cite "1" "q"
  for e
  when a >= 2 and previous(a) < 3
  then o
"""


def _tree_text(parser, text: str) -> str:
    tree = parser.parse(text)
    return tree.pretty() + repr([(n.meta.line, n.meta.column, n.meta.end_pos) for n in tree.iter_subtrees()])


def _saved(folder) -> list:
    return [p for p in folder.iterdir() if p.name.startswith("parser-")]


def test_a_cached_parser_parses_as_one_built_afresh(tmp_path):
    text = syntax._grammar_text()
    built = grammar_cache.cached_parser(text, tmp_path, **OPTIONS)  # builds and saves
    loaded = grammar_cache.cached_parser(text, tmp_path, **OPTIONS)  # loads the saved tables
    assert len(_saved(tmp_path)) == 1
    assert loaded is not built
    assert _tree_text(loaded, SOURCE) == _tree_text(built, SOURCE)


def test_the_file_name_changes_with_the_grammar_and_the_options():
    text = syntax._grammar_text()
    name = grammar_cache.cache_name(text, OPTIONS)
    assert grammar_cache.cache_name(text + "\n// changed\n", OPTIONS) != name
    assert grammar_cache.cache_name(text, {**OPTIONS, "propagate_positions": False}) != name
    assert grammar_cache.lark.__version__ in name


def test_a_damaged_file_is_rebuilt_and_replaced(tmp_path):
    text = syntax._grammar_text()
    path = tmp_path / grammar_cache.cache_name(text, OPTIONS)
    path.write_bytes(b"not a parser")
    parser = grammar_cache.cached_parser(text, tmp_path, **OPTIONS)
    assert _tree_text(parser, SOURCE) == _tree_text(grammar_cache.lark.Lark(text, **OPTIONS), SOURCE)
    assert path.read_bytes() != b"not a parser"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="ownership is a POSIX notion here")
def test_a_file_others_may_write_is_not_loaded(tmp_path, monkeypatch):
    text = syntax._grammar_text()
    grammar_cache.cached_parser(text, tmp_path, **OPTIONS)
    path = _saved(tmp_path)[0]
    path.chmod(0o666)
    loads = []
    monkeypatch.setattr(grammar_cache.lark.Lark, "load", classmethod(lambda cls, f: loads.append(f)))
    grammar_cache.cached_parser(text, tmp_path, **OPTIONS)
    assert loads == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="ownership is a POSIX notion here")
def test_the_folder_is_private_or_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = grammar_cache.cache_folder()
    assert folder == tmp_path / "policydsl"
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o777)
    assert grammar_cache.cache_folder() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert grammar_cache.cache_folder() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("POLICYDSL_NO_PARSER_CACHE", "1")
    assert grammar_cache.cache_folder() is None


def test_a_link_in_place_of_the_folder_is_not_used(tmp_path, monkeypatch):
    if sys.platform == "win32":
        pytest.skip("symbolic links need privileges on Windows")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "policydsl").symlink_to(elsewhere)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert grammar_cache.cache_folder() is None


def test_without_a_folder_the_parser_is_built(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYDSL_NO_PARSER_CACHE", "1")
    parser = grammar_cache.cached_parser(syntax._grammar_text(), **OPTIONS)
    assert _tree_text(parser, SOURCE)
