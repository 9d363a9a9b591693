"""`policydsl lsp`: the language server (pygls, over stdio).

Diagnostics as you type (the errors of `policydsl check` and the warnings of `policydsl lint`,
same codes and messages), hover, go to definition (across files and imports), completion of
declared names, built-in functions and keywords, document symbols, and formatting through
`policydsl fmt`. What each feature knows comes from `analysis.py`; this module only translates
between it and the protocol.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from policydsl.diagnostics import Diagnostic, Span
from policydsl.tools.fmt import FormatError, format_text
from policydsl.tools.lsp.analysis import Analysis, Symbol, analyse, completions, import_target, lookup, prefix_at

_SYMBOL_KINDS = {"policy": lsp.SymbolKind.Namespace, "type": lsp.SymbolKind.Enum, "member": lsp.SymbolKind.EnumMember,
                 "entity": lsp.SymbolKind.Class, "fact": lsp.SymbolKind.Field, "parameter": lsp.SymbolKind.Constant,
                 "table": lsp.SymbolKind.Array, "value": lsp.SymbolKind.Variable, "outcome": lsp.SymbolKind.Event,
                 "ladder": lsp.SymbolKind.Enum, "highest": lsp.SymbolKind.Enum, "rule": lsp.SymbolKind.Function,
                 "target": lsp.SymbolKind.Function, "deadline": lsp.SymbolKind.Function}
_COMPLETION_KINDS = {"type": lsp.CompletionItemKind.Enum, "member": lsp.CompletionItemKind.EnumMember,
                     "entity": lsp.CompletionItemKind.Class, "fact": lsp.CompletionItemKind.Field,
                     "parameter": lsp.CompletionItemKind.Constant, "table": lsp.CompletionItemKind.Struct,
                     "value": lsp.CompletionItemKind.Variable, "outcome": lsp.CompletionItemKind.Event,
                     "rule": lsp.CompletionItemKind.Function}


def span_range(span: Span) -> lsp.Range:
    start = lsp.Position(line=max(span.line - 1, 0), character=max(span.column - 1, 0))
    end_line = max(span.end_line - 1, start.line)
    end = lsp.Position(line=end_line, character=max(span.end_column - 1, start.character + 1
                                                     if end_line == start.line else 0))
    return lsp.Range(start=start, end=end)


def to_lsp(diagnostic: Diagnostic) -> lsp.Diagnostic:
    message = diagnostic.message + "".join(f"\n{n.message}" for n in diagnostic.notes if n.span is None)
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    related = [lsp.DiagnosticRelatedInformation(
        location=lsp.Location(uri=from_fs_path(str(Path(n.span.path).resolve())), range=span_range(n.span)),
        message=n.message) for n in diagnostic.notes if n.span is not None and n.span.line > 0]
    return lsp.Diagnostic(range=span_range(diagnostic.span), message=message, code=diagnostic.code,
                          source="policydsl", related_information=related or None,
                          severity=lsp.DiagnosticSeverity.Error if diagnostic.is_error
                          else lsp.DiagnosticSeverity.Warning)


class PolicyServer(LanguageServer):
    def __init__(self):
        super().__init__("policydsl", _version(), text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}

    def open_texts(self) -> dict[Path, str]:
        texts = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path:
                texts[Path(path).resolve()] = document.source
        return texts

    def folders(self) -> tuple[str, ...]:
        """The workspace folders (and the root, for a client that names only that)."""
        uris = [folder.uri for folder in self.workspace.folders.values()]
        if self.workspace.root_uri:
            uris.append(self.workspace.root_uri)
        return tuple(path for path in (to_fs_path(uri) for uri in uris) if path)

    def analysis(self, uri: str) -> Analysis:
        if uri not in self.analyses:
            self.refresh(uri)
        return self.analyses[uri]

    def refresh(self, uri: str) -> Analysis:
        document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) or uri
        found = analyse(path, document.source, self.open_texts(), self.folders())
        self.analyses[uri] = found
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=[to_lsp(d) for d in found.diagnostics]))
        return found


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policydsl")
    except PackageNotFoundError:
        return "0"


def did_open(ls: PolicyServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


def did_change(ls: PolicyServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


def did_save(ls: PolicyServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


def did_close(ls: PolicyServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


def _text(ls: PolicyServer, uri: str) -> str:
    return ls.workspace.get_text_document(uri).source


def hover(ls: PolicyServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri, position = params.text_document.uri, params.position
    found = lookup(ls.analysis(uri), _text(ls, uri), position.line, position.character)
    if not found:
        return None
    body = "\n\n---\n\n".join(dict.fromkeys(s.detail for s in found[:3]))
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=body))


def _location(symbol: Symbol) -> lsp.Location:
    return lsp.Location(uri=from_fs_path(str(Path(symbol.span.path).resolve())), range=span_range(symbol.span))


def definition(ls: PolicyServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    uri, position = params.text_document.uri, params.position
    analysis = ls.analysis(uri)
    imported = import_target(analysis, position.line, position.character)
    if imported is not None and imported.is_file():
        start = lsp.Position(line=0, character=0)
        return [lsp.Location(uri=from_fs_path(str(imported.resolve())), range=lsp.Range(start=start, end=start))]
    found = lookup(analysis, _text(ls, uri), position.line, position.character)
    return [_location(s) for s in found] or None


def completion(ls: PolicyServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    uri, position = params.text_document.uri, params.position
    prefix = prefix_at(_text(ls, uri), position.line, position.character)
    items = []
    for found in completions(ls.analysis(uri), prefix):
        if isinstance(found, str):
            items.append(lsp.CompletionItem(label=found, kind=lsp.CompletionItemKind.Keyword))
        else:
            items.append(lsp.CompletionItem(
                label=found.name, kind=_COMPLETION_KINDS.get(found.kind, lsp.CompletionItemKind.Text),
                detail=f"{found.kind}" + (f" 「{found.label}」" if found.label else ""),
                documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=found.detail)))
    return lsp.CompletionList(is_incomplete=False, items=items)


def document_symbols(ls: PolicyServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    analysis = ls.analysis(params.text_document.uri)
    mine = [s for s in analysis.symbols if Path(s.span.path).resolve() == Path(analysis.path).resolve()]
    result: list[lsp.DocumentSymbol] = []
    for symbol in mine:
        entry = lsp.DocumentSymbol(name=symbol.name, kind=_SYMBOL_KINDS.get(symbol.kind, lsp.SymbolKind.Object),
                                   range=span_range(symbol.span), selection_range=span_range(symbol.span),
                                   detail=symbol.label or symbol.kind, children=[])
        if symbol.kind in ("fact", "member") and result and result[-1].kind in (lsp.SymbolKind.Class,
                                                                                  lsp.SymbolKind.Enum):
            result[-1].children.append(entry)  # an entity's facts, an enumeration's members
        else:
            result.append(entry)
    return result


def formatting(ls: PolicyServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    uri = params.text_document.uri
    text = _text(ls, uri)
    try:
        formatted = format_text(text, to_fs_path(uri) or uri)
    except FormatError as err:
        ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=str(err)))
        return None
    if formatted == text:
        return []
    lines = text.split("\n")
    end = lsp.Position(line=len(lines), character=0)
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]


def make_server() -> PolicyServer:
    """A server with every feature registered (one per `policydsl lsp` process)."""
    ls = PolicyServer()
    ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)(did_open)
    ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    ls.feature(lsp.TEXT_DOCUMENT_DID_SAVE)(did_save)
    ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)(did_close)
    ls.feature(lsp.TEXT_DOCUMENT_HOVER)(hover)
    ls.feature(lsp.TEXT_DOCUMENT_DEFINITION)(definition)
    ls.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))(completion)
    ls.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(document_symbols)
    ls.feature(lsp.TEXT_DOCUMENT_FORMATTING)(formatting)
    return ls


def serve() -> int:
    make_server().start_io()
    return 0
