"""Runs the project's program under the engine's monitor, as `pulumi up` runs it under
the engine: one event loop, the SDK's worker threads bringing registrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from orchestrator.engines.local.deployment import Deployment
from orchestrator.engines.local.invokes import Invokes
from orchestrator.engines.local.job import Job
from orchestrator.engines.local.monitor import make_monitor
from orchestrator.engines.local.provider_lookup import Providers
from orchestrator.engines.local.registration import StepFailed


def _program_traceback(exc: BaseException, project_dir: Path) -> str:
    """The traceback of a program failure, trimmed to the program's own frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if str(Path(f.filename).resolve()).startswith(str(project_dir.resolve()))]
    lines = ["Traceback (most recent call last):\n"]
    lines.extend(traceback.format_list(own or frames))
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(lines).rstrip()


def _patch_output_wait() -> None:
    """Make the SDK wait for its outstanding outputs in O(n), not O(n) per completion.

    `pulumi.runtime.stack.wait_for_rpcs` waits with `asyncio.wait(all, FIRST_COMPLETED)` in
    a loop, registering a callback on every pending output each time one completes. Under
    plain mocks outputs resolve at once, so it costs nothing; here steps take real time and
    complete one by one, and with 200 resources the main thread spent about half of a
    30-second update re-registering callbacks. Waiting with FIRST_EXCEPTION returns under
    the same conditions (all done, or one failed) with one registration per round.
    """
    import asyncio as original

    from pulumi.runtime import stack as sdk_stack

    class _Asyncio:
        def __getattr__(self, name: str) -> Any:
            return getattr(original, name)

        @staticmethod
        async def wait(fs: Any, *, timeout: float | None = None, return_when: str = "ALL_COMPLETED") -> Any:
            if return_when == original.FIRST_COMPLETED and timeout is None:
                return_when = original.FIRST_EXCEPTION
            return await original.wait(fs, timeout=timeout, return_when=return_when)

    sdk_stack.__dict__["asyncio"] = _Asyncio()


def run_program(job: Job, deployment: Deployment, providers: Providers, config: dict[str, str],
                secret_keys: frozenset[str], *, dry_run: bool) -> str | None:
    """Run the program under our monitor; the program's error text, or None."""
    from pulumi.runtime import config as pc
    from pulumi.runtime import mocks as pm
    from pulumi.runtime import settings as ps
    from pulumi.runtime.stack import run_in_stack

    _patch_output_wait()
    if dry_run and job.previewed:
        from orchestrator.engines.local import stackref_outputs

        stackref_outputs.install()  # upstreams read from this plan's preview: known per output
    monitor = make_monitor(job, deployment, providers, Invokes(providers, deployment.note_unsupported))
    features: dict[str, Any] = {"feature_support": {}}
    if hasattr(monitor, "GetDeploymentInfo"):
        features = {"monitor_features": set(monitor.GetDeploymentInfo(None).supportedFeatures)}
    # else: an SDK older than GetDeploymentInfo (a program's own pinned pulumi) asks SupportsFeature.
    ps.configure(pm.MockSettings(  # type: ignore[no-untyped-call]
        monitor=monitor,
        engine=pm.MockEngine(logging.getLogger("pulumi")),
        project=job.project,
        stack=job.stack,
        dry_run=dry_run,
        organization="organization",
        callbacks=None,
        **features,
    ))
    ps.ROOT.set(None)
    pc.set_all_config(dict(config), sorted(secret_keys))
    os.environ["PULUMI_PROJECT"] = job.project
    os.environ["PULUMI_STACK"] = job.stack
    os.chdir(job.project_dir)
    sys.path.insert(0, str(job.program.parent))
    if job.program.parent != job.project_dir:
        sys.path.insert(1, str(job.project_dir))

    errors: list[str] = []

    def program() -> None:
        import runpy

        try:
            runpy.run_path(str(job.program), run_name="__main__")
        except StepFailed:
            raise
        except BaseException as exc:
            errors.append(_program_traceback(exc, job.project_dir))
            raise

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SDK sends each registration from this pool: its size bounds parallel steps.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=max(job.parallel, 2) + 2))
    try:
        loop.run_until_complete(run_in_stack(program))
    except BaseException as exc:
        if deployment.failure is None and not errors:
            errors.append(_program_traceback(exc, job.project_dir))
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_default_executor())
    if deployment.failure is not None:
        return deployment.failure
    return errors[0] if errors else None
