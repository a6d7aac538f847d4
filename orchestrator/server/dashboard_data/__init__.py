"""What the dashboard shows, read from the store: the stack matrix (`matrix`), filtered run
history and a run's detail (`runs`), the locks and the one write, releasing a lock (`locks`).

Read-only queries on the store's tables (through `SqlStore.transaction`, so SQLite's locking
and the clear connection errors apply). Values are frozen dataclasses; rendering is in
dashboard.py and templates/.
"""

from orchestrator.server.dashboard_data.locks import LockView, Released, lock_views, release_lock
from orchestrator.server.dashboard_data.matrix import (
    DEPLOYING_FLOWS,
    Cell,
    DriftState,
    DriftStatus,
    EnvironmentColumn,
    Matrix,
    drift_states,
    latest_gate_blocks,
    latest_results,
    load_matrix,
)
from orchestrator.server.dashboard_data.runs import (
    FLOWS,
    PAGE_SIZE,
    RUN_STATUSES,
    RunDetail,
    RunFilters,
    RunPage,
    RunRow,
    filter_choices,
    load_run,
    load_runs,
    stack_order,
)

__all__ = [
    "DEPLOYING_FLOWS",
    "FLOWS",
    "PAGE_SIZE",
    "RUN_STATUSES",
    "Cell",
    "DriftState",
    "DriftStatus",
    "EnvironmentColumn",
    "LockView",
    "Matrix",
    "Released",
    "RunDetail",
    "RunFilters",
    "RunPage",
    "RunRow",
    "drift_states",
    "filter_choices",
    "latest_gate_blocks",
    "latest_results",
    "load_matrix",
    "load_run",
    "load_runs",
    "lock_views",
    "release_lock",
    "stack_order",
]
