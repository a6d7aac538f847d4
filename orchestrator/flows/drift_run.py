"""What one drift run is asked to do, and what its steps share once it has started."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orchestrator.config.resolved import RepoConfig
from orchestrator.execute import OnEvent
from orchestrator.flows.checkouts import EngineFactory
from orchestrator.store.api import Store
from orchestrator.vcs.base import VcsClient

FORMATS = ("md", "json", "html")


@dataclass(frozen=True)
class DriftRequest:
    repo: Path
    environments: tuple[str, ...] = ()  # empty: every environment
    projects: tuple[str, ...] = ()  # empty: every project
    due: bool = False  # only environments whose drift.schedule fell due since their last run
    formats: tuple[str, ...] = FORMATS
    out_dir: Path | None = None  # default <repo>/.orchestrator/reports/drift
    remediate: bool = False  # also for environments without drift.remediate (never protected ones)
    everything: bool = False  # reports list every finding, not only what changed (--all)
    actor: str = field(default_factory=getpass.getuser)
    concurrency: int | None = None
    now: datetime | None = None  # the run's clock (tests); default: now
    environ: Mapping[str, str] | None = None  # where webhook URLs are looked up; default os.environ


@dataclass(frozen=True)
class DriftRun:
    """A started drift run: the checks and the remediation work in its name, at `commit`."""

    request: DriftRequest
    config: RepoConfig
    store: Store
    vcs: VcsClient | None
    commit: str  # HEAD when the run started
    run_id: str
    engine_factory: EngineFactory
    on_event: OnEvent | None

    @property
    def actor(self) -> str:
        return self.request.actor
