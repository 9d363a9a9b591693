"""Tools around the engine: scenario tests and catalogue coverage."""
