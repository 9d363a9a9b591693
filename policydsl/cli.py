"""The `policydsl` command line: check, eval, explain, graph, dump.

Exit codes (the README's table): 0 ok; 1 findings (policy diagnostics, failed tests); 2 usage or
input errors (a wrong flag, a missing or unreadable file, bad data, an entity or period the data
does not have); 3 an internal error — a bug — reported in one line (`--debug` shows the
traceback). Bad input never produces a Python traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from policydsl import api

from policydsl import __version__, render
from policydsl import cli_output
from policydsl import output_files
from policydsl.cli_output import OptionError
from policydsl.service import commands as service_commands
from policydsl.engine import graph as graph_stage
from policydsl.engine.columnar.support import columnar_support
from policydsl.engine.explain_status import document_labels
from policydsl.engine.progress import NO_PROGRESS, Progress
from policydsl.language.build import build, parse_tree_text
from policydsl.tools.coverage import CatalogueError, catalogue_rules, coverage_rows, omissions, render_markdown
from policydsl.language.limits import run_deep
from policydsl.diagnostics import DataError, PolicyError, SourceFile, render_all
from policydsl.engine.explain import ExplainError
from policydsl.tools.scenarios import ScenarioError, scenario_files
from policydsl.tools import fmt as fmt_tool
from policydsl.tools import facts as facts_tool
from policydsl.tools import scenarios as scenarios_tool
from policydsl.tools import lint as lint_tool
from policydsl.tools import diff as diff_tool
from policydsl.tools import lsp as lsp_tool
from policydsl.render.progress import on_terminal as progress_on_terminal
from policydsl.values import Period

from policydsl.tools.exits import EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK  # noqa: E402 (re-exported)
STAGES = ("parse", "ast", "ir", "graph", "plan")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own exit code for usage errors is 2, as is ours
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _as_of(text: str):
    try:
        return api.as_of_date(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="policydsl", description="Check, run and explain assessment policies written as .pol files.",
                     epilog="exit codes: 0 ok, 1 findings, 2 usage or input error, 3 internal error (a bug)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error "
                        "(may be given anywhere on the line)")
    parser.add_argument("--version", action="version", version=f"policydsl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="report the diagnostics of policy files")
    check.add_argument("policy", nargs="+", help=".pol file or folder")
    check.add_argument("--format", choices=("text", "json"), default="text")

    evaluate = commands.add_parser("eval", help="evaluate policies over a data set")
    evaluate.add_argument("policy", nargs="+")
    evaluate.add_argument("--data", required=True, help="JSON file, or a folder of tables per entity kind")
    evaluate.add_argument("--period", type=_period, help="only this period (2019 or 2019-Q3)")
    evaluate.add_argument("--entity", action="append", type=api.entity_id_argument, help="only this entity id (repeatable)")
    evaluate.add_argument("--as-of", dest="as_of", type=_as_of, metavar="DATE",
                          help="evaluate as of a date: the periods ended by then, each document's status on it")
    evaluate.add_argument("--format", choices=("table", "json", "csv", "xlsx"), default="table")
    evaluate.add_argument("--all", action="store_true", help="also list superseded decisions (table format)")
    _executor_option(evaluate)
    cli_output.add_filter_options(evaluate)
    evaluate.add_argument("-o", "--output", type=output_files.output_path, help="file to write (xlsx needs one; default: standard output)")
    _data_options(evaluate)

    explain = commands.add_parser("explain", help="explain why an entity got an outcome, or why not")
    explain.add_argument("policy", nargs="+")
    explain.add_argument("--data", required=True)
    explain.add_argument("--entity", required=True, type=api.entity_id_argument)
    explain.add_argument("--period", type=_period)
    explain.add_argument("--as-of", dest="as_of", type=_as_of, metavar="DATE", help="explain as of a date")
    which = explain.add_mutually_exclusive_group()
    which.add_argument("--outcome", help="the outcome to explain")
    which.add_argument("--why-not", dest="why_not", metavar="OUTCOME", help="explain why this outcome did not happen")
    explain.add_argument("--lang", choices=("zh", "en"), default="en")
    explain.add_argument("--format", choices=("text", "json", "dot"), default="text")
    _data_options(explain)

    graph = commands.add_parser("graph", help="write the dependency graph")
    graph.add_argument("policy", nargs="+")
    graph.add_argument("--format", choices=("dot", "json", "svg"), default="dot")
    cli_output.add_graph_options(graph)
    graph.add_argument("-o", "--output", type=output_files.output_path, help="file to write (default: standard output)")

    test = commands.add_parser("test", help="run the scenario files of policies")
    test.add_argument("policy", nargs="+", help="policy folder, policy file or scenario file (docs/scenarios.md)")
    test.add_argument("--format", choices=("text", "json"), default="text")
    _executor_option(test)
    test.add_argument("--coverage", action="store_true",
                      help="also report, per rule, whether cases fired it and not, and per comparison, "
                           "whether cases sat below, on and above its boundary")

    coverage = commands.add_parser("coverage", help="which catalogue rules are implemented and tested")
    coverage.add_argument("policy", nargs="+")
    coverage.add_argument("--catalogue", default=None,
                          help="report against this rule catalogue (markdown, e.g. "
                               "../shared/spec/rule-catalogue.md); without it: rule and boundary coverage "
                               "of the scenario cases")
    coverage.add_argument("--format", choices=("md", "json"), default="md")
    coverage.add_argument("-o", "--output", type=output_files.output_path, help="file to write (default: standard output)")

    fmt_tool.add_command(commands)
    lint_tool.add_command(commands)
    facts_tool.add_command(commands)
    diff_tool.add_command(commands, _period)
    lsp_tool.add_command(commands)

    service_commands.add_commands(commands)

    dump = commands.add_parser("dump", help="print an intermediate form")
    dump.add_argument("policy", nargs="+")
    dump.add_argument("--stage", choices=STAGES, required=True)
    return parser


def _executor_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--executor", choices=api.EXECUTORS, default="row",
                         help="row: one entity at a time; columnar: whole columns (large batches)")


def _data_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--strict", action="store_true",
                         help="treat data warnings (unused files, unknown kinds or columns...) as errors")
    command.add_argument("--encoding", help="text encoding of CSV data (default: UTF-8 with or without BOM, "
                                            "else GB18030)")


def _load_data(policies: api.PolicySet, args, executor: str = "row", progress: Progress = NO_PROGRESS
               ) -> api.Dataset:
    """`--data` read with the data options (for the executor that evaluates it); its warnings go
    to stderr."""
    dataset = policies.load_data(args.data, strict=args.strict, encoding=args.encoding, executor=executor,
                                 progress=progress)
    _warn(dataset.warnings)
    # the compiled policies and the data live until the command ends: the collector's full passes
    # need not walk them again (each pass over the shipped policies' objects cost 0.02-0.07 s)
    gc.freeze()
    return dataset


def _warn(warnings) -> None:
    for warning in warnings:
        print(cli_output.fit_terminal(f"warning: {warning}", sys.stderr), file=sys.stderr)


def _compile(paths: Sequence[str]) -> api.Compiled:
    return api.compile_paths(paths)


def _report(compiled: api.Compiled, *, as_json: bool = False) -> None:
    if as_json:
        print(json.dumps({"diagnostics": [d.to_json() for d in compiled.diagnostics]}, ensure_ascii=False,
                         indent=2))
    elif compiled.diagnostics:
        print(render_all(compiled.diagnostics, compiled.sources), file=sys.stderr)


def _input_error(compiled) -> bool:
    """Missing or unreadable policy files are input errors, not findings (compiled or built)."""
    return any(d.code in ("E001", "E002") for d in compiled.diagnostics)


def cmd_check(args) -> int:
    compiled = _compile(args.policy)
    _report(compiled, as_json=args.format == "json")
    if not compiled.ok:
        return EXIT_INPUT if _input_error(compiled) else EXIT_FINDINGS
    if args.format == "text":
        rules = len(compiled.program.rules)
        print(f"ok: {len(compiled.program.policies)} polic{'ies' if len(compiled.program.policies) != 1 else 'y'}, "
              f"{rules} rule{'s' if rules != 1 else ''}")
    return EXIT_OK


def _load(paths: Sequence[str]) -> api.PolicySet:
    compiled = _compile(paths)
    if not compiled.ok:
        raise PolicyError(compiled.diagnostics, compiled.sources)
    _report(compiled)  # warnings
    return api.policy_set(compiled)


def _evaluate(policies, dataset, **options):
    try:
        return policies.evaluate(dataset, **options)
    except api.SelectionError:
        raise
    except ValueError as err:  # a period after the as-of date
        raise UsageError(str(err)) from None


def cmd_eval(args) -> int:
    policies = _load(args.policy)
    with progress_on_terminal() as progress:  # a bar on stderr once the run has taken a few seconds
        dataset = _load_data(policies, args, args.executor, progress)
        result = _evaluate(policies, dataset, period=args.period, entities=args.entity, as_of=args.as_of,
                           executor=args.executor, progress=progress)
        decisions = result.decisions  # made here (the columnar executor's are built when first asked for)
    cli_output.write_decisions(args, policies, decisions, warnings=dataset.warnings)
    # only under --as-of: listing the data's periods is a pass over every record
    first = min(dataset.periods(), key=lambda p: p.end, default=None) if args.as_of is not None else None
    if first is not None and first.end > args.as_of:
        # not an error (the documents' statuses on the day are an answer), but never a silent one
        print(f"note: no period of the data had ended on {args.as_of} (the first, {first}, ends on "
              f"{first.end}): only the documents' statuses are reported", file=sys.stderr)
    return EXIT_OK


def cmd_explain(args) -> int:
    policies = _load(args.policy)
    dataset = _load_data(policies, args)
    api.check_selection(dataset, args.period, [args.entity], document_labels(policies.program))
    # an entity's rules are evaluated at the period asked about only: one not ended by `--as-of` is
    # refused, as `eval` refuses it (a document's status is reported on the as-of day, within its period)
    narrowed = None if args.entity in document_labels(policies.program) else args.period
    result = _evaluate(policies, dataset, period=narrowed, entities=[args.entity], as_of=args.as_of)
    note = None
    if args.why_not or args.outcome:
        outcome = args.why_not or args.outcome
        ask = result.why_not if args.why_not else result.explain
        explanations = [ask(args.entity, outcome, args.period)]
        if args.period is None:
            note = render.outcome_periods_text(args.entity, outcome, result.decisions, explanations[0].period,
                                               args.lang, label=explanations[0].outcome_label)
    else:
        mine = [d for d in result.decisions if d.entity == args.entity and d.status == "active"]
        period = args.period or (max(d.period for d in mine) if mine else None)
        chosen = [d for d in mine if d.period == period]
        if not chosen:
            print(f"{args.entity}: no decisions" + (f" in {period}" if period else ""))
            return EXIT_OK
        explanations = [result.explain(args.entity, d.outcome, d.period) for d in chosen]
    if note:
        print(note, file=sys.stdout if args.format == "text" else sys.stderr)
    if args.format == "json":
        payload = [render.explanation_json(e, args.lang) for e in explanations]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2))
    elif args.format == "dot":
        print("".join(render.explanation_dot(e, args.lang) for e in explanations), end="")
    else:
        width = cli_output.terminal_width()
        print("\n\n".join(render.explanation_text(e, args.lang, width=width) for e in explanations))
    return EXIT_OK


def cmd_graph(args) -> int:
    compiled = _compile(args.policy)
    if not compiled.ok:
        raise PolicyError(compiled.diagnostics, compiled.sources)
    drawn = cli_output.graph_part(args, compiled)
    if args.format == "json":
        text = graph_stage.to_json(drawn) + "\n"
    else:
        text = graph_stage.to_dot(drawn)
    if args.format == "svg":
        dot = shutil.which("dot")
        if dot is None:
            raise UsageError("SVG needs Graphviz's `dot` program; install Graphviz or use --format dot")
        text = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True, check=True).stdout
    if args.output:
        output_files.write_text(args.output, text)
    else:
        print(text, end="")
    return EXIT_OK


def cmd_dump(args) -> int:
    if args.stage == "parse":
        built = build(args.policy)
        for path, source in built.sources.items():
            tree, _ = parse_tree_text(SourceFile(path=path, text=source.text))
            print(f"# {path}\n{tree or ''}")
        if built.diagnostics:
            print(render_all(built.diagnostics, built.sources), file=sys.stderr)
            return EXIT_INPUT if _input_error(built) else EXIT_FINDINGS
        return EXIT_OK
    if args.stage == "ast":
        built = build(args.policy)
        for module in built.modules:
            print(f"# {module.path}")
            for declaration in module.declarations:
                print(declaration)
        if built.diagnostics:
            print(render_all(built.diagnostics, built.sources), file=sys.stderr)
            return EXIT_INPUT if _input_error(built) else EXIT_FINDINGS
        return EXIT_OK
    compiled = _compile(args.policy)
    if not compiled.ok:
        raise PolicyError(compiled.diagnostics, compiled.sources)
    if args.stage == "ir":
        program = compiled.program
        for group in (program.policies, program.entities, program.parameters, program.tables, program.values,
                      program.outcomes):
            for item in group.values():
                print(item)
        for item in (*program.combinations, *program.rules):
            print(item)
    elif args.stage == "graph":
        print(graph_stage.to_json(compiled.graph))
    else:
        plan = api.policy_set(compiled).plan
        print("parameters:")
        for name, value in plan.parameters.items():
            print(f"  {name} = {value}")
        print("derived values, in evaluation order:")
        for kind, name in plan.value_order:
            print(f"  {kind}.{name}")
        print("rules:")
        for compiled_rule in plan.rules:
            rule = compiled_rule.rule
            print(f"  {rule.implements} ({rule.name}) for {rule.entity} per {rule.period_kind or 'any period'}")
        print("columnar executor (--executor columnar):")
        from policydsl.engine.columnar.dry_run import lowering_fallbacks  # (Polars: only when asked)
        lowered = lowering_fallbacks(plan)  # what the lowering refuses whatever the data
        for name, reason in columnar_support(plan).items():
            reason = reason or lowered.get(name)
            print(f"  {name}: " + (f"row executor: {reason}" if reason else "columnar"))
        print("  (a rule marked columnar runs on the row executor where the data decides it: numbers that could "
              "pass 64-bit integers in it, a number column too fine for them, no rows of a period kind it reads; "
              "`Result.fallbacks` names it, `at run time`)")
    return EXIT_OK


def cmd_test(args) -> int:
    return scenarios_tool.run_tests(args.policy, output=args.format, coverage=args.coverage,
                                    executor=args.executor)


def cmd_coverage(args) -> int:
    if args.catalogue is None:
        return scenarios_tool.run_coverage(args.policy, output=args.format, to=args.output)
    catalogue = Path(args.catalogue)
    if not catalogue.is_file():
        raise UsageError(f"no rule catalogue at `{catalogue}` (give --catalogue PATH)")
    policies = _load(args.policy)
    paths = [Path(p) for p in args.policy]
    rows = coverage_rows(catalogue_rules(catalogue), policies, scenario_files(args.policy), omissions(paths),
                         root=Path.cwd())
    if args.format == "json":
        text = json.dumps([{"rule": r.rule.id, "kind": r.rule.kind, "implemented_at": list(r.implemented_at),
                            "tested_by": list(r.tested_by), "omitted": r.omitted} for r in rows],
                          ensure_ascii=False, indent=2) + "\n"
    else:
        text = render_markdown(rows)
    if args.output:
        output_files.write_text(args.output, text)
    else:
        print(text, end="")
    missing = [r for r in rows if not r.implemented_at and not r.omitted]
    return EXIT_FINDINGS if missing else EXIT_OK


COMMANDS = {"check": cmd_check, "test": cmd_test, "coverage": cmd_coverage, "eval": cmd_eval, "explain": cmd_explain, "graph": cmd_graph, "dump": cmd_dump,
            "serve": service_commands.cmd_serve, "log": service_commands.cmd_log,
            "fmt": fmt_tool.run_command, "lint": lint_tool.run_command,
            "diff": diff_tool.run_command, "lsp": lsp_tool.run_command,
            "facts": lambda args: print(facts_tool.run_command(args, _load(args.policy)), end="") or EXIT_OK}


# commands whose exit 1 says something else than "the policy has errors": `diff`'s 1 is "decisions
# changed" (as diff(1)'s), so a policy that does not compile is an input error there (2), never a change
_FINDINGS_MEAN_OTHER = frozenset({"diff"})


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    args = make_parser().parse_args([a for a in argv if a != "--debug"])
    try:
        if args.command in service_commands.MAIN_THREAD_COMMANDS:  # it handles signals; it goes deep itself
            return _run(args)
        return run_deep(_run, args)  # deep policies are walked on a deep stack (language/limits.py)
    except Exception as err:  # a bug: one line, not a traceback, unless asked for
        if debug:
            raise
        where = traceback.extract_tb(err.__traceback__)[-1]
        print(f"policydsl: internal error: {type(err).__name__}: {str(err)[:200]} "
              f"(at {Path(where.filename).name}:{where.lineno}). This is a bug; please report it with the "
              f"command and its input (run again with --debug for the traceback).", file=sys.stderr)
        return EXIT_INTERNAL


def _run(args) -> int:
    try:
        return COMMANDS[args.command](args)
    except PolicyError as err:
        print(render_all(err.diagnostics, err.sources), file=sys.stderr)
        unreadable = any(d.code in ("E001", "E002") for d in err.diagnostics)
        return EXIT_INPUT if unreadable or args.command in _FINDINGS_MEAN_OTHER else EXIT_FINDINGS
    except DataError as err:
        _warn(err.warnings)
        print("error: bad data:\n" + "\n".join(f"  {p}" for p in err.problems), file=sys.stderr)
        return EXIT_INPUT
    except (UsageError, OptionError, ExplainError, ScenarioError, CatalogueError, facts_tool.DictionaryError,
            api.SelectionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except OSError as err:
        print(f"error: {err.strerror or err}: {getattr(err, 'filename', '') or ''}", file=sys.stderr)
        return EXIT_INPUT
    except subprocess.CalledProcessError as err:
        print(f"error: Graphviz failed: {err.stderr.strip()}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
