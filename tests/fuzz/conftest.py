"""Hypothesis profiles for the fuzzing tests.

`bounded` (the default, in `make test`): a fixed seed and a few dozen examples per target, so
the default run stays fast and repeatable. `long` (`make fuzz`, ORCHESTRATOR_FUZZ_PROFILE=long):
thousands of examples per target, a fresh seed each run; a failure prints the example and
the `@reproduce_failure` line to replay it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
            HealthCheck.filter_too_much]

settings.register_profile("bounded", max_examples=40, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_SLOW_OK, print_blob=True)
settings.register_profile("long", max_examples=int(os.environ.get("ORCHESTRATOR_FUZZ_EXAMPLES", "2000")),
                          deadline=None, database=None, suppress_health_check=_SLOW_OK, print_blob=True)
settings.load_profile(os.environ.get("ORCHESTRATOR_FUZZ_PROFILE", "bounded"))
