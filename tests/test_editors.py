"""The TextMate grammar under editors/ stays a valid grammar that knows the language's keywords."""

from __future__ import annotations

import json
import re

from conftest import ROOT

from policydsl.language.syntax import DECLARATION_KEYWORDS

GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "policydsl.tmLanguage.json"


def _patterns(node):
    if isinstance(node, dict):
        for key in ("match", "begin", "end"):
            if key in node:
                yield node[key]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_every_pattern_compiles_and_every_include_exists():
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    for pattern in _patterns(grammar):
        re.compile(pattern)
    included = {p["include"][1:] for p in grammar["patterns"]}
    assert included <= set(grammar["repository"])


def test_every_declaration_keyword_is_coloured_as_one():
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    declarations = " ".join(p["match"] for p in grammar["repository"]["declaration"]["patterns"])
    for keyword in DECLARATION_KEYWORDS:
        assert re.search(rf"\b{keyword}\b", declarations), keyword
    line = re.compile(grammar["repository"]["declaration"]["patterns"][0]["match"])
    assert line.match("rule yellow_card_for_two_ds").group(2) == "yellow_card_for_two_ds"
