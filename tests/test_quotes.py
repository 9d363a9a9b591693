"""Every sentence the shipped policies quote occurs verbatim in its seed document.

The seeds live in `../shared/seeds/` relative to the repository root (their README maps short
names to files). Matching ignores whitespace (the PDF/web extraction breaks lines anywhere);
`……` separates non-adjacent fragments, each of which must occur, in order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policydsl.language import ast
from policydsl.language.build import build

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
FRAGMENT_SEPARATOR = "……"

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS}")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_texts() -> dict[str, str]:
    """Short name -> the seed document's text, whitespace removed (from the seeds' README table)."""
    readme = (SEEDS / "README.md").read_text(encoding="utf-8")
    found = {}
    for file_name, short_name in re.findall(r"^\|\s*(\S+\.txt)\s*\|\s*(\w+)\s*\|", readme, flags=re.M):
        found[short_name] = _squeeze((SEEDS / file_name).read_text(encoding="utf-8"))
    return found


def policy_quotes() -> list[tuple[str, str, str]]:
    """(policy, `path:line`, quote) for every quoted sentence in policies/."""
    built = build([ROOT / "policies"])
    assert not built.diagnostics
    quotes = []
    for module in built.modules:
        policy = next((d.name for d in module.declarations if isinstance(d, ast.PolicyDecl)), None)
        for decl in module.declarations:
            where = f"{Path(module.path).relative_to(ROOT)}:{decl.span.line}"
            if isinstance(decl, ast.PolicyDecl):
                quotes += [(policy, f"{Path(module.path).relative_to(ROOT)}:{item.span.line}", item.value)
                           for item in decl.meta if item.key.endswith("quote")]
            elif getattr(decl, "quote", None):
                quotes.append((policy, where, decl.quote))
    return quotes


def missing_fragments(quote: str, seed: str) -> list[str]:
    """The fragments of a quote that do not occur in the seed, in order after the previous one."""
    missing, position = [], 0
    for fragment in (_squeeze(f) for f in quote.split(FRAGMENT_SEPARATOR)):
        if not fragment:
            continue
        found = seed.find(fragment, position)
        if found < 0:
            missing.append(fragment)
        else:
            position = found + len(fragment)
    return missing


def test_fragments_are_matched_whitespace_insensitively_and_in_order():
    seed = _squeeze("对列入 A 类、B 类的企业，\n给予优先扶持；对列入C类企业，加强重点监管")
    assert missing_fragments("对列入A类、B类的企业……加强重点监管", seed) == []
    assert missing_fragments("加强重点监管……对列入A类", seed) == ["对列入A类"]
    assert missing_fragments("对列入A类、B类企业", seed) == ["对列入A类、B类企业"]


def test_every_quote_in_the_shipped_policies_occurs_in_its_seed_document():
    seeds = seed_texts()
    assert set(seeds) >= {"zhoukou2017", "zhoukou2014", "henan2014", "xuchang2018", "kaifeng2014"}
    quotes = policy_quotes()
    assert len(quotes) > 100
    wrong = []
    for policy, where, quote in quotes:
        if policy not in seeds:
            wrong.append(f"{where}: policy `{policy}` has no seed document")
            continue
        for fragment in missing_fragments(quote, seeds[policy]):
            wrong.append(f"{where}: not in the {policy} seed: 「{fragment}」")
    assert not wrong, "\n".join(wrong)
