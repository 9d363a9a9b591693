"""policydsl: assessment policy as code, with every outcome traced to its rule, facts and clause.

    import policydsl
    policies = policydsl.load("policies/")           # raises PolicyError with diagnostics
    result = policies.evaluate({"enterprise": [...]})  # the JSON mapping of `--data`, or a Dataset
    for decision in result.decisions: ...
    print(policydsl.explanation_text(result.explain("E03", "enterprise_yellow_card_warning", "2019")))
"""

from policydsl.api import EXECUTORS, Compiled, PolicySet, Result, SelectionError, compile_paths, load
from policydsl.diagnostics import BatchError, DataError, Diagnostic, PolicyError
from policydsl.engine.evaluate import Decision
from policydsl.engine.explain import ExplainError, Explanation
from policydsl.render import decisions_json, explanation_json, explanation_text

__all__ = [
    "BatchError", "Compiled", "DataError", "Decision", "Diagnostic", "ExplainError", "Explanation", "PolicyError",
    "PolicySet", "EXECUTORS", "Result", "SelectionError", "compile_paths", "decisions_json", "explanation_json", "explanation_text",
    "load", "long_from_wide",
]
__version__ = "0.1.0"


def long_from_wide(frame, *, id_column: str, periods, fact: str):
    """Reshape a wide table (one column per period) into long rows: see engine/columnar/frames_in.py."""
    from policydsl.engine.columnar.frames_in import long_from_wide as reshape
    return reshape(frame, id_column=id_column, periods=periods, fact=fact)
