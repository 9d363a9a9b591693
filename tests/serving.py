"""A real `policydsl serve` process for the tests that need one (the load test, the SIGHUP reload, the
browser): `serve` (from bench/service_load.py) starts it on a free port and waits for its address
with a deadline, reading its output on a thread; `stop_server` stops it. Waits are bounded and
generous, since a test suite may share a loaded machine."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("service_load", ROOT / "bench" / "service_load.py")
service_load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(service_load)

serve = service_load.serve
stop_server = service_load.stop_server

# How long a test waits for a condition it polls (a reload, a page's answer): bounded, generous.
PATIENCE = 180.0
