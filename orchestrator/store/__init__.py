"""The run store: runs, per-stack results, the audit log, lock leases, promotions.

`open_store` picks the database: $ORCHESTRATOR_DATABASE_URL, else `database` from
orchestrator.yaml, else SQLite at `<repo>/.orchestrator/orchestrator.db`. SQLAlchemy is
imported only when a store is opened, so importing this package stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.store.urls import DEFAULT_RELATIVE_PATH, ENV_VAR, choose_url, mask_password

if TYPE_CHECKING:
    from orchestrator.store.sql import SqlStore

__all__ = ["DEFAULT_RELATIVE_PATH", "ENV_VAR", "choose_url", "mask_password", "open_store"]


def open_store(settings_database_url: str | None, repo_root: Path) -> SqlStore:
    """The store for the repository at `repo_root`, its tables created if missing."""
    from orchestrator.store.sql import SqlStore

    explicit = os.environ.get(ENV_VAR, "").strip() or (settings_database_url or "").strip()
    if not explicit:
        # The default location is ours to create; an explicit one must exist.
        (repo_root / DEFAULT_RELATIVE_PATH).parent.mkdir(parents=True, exist_ok=True)
    return SqlStore(choose_url(settings_database_url, repo_root))
