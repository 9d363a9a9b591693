"""Stage 3c, constants: what can be known before data. Program and graph in, diagnostics out.

Parameters and table entries read no data, so `check` computes them (with the plan's own
`constant`, in dependency order) and reports any that has no value — a division by zero, a date
beyond the calendar — at the expression that fails (E230), instead of leaving every rule that
reads it silently unknown at run time.
"""

from __future__ import annotations

import networkx as nx

from policydsl.diagnostics import Diagnostic, Span, error
from policydsl.engine import graph as g
from policydsl.engine.plan import constant
from policydsl.language import ir
from policydsl.values import Percent, Unknown


def constant_diagnostics(program: ir.Program, graph: nx.DiGraph) -> list[Diagnostic]:
    parameters: dict[str, object] = {}
    tables: dict[str, dict] = {}
    diagnostics: list[Diagnostic] = []
    failed: set[str] = set()  # parameters and tables already reported: what reads them is not

    def compute(expr: ir.Expr, what: str) -> object:
        try:
            value = constant(expr, parameters, tables)
        except (ArithmeticError, ValueError) as err:
            value = Unknown()
            reason = str(err)
        else:
            reason = None
        if isinstance(value, Unknown) and not _reads(expr, failed):
            span, cause = _culprit(expr, parameters, tables)
            diagnostics.append(error("E230", f"{what} cannot be computed: {reason or cause}", span,
                                     hint="a parameter or table entry needs a value before any data is read"))
        return value

    for node in g.node_order(graph):
        data = graph.nodes[node]
        if data["kind"] == "parameter":
            name = data["name"]
            parameter = program.parameters[name]
            parameters[name] = compute(parameter.expr, f"parameter `{name.split('::')[-1]}`")
            if isinstance(parameters[name], Unknown):
                failed.add(name)
        elif data["kind"] == "table":
            table = program.tables[data["name"]]
            short = table.name.split("::")[-1]
            tables[table.name] = {key: compute(value, f"the entry `{key}` of table `{short}`")
                                  for key, value in table.rows}
            if any(isinstance(v, Unknown) for v in tables[table.name].values()):
                failed.add(table.name)
    diagnostics += _divisions_by_zero(program, parameters, tables, failed)
    return diagnostics


# the expressions whose value needs no data: a division by one of them that is zero is unknown
# for every entity and period, so a rule reading it can never decide
_DATA_FREE = (ir.Const, ir.Param, ir.Lookup, ir.Arith, ir.Scalar)


def _divisions_by_zero(program: ir.Program, parameters: dict, tables: dict, failed: set[str]) -> list[Diagnostic]:
    """E230 at each division, in a derived value or a rule, by an expression that reads no data
    and is zero (`tax / 0`, `x / (rate - rate)`): the value is unknown (G8) whatever the data."""
    expressions = [value.expr for value in program.values.values()]
    for rule in program.rules:
        expressions += [rule.condition] if rule.condition is not None else []
        for consequence in rule.consequences:
            expressions += [e for e in (consequence.amount, consequence.value) if e is not None]
            expressions += [field.expr for field in consequence.fields]
    found, seen = [], set()
    for expr in expressions:
        for node in ir.walk(expr):
            if not (isinstance(node, ir.Arith) and node.op == "/") or id(node) in seen:
                continue
            seen.add(id(node))
            divisor = node.operands[1]
            if not all(isinstance(e, _DATA_FREE) for e in ir.walk(divisor)) or _reads(divisor, failed):
                continue
            try:
                value = constant(divisor, parameters, tables)
            except (ArithmeticError, ValueError):
                continue  # reported where it is computed, if it is a parameter's or a table's
            if value == 0 or (isinstance(value, Percent) and value.ratio == 0):
                found.append(error("E230", "a division by zero: its value is unknown for every entity and period",
                                   node.span, hint="a divisor that reads no data must not be zero"))
    return found


def _reads(expr: ir.Expr, failed: set[str]) -> bool:
    return any((isinstance(e, ir.Param) and e.name in failed) or (isinstance(e, ir.Lookup) and e.table in failed)
               for e in ir.walk(expr))


def _culprit(expr: ir.Expr, parameters: dict, tables: dict) -> tuple[Span, str]:
    """The innermost division by zero in the expression, else the whole expression."""
    for node in reversed(list(ir.walk(expr))):
        if isinstance(node, ir.Arith) and node.op == "/":
            divisor = constant(node.operands[1], parameters, tables)
            if divisor == 0 or (isinstance(divisor, Percent) and divisor.ratio == 0):
                return node.span, "it divides by zero"
        if isinstance(node, ir.Lookup):
            key = constant(node.key, parameters, tables)
            if not isinstance(key, Unknown) and key not in tables.get(node.table, {}):
                return node.span, f"the table has no entry `{key}`"
    return expr.span, "it has no value"
