"""One vocabulary: every fact the shipped policies read is declared once, in policies/schema/,
under one name per concept, with the type the data dictionary gives it; entities the documents
single out are identified by an attribute of the data, never by their display name."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from policydsl.api import compile_paths
from policydsl.language import ast
from policydsl.language.build import build

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
SCHEMA = POLICIES / "schema"
DICTIONARY = ROOT.parent / "shared" / "spec" / "data-dictionary.md"
# words that name a classification without changing the concept: `project_kind` = `project_type`
GENERIC_SUFFIXES = re.compile(r"_(kind|type|class|category|categories|classification)$")


def schema_entities():
    compiled = compile_paths([SCHEMA])
    assert compiled.ok, [str(d) for d in compiled.diagnostics]
    return compiled.program.entities


def facts_read(program) -> set[tuple[str, str]]:
    """(entity kind, fact) for every fact a rule or derived value of the policies reads."""
    import networkx  # noqa: F401  (the graph is networkx; only its node data is used)
    from policydsl.engine.graph import build_graph
    graph = build_graph(program)
    return {(data["entity"], data["name"]) for node, data in graph.nodes(data=True)
            if data["kind"] == "fact" and graph.out_degree(node)}


def test_every_fact_a_policy_reads_is_declared_in_the_schema_with_the_same_type():
    compiled = compile_paths([POLICIES])
    assert compiled.ok
    schema = schema_entities()
    read = facts_read(compiled.program)
    assert len(read) > 100
    wrong = []
    for kind, name in sorted(read):
        used = compiled.program.entities[kind].facts[name]
        declared = schema.get(kind).facts.get(name) if kind in schema else None
        if declared is None:
            wrong.append(f"{kind}.{name} is read but not declared in policies/schema/")
        elif (declared.type, declared.period_kind) != (used.type, used.period_kind):
            wrong.append(f"{kind}.{name}: the schema declares {declared.type} ({declared.period_kind}), "
                         f"a policy {used.type} ({used.period_kind})")
    assert not wrong, "\n".join(wrong)


def test_policy_files_declare_no_facts_of_their_own():
    """A fact declared beside the rules would be a second, diverging place for its meaning."""
    found = [f"{Path(m.path).relative_to(ROOT)}:{d.span.line}: entity {d.name} ({', '.join(f.name for f in d.facts)})"
             for m in build([POLICIES]).modules if Path(m.path).parent != SCHEMA
             for d in m.declarations if isinstance(d, ast.EntityDecl) and d.facts]
    assert not found, "\n".join(found)


def test_one_concept_has_one_name():
    """Two facts of one kind with one label, or names that differ only by a generic word
    (`project_kind` / `project_type`), are one concept read under two names."""
    problems = []
    for kind, entity in schema_entities().items():
        by_label, by_stem = defaultdict(list), defaultdict(list)
        for name, fact in entity.facts.items():
            if fact.label:
                by_label[re.sub(r"[（(].*?[)）]", "", fact.label)].append(name)
            by_stem[GENERIC_SUFFIXES.sub("", name)].append(name)
        problems += [f"{kind}: {' and '.join(names)} share the label 「{label}」"
                     for label, names in by_label.items() if len(names) > 1]
        problems += [f"{kind}: {' and '.join(names)} name one concept"
                     for names in by_stem.values() if len(names) > 1]
    assert not problems, "\n".join(problems)


def _family(type_text: str) -> str:
    if type_text in ("integer", "decimal", "money", "percent"):
        return "number"
    if type_text in ("boolean", "date"):
        return type_text
    return "text"  # text, enumerations, references (an id)


@pytest.mark.skipif(not DICTIONARY.is_file(), reason=f"the data dictionary is not at {DICTIONARY}")
def test_the_schema_agrees_with_the_data_dictionary_on_every_fact_it_lists():
    listed: dict[tuple[str, str], str] = {}
    kind = None
    for line in DICTIONARY.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"##\s+(\w+)", line):
            kind = heading.group(1)
        elif (row := re.match(r"\|\s*`(\w+)`\s*\|\s*(\w+)\s*\|", line)) and kind:
            listed[(kind, row.group(1))] = row.group(2)
    wrong = []
    for kind_name, entity in schema_entities().items():
        for name, fact in entity.facts.items():
            expected = listed.get((kind_name, name))
            if expected is not None and _family(str(fact.type)) != _family(expected):
                wrong.append(f"{kind_name}.{name}: the schema says {fact.type}, the data dictionary {expected}")
    assert not wrong, "\n".join(wrong)


def _display_name_tests(expr) -> list[str]:
    found = []
    for node in ast.walk(expr):
        sides = ()
        if isinstance(node, ast.Compare) and node.op in ("=", "!="):
            sides = (node.left, node.right)
        elif isinstance(node, ast.Member):
            sides = (node.operand, *node.options)
        names = [s for s in sides if isinstance(s, (ast.Name, ast.Attribute))
                 and (s.name if isinstance(s, ast.Name) else s.name) == "name"]
        if names and any(isinstance(s, ast.StringLit) for s in sides):
            found.append(node)
    return found


def _expressions(decl):
    for field in ("condition", "applies", "require", "measure", "expr", "value"):
        value = getattr(decl, field, None)
        if value is not None and not isinstance(value, (str, ast.TypeExpr)):
            yield value


def test_entities_the_documents_single_out_are_not_matched_by_display_name():
    found = []
    for module in build([POLICIES]).modules:
        for decl in module.declarations:
            for expr in _expressions(decl):
                found += [f"{Path(module.path).relative_to(ROOT)}:{n.span.line}" for n in _display_name_tests(expr)]
    assert not found, "a display name (`name = \"…\"`) picks an entity: use an id or attribute\n" + "\n".join(found)
