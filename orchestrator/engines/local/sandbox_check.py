"""Whether the sandbox still holds what state records (see `SandboxCheck`)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from orchestrator.engines.base import Diagnostic
from orchestrator.engines.local.provider_lookup import Providers
from orchestrator.engines.local.state import ResourceState, Snapshot
from orchestrator.engines.local.urn import parse_urn


class SandboxCheck:
    """Whether the sandbox still holds what state records. The embedded AWS keeps
    everything in memory, so a restarted sandbox has forgotten every resource; without this
    check a preview would show "no changes" for objects that are gone. Runs beside the
    program; a few reads, and a full census only when one of them misses."""

    SAMPLE = 3

    def __init__(self, snapshot: Snapshot, providers: Providers, endpoint_label: str) -> None:
        self._resources = [
            r for r in snapshot.resources
            if r.custom and not r.external and not r.delete and r.type.startswith("aws:")
        ]
        self._providers = providers
        self._label = endpoint_label
        self._missing: list[str] = []
        self._thread = threading.Thread(target=self._run, name="sandbox-check", daemon=True)

    def start(self) -> SandboxCheck:
        if self._resources:
            self._thread.start()
        return self

    def _exists(self, res: ResourceState) -> bool:
        try:
            provider = self._providers.get(res.type, res.provider)
            return provider.read(res.urn, res.id, res.inputs, res.outputs) is not None
        except Exception:
            return True  # unknown: the step itself will report a real failure

    def _run(self) -> None:
        if all(self._exists(r) for r in self._resources[: self.SAMPLE]):
            return
        with ThreadPoolExecutor(max_workers=8) as pool:
            present = list(pool.map(self._exists, self._resources))
        self._missing = [r.urn for r, ok in zip(self._resources, present, strict=True) if not ok]

    def diagnostic(self, timeout: float = 60.0) -> Diagnostic | None:
        if self._thread.is_alive() or self._thread.ident is not None:
            self._thread.join(timeout)
        if not self._missing:
            return None
        names = ", ".join(parse_urn(u).name for u in self._missing[:5])
        more = f" and {len(self._missing) - 5} more" if len(self._missing) > 5 else ""
        return Diagnostic(
            "warning",
            f"state records {len(self._missing)} of {len(self._resources)} AWS resources that the "
            f"sandbox ({self._label}) does not have: {names}{more}. The sandbox keeps everything in "
            "memory, so it was probably restarted and has forgotten them; this preview treats them "
            "as existing. Run `orchestrator stack drift` to list them, then destroy the stack (or "
            "delete its state) and update again to re-create them.",
        )
