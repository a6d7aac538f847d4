"""Where moto, the embedded AWS, refuses what AWS accepts: each gap closed the way AWS behaves.

Applied once per process before the sandbox's moto server starts (it patches moto's backends,
which are global to the process). Each module of this package closes the gaps of one service and
names the AWS behaviour it restores; the rest of moto is used as it is. A new gap: a module here
with one `close()` function, added to `_SERVICES`.
"""

from __future__ import annotations

import threading

from orchestrator.sandbox_gaps import acm, apigateway, appsync, cloudfront, ec2, ecs, glue, redshift

_APPLIED = threading.Event()
_LOCK = threading.Lock()

_SERVICES = (apigateway, acm, ec2, ecs, glue, redshift, cloudfront, appsync)


def close_gaps() -> None:
    """Patch moto once per process (idempotent, thread-safe)."""
    with _LOCK:
        if _APPLIED.is_set():
            return
        for service in _SERVICES:
            service.close()
        _APPLIED.set()
