"""The differential test's generator draws every construct of the language.

Every construct is read off the grammar itself (`grammar/policy.lark`: each rule and alias that
shows in a parse tree) and off the language's own tables (its functions, aggregates over member
kinds, built-in names and types, `document.` dates and metadata keys), refined where one rule
covers several spellings (each comparison, arithmetic operator, unit, duration unit, table key,
payload form). A pinned run of the generator (`oracle.generate.policies`) is parsed with a parser
built here from the grammar, and each construct must show in some drawn policy; each must also be
named in the generator's docstring, the list a reader checks. A construct added to the language
fails this test until the generator draws it and the docstring names it.
"""

from __future__ import annotations

import lark
from conftest import ROOT
from hypothesis import Phase, given, settings
from oracle import generate

from policydsl.language.build import META_KEYS, REFERENCE_KEYS
from policydsl.language.build_expr import MEMBER_FUNCTIONS
from policydsl.language.typecheck import ALL_FUNCTIONS, BUILTIN_NAMES
from policydsl.language.typecheck_links import DOCUMENT_DATES
from policydsl.types import BUILTIN_TYPES

GRAMMAR = lark.Lark((ROOT / "grammar" / "policy.lark").read_text(encoding="utf-8"), parser="lalr",
                    maybe_placeholders=False)
UNITS = ("万元", "亿元", "%")
DURATION_UNITS = ("year", "years", "month", "months", "day", "days")
TABLE_KEYS = ("signed_number", "STRING", "NAME", "DATE", "TRUE", "FALSE")


def grammar_constructs() -> set[str]:
    """Every rule or alias of the grammar that appears in a parse tree (`_rule`s are inlined, and
    so are `?rule`s except for their aliased alternatives)."""
    return {str(rule.alias or rule.origin.name) for rule in GRAMMAR.rules
            if not rule.origin.name.startswith("_") and not (rule.options.expand1 and not rule.alias)}


def tokens_of(rule: str) -> set[str]:
    """The literal spellings of an operator rule (`!comp_op: ">=" | …`)."""
    return {GRAMMAR.get_terminal(symbol.name).pattern.value for r in GRAMMAR.rules if r.origin.name == rule
            for symbol in r.expansion}


def expected_constructs() -> set[str]:
    found = grammar_constructs()
    found |= {f"{rule} {token}" for rule in ("comp_op", "add_op", "mul_op", "periodicity") for token in tokens_of(rule)}
    found |= {f"unit {unit}" for unit in UNITS} | {f"duration {unit}" for unit in DURATION_UNITS}
    found |= {f"function {name}" for name in ALL_FUNCTIONS}
    found |= {f"aggregate {name}" for name in MEMBER_FUNCTIONS}
    found |= {f"keyword {name}" for name in ("where", "within")} | {"within all"}
    found |= {f"name {name}" for name in BUILTIN_NAMES} | {f"document.{name}" for name in DOCUMENT_DATES}
    found |= {f"type {name}" for name in BUILTIN_TYPES} | {"type enumeration"}
    found |= {f"meta {key}" for key in META_KEYS} | {f"reference {key}" for key in REFERENCE_KEYS}
    found |= {f"table key {key}" for key in TABLE_KEYS}
    found |= {"signed_number negative", "field_decl optional", "payload_amount and fields", "cite quote",
              "ladder_level several", "approximately within", "consequence amount", "consequence value",
              "consequence fields", "consequence amount and fields", "rule without when", "value typed",
              "or_chain several", "and_chain several"}
    return found


CHAINS = ("or_chain", "and_chain", "arith_chain")


def unwrapped(node):
    """An expression without the chains of one operand the grammar's aliases leave around it."""
    while isinstance(node, lark.Tree) and node.data in CHAINS and len(node.children) == 1:
        node = node.children[0]
    return node


def constructs(tree: lark.Tree) -> set[str]:
    """The constructs a parse tree uses."""
    found = set()
    for node in tree.iter_subtrees():
        found.add(str(node.data))
        tokens = [c for c in node.children if isinstance(c, lark.Token)]
        trees = [c for c in node.children if isinstance(c, lark.Tree)]
        data = node.data
        if data in ("comp_op", "add_op", "mul_op", "periodicity"):
            found.add(f"{data} {tokens[0]}")
        elif data == "number" and len(tokens) == 2:
            found.add(f"unit {tokens[1]}")
        elif data == "duration":
            found.add(f"duration {tokens[1]}")
        elif data in ("call", "members"):
            name = str(tokens[0])
            aggregate = data == "members" or (name in MEMBER_FUNCTIONS and name not in ALL_FUNCTIONS)
            found.add(f"{'aggregate' if aggregate else 'function'} {name}")
        elif data == "keyword":
            found.add(f"keyword {tokens[0]}")
            value = unwrapped(node.children[1])
            if value.data == "name" and str(value.children[0]) == "all":
                found.add("within all")
        elif data == "name":
            found.add(f"name {tokens[0]}")
        elif data in ("or_chain", "and_chain") and len(trees) > 1:
            found.add(f"{data} several")
        elif data == "attribute" and unwrapped(trees[0]).data == "name" and \
                str(unwrapped(trees[0]).children[0]) == "document":
            found.add(f"document.{tokens[0]}")
        elif data == "type_expr":
            found |= {f"type {t}" for t in tokens}
            if len(tokens) > 1:
                found.add("type enumeration")
        elif data == "meta_clause":
            found.add(f"meta {tokens[0]}")
        elif data == "reference_decl":
            found |= {f"reference {t.children[0]}" for t in trees if t.data == "meta_clause"}
        elif data == "table_row":
            key = node.children[0]
            found.add(f"table key {key.data if isinstance(key, lark.Tree) else key.type}")
        elif data == "signed_number" and tokens[0].type == "NEGATIVE":
            found.add("signed_number negative")
        elif data == "field_decl" and tokens[0].type == "OPTIONAL":
            found.add("field_decl optional")
        elif data == "payload_amount" and trees:
            found.add("payload_amount and fields")
        elif data == "cite_clause" and len(tokens) == 2:
            found.add("cite quote")
        elif data == "ladder_level" and len(tokens) > 1:
            found.add("ladder_level several")
        elif data == "approximately_clause" and len(trees) == 3:
            found.add("approximately within")
        elif data == "consequence":
            amount = any(t.type == "AMOUNT" for t in tokens)
            fields = any(t.data == "field_values" for t in trees)
            value = not amount and any(t.data != "field_values" for t in trees)
            found.add("consequence " + ("amount and fields" if amount and fields else "amount" if amount
                                        else "value" if value else "fields" if fields else "outcome"))
        elif data == "rule_decl" and not any(t.data == "when_clause" for t in trees):
            found.add("rule without when")
        elif data == "value_decl" and any(t.data == "type_expr" or t.data == "list_type" for t in trees):
            found.add("value typed")
    return found


class AllDrawn(Exception):
    """Every construct wanted has been drawn: no need to draw more."""


def drawn_constructs(wanted: set[str], most: int) -> set[str]:
    """The constructs of pinned draws of the generator, drawing until every one wanted has shown
    (usually within a few hundred) or `most` policies have been drawn."""
    seen: set[str] = set()

    @settings(max_examples=most, derandomize=True, database=None, deadline=None, phases=[Phase.generate])
    @given(files=generate.policies())
    def collect(files):
        for text in files.values():
            seen.update(constructs(GRAMMAR.parse(text)))
        if wanted <= seen:
            raise AllDrawn

    try:
        collect()
    except AllDrawn:
        pass
    return seen


def test_the_generator_draws_every_construct_of_the_language():
    missing = expected_constructs() - drawn_constructs(expected_constructs(), 1500)
    assert not missing, f"constructs the generator never draws: {sorted(missing)}"


def test_the_generator_docstring_names_every_construct():
    doc = generate.__doc__
    unnamed = [c for c in sorted(expected_constructs()) if f"`{c}`" not in doc]
    assert not unnamed, f"constructs the generator's docstring does not list: {unnamed}"


def test_a_construct_the_generator_never_draws_is_noticed():
    assert "function no_such_function" not in drawn_constructs({"function no_such_function"}, 20)
    tree = GRAMMAR.parse('policy p\nvalue v for unit = -x + 2 亿元\n'.replace(" 亿元", "亿元"))
    assert {"negate", "add_op +", "unit 亿元", "value_decl"} <= constructs(tree)
