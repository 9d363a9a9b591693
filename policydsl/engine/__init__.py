"""The engine: graph, plan, data loading, evaluation, explanation."""
