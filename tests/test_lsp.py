"""`policydsl lsp` end to end: a pygls client talks to the server over stdio, as an editor does."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

SCHEMA = """\
policy taxwatch
entity firm "企业"
  static city "所在市": text
  yearly tax "纳税额": money
  yearly grade: A | B | C
outcome praised "表扬" is reward
outcome warned "警告" is sanction
"""
POLICY = """\
policy taxwatch
import "schema.pol"
parameter big_payer "大户标准": money = 100万元
value tax_growth "纳税增长" for firm: money = tax - previous(tax)
rule praise_big_payers
  implements taxwatch.1
  cite "一(二)" "纳税100万元以上的，予以表扬"
  for firm
  when tax >= big_payer and tax_growth > 0
  then praised
"""


class Session:
    """A running server and a client connected to it, with the diagnostics it has published."""

    def __init__(self, loop: asyncio.AbstractEventLoop, folder: Path):
        self.loop, self.folder = loop, folder
        self.client = LanguageClient("policydsl-tests", "1")
        # the last diagnostics published per document, with the version of the text they are about
        self.diagnostics: dict[str, tuple[int | None, list[lsp.Diagnostic]]] = {}
        self.versions: dict[str, int] = {}  # never reset, so that a late answer about an old text is not taken

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams):
            self.diagnostics[params.uri] = (params.version, params.diagnostics)

    def run(self, coroutine):
        # a bound, not a speed check: generous, since the suite may share a loaded machine
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, 180))

    def uri(self, name: str) -> str:
        return from_fs_path(str((self.folder / name).resolve()))

    def open(self, name: str, text: str) -> str:
        uri = self.uri(name)
        self.versions[uri] = self.versions.get(uri, 0) + 1
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="policydsl", version=self.versions[uri],
                                               text=text)))
        return list(self.wait_for_diagnostics(uri))

    def change(self, name: str, text: str) -> list[lsp.Diagnostic]:
        uri = self.uri(name)
        self.versions[uri] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        return list(self.wait_for_diagnostics(uri))

    def wait_for_diagnostics(self, uri: str) -> list[lsp.Diagnostic]:
        """The diagnostics of the version last sent: earlier publications (of an older text) are passed over."""
        async def wait():
            while self.diagnostics.get(uri, (None, None))[0] != self.versions[uri]:
                await asyncio.sleep(0.02)
            return self.diagnostics[uri][1]
        return self.run(wait())

    def position(self, name: str, needle: str, offset: int = 0) -> tuple[str, lsp.Position]:
        text = (self.folder / name).read_text(encoding="utf-8")
        index = text.index(needle) + offset
        line = text[:index].count("\n")
        return self.uri(name), lsp.Position(line=line, character=index - (text[:index].rfind("\n") + 1))


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workspace")
    (folder / "schema.pol").write_text(SCHEMA, encoding="utf-8")
    (folder / "policy.pol").write_text(POLICY, encoding="utf-8")
    loop = asyncio.new_event_loop()
    s = Session(loop, folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    s.run(s.client.start_io(sys.executable, "-m", "policydsl", "lsp", cwd=str(ROOT), env=env))
    s.run(s.client.initialize_async(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(folder)))))
    s.client.initialized(lsp.InitializedParams())
    yield s
    s.run(s.client.shutdown_async(None))
    s.client.exit(None)
    s.run(s.client.stop())
    loop.close()


def test_a_clean_document_has_no_diagnostics(session):
    assert session.open("policy.pol", POLICY) == []


def test_diagnostics_as_you_type_carry_the_command_line_codes_and_messages(session):
    session.open("policy.pol", POLICY)
    found = session.change("policy.pol", POLICY.replace("tax_growth > 0", "tax_growht > 0"))
    [unknown] = [d for d in found if d.code == "E201"]
    assert "tax_growht" in unknown.message and "did you mean `tax_growth`" in unknown.message
    assert unknown.severity == lsp.DiagnosticSeverity.Error
    assert unknown.range.start == lsp.Position(line=8, character=28)
    found = session.change("policy.pol", POLICY.replace("tax_growth > 0", "tax < 50"))
    [never] = [d for d in found if d.code == "W101"]
    assert never.severity == lsp.DiagnosticSeverity.Warning and "can never hold" in never.message
    assert session.change("policy.pol", POLICY) == []


def test_hover_shows_a_facts_label_type_and_unit(session):
    session.open("policy.pol", POLICY)
    uri, position = session.position("policy.pol", "tax >= big_payer", 1)
    hover = session.run(session.client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)))
    text = hover.contents.value
    assert "firm.tax" in text and "纳税额" in text and "money" in text and "万元" in text and "year" in text


def test_hover_shows_a_derived_values_definition_and_a_rules_catalogue_id_clause_and_quote(session):
    session.open("policy.pol", POLICY)
    uri, position = session.position("policy.pol", "tax_growth > 0", 2)
    value = session.run(session.client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position))).contents.value
    assert "tax_growth = tax - previous(tax)" in value and "纳税增长" in value
    uri, position = session.position("policy.pol", "praise_big_payers", 3)
    rule = session.run(session.client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position))).contents.value
    assert "taxwatch.1" in rule and "一(二)" in rule and "纳税100万元以上的，予以表扬" in rule


def test_go_to_definition_crosses_into_the_imported_file(session):
    session.open("policy.pol", POLICY)
    uri, position = session.position("policy.pol", "then praised", 6)
    [location] = session.run(session.client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)))
    assert location.uri == session.uri("schema.pol") and location.range.start.line == 5
    uri, position = session.position("policy.pol", '"schema.pol"', 2)
    [location] = session.run(session.client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)))
    assert location.uri == session.uri("schema.pol")


def test_completion_offers_the_names_in_scope(session):
    session.open("policy.pol", POLICY)
    uri, position = session.position("policy.pol", "tax_growth > 0", 3)  # after `tax`
    found = session.run(session.client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)))
    labels = {item.label for item in found.items}
    assert {"tax", "tax_growth"} <= labels and "praised" not in labels
    tax = next(item for item in found.items if item.label == "tax")
    assert tax.kind == lsp.CompletionItemKind.Field and "纳税额" in tax.detail


def test_document_symbols_list_the_declarations_of_the_document(session):
    session.open("schema.pol", SCHEMA)
    symbols = session.run(session.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=session.uri("schema.pol")))))
    by_name = {s.name: s for s in symbols}
    assert {"taxwatch", "firm", "praised", "warned"} <= set(by_name)
    assert [c.name for c in by_name["firm"].children] == ["city", "tax", "grade"]
    assert by_name["firm"].kind == lsp.SymbolKind.Class


def test_formatting_goes_through_fmt(session):
    messy = "policy taxwatch\nimport   \"schema.pol\"\nparameter  big_payer:money=100万元  # kept\n"
    session.open("messy.pol", messy)
    edits = session.run(session.client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=session.uri("messy.pol")),
        options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))))
    [edit] = edits
    assert edit.new_text == textwrap.dedent("""\
        policy taxwatch
        import "schema.pol"
        parameter big_payer: money = 100万元  # kept
        """)


def test_an_import_outside_the_workspace_is_e004_as_in_check_and_is_not_followed(session):
    """The editor says what `check` of the workspace says: the import is refused, and nothing of
    the file outside (here a policy the workspace does not hold) is read for definitions."""
    outside = session.folder.parent / "outside.pol"
    outside.write_text(SCHEMA.replace("policy taxwatch", "policy elsewhere"), encoding="utf-8")
    (session.folder / "inner").mkdir(exist_ok=True)
    text = 'policy reach\nimport "../../outside.pol"\n'
    (session.folder / "inner" / "reach.pol").write_text(text, encoding="utf-8")
    [refused] = [d for d in session.open("inner/reach.pol", text) if d.code == "E004"]
    assert "reaches outside the folders being loaded" in refused.message and refused.range.start.line == 1
    uri, position = session.position("inner/reach.pol", '"../../outside.pol"', 3)
    found = session.run(session.client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)))
    assert not found


@pytest.mark.parametrize("schema, code", [
    (SCHEMA.replace("yearly tax \"纳税额\": money", "yearly tax \"纳税额\": monye"), "E213"),
    (SCHEMA.replace("entity firm", "entity firm firm"), "E101"),
    (None, "E002"),
])
def test_an_imported_file_with_errors_is_said_on_the_import_line_not_shown_clean(tmp_path, schema, code):
    """`check` fails on the imported file's error; the editor showed the importing document clean."""
    from policydsl.tools.lsp.analysis import analyse

    if schema is None:
        (tmp_path / "schema.pol").write_bytes(SCHEMA.encode("gb18030"))
    else:
        (tmp_path / "schema.pol").write_text(schema, encoding="utf-8")
    found = analyse(str(tmp_path / "policy.pol"), POLICY, {}, folders=(str(tmp_path),))
    assert [(d.code, d.span.line) for d in found.diagnostics if d.is_error][:1] == [(code, 2)]
    assert found.diagnostics[0].message.startswith("in `schema.pol")
