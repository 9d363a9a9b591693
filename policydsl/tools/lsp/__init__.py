"""The language server (`policydsl lsp`): `analysis.py` answers, `server.py` speaks the protocol.

pygls is imported only when the server runs, so the other commands start as fast as before."""


def add_command(commands) -> None:
    commands.add_parser("lsp", help="run the language server on standard input and output (for editors)")


def run_command(args) -> int:
    from policydsl.tools.lsp.server import serve

    return serve()
