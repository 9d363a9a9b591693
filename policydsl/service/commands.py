"""The `serve` and `log export` commands: arguments in, a running server or a CSV file out.

`cli.py` registers them with `add_commands` and dispatches to `cmd_serve` / `cmd_log`; policy and
data errors propagate to the CLI's own handling (located messages, exit codes).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from policydsl import render
from policydsl.language.limits import run_deep
from policydsl.service.log import COLUMNS, LogError, read_decisions
from policydsl import output_files

DEFAULT_LOG = "policydsl-decisions.db"
# `serve` runs on the main thread, where signals (Ctrl-C, SIGHUP) arrive; its compiling and
# evaluating go to deep-stack threads (`language.limits.run_deep`) like every other command's.
MAIN_THREAD_COMMANDS = frozenset({"serve"})


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return seconds


def add_commands(commands) -> None:
    serve = commands.add_parser("serve", help="serve the policies over HTTP, with a decision log and a web page")
    serve.add_argument("policy", nargs="+", help=".pol file or folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=_port, default=8080, help="port (default: %(default)s; 0: any free port)")
    serve.add_argument("--log-db", default=DEFAULT_LOG, help="the SQLite decision log (default: %(default)s)")
    serve.add_argument("--keep-alive", type=_seconds, default=5.0, metavar="SECONDS",
                       help="close a client's idle connection after this long (default: %(default)s); "
                            "set it above any pause a client may make between two requests on one connection")
    serve.add_argument("--data", action="append", default=[], metavar="PATH",
                       help="a data set the web page and `dataset` requests can use (repeatable)")

    log = commands.add_parser("log", help="read the decision log")
    actions = log.add_subparsers(dest="log_command", required=True, parser_class=type(log))
    export = actions.add_parser("export", help="write the logged decisions as CSV")
    export.add_argument("--log-db", default=DEFAULT_LOG, help="the SQLite decision log (default: %(default)s)")
    export.add_argument("--entity", help="only this entity")
    export.add_argument("--period", help="only this period")
    export.add_argument("--request", dest="request_id", help="only this request id")
    export.add_argument("-o", "--output", type=output_files.output_path, help="file to write (default: standard output)")


def cmd_log(args) -> int:
    try:
        rows = read_decisions(args.log_db, entity=args.entity, period=args.period, request_id=args.request_id)
    except LogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    text = render.csv_text(COLUMNS, [[row[c] for c in COLUMNS] for row in rows])
    if args.output:
        output_files.write_text(args.output, text, newline="")
    else:
        sys.stdout.write(text)
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from policydsl.service.app import make_app
    from policydsl.service.log import DecisionLog
    from policydsl.service.state import Holder

    holder = run_deep(Holder, args.policy, args.data)  # PolicyError / DataError: the CLI reports them
    try:
        log = DecisionLog(args.log_db)
    except LogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    def reload_on_hangup(signum, frame) -> None:
        def reload() -> None:
            problem = run_deep(holder.reload)
            if problem:
                print(f"reload failed; still serving {holder.current.policy_set_hash}:\n{problem}", file=sys.stderr)
            else:
                print(f"reloaded: policy set {holder.current.policy_set_hash}", file=sys.stderr)
        threading.Thread(target=reload, name="policy-reload", daemon=True).start()

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload_on_hangup)
    snapshot = holder.current
    print(f"policydsl: {len(snapshot.policies.program.policies)} policies ({snapshot.policy_set_hash}), "
          f"data sets: {', '.join(snapshot.datasets) or 'none'}; decision log {args.log_db}", file=sys.stderr)
    try:
        uvicorn.run(make_app(holder, log), host=args.host, port=args.port, log_level="info",
                    access_log=False, timeout_keep_alive=args.keep_alive)
    finally:
        log.close()
    return 0
