"""How many past runs' reports stay under `.orchestrator/reports`: each report name (`deploy-pr7`,
`drift-report`, ...) keeps its latest copy and the files of its newest `KEEP_RUNS` runs; older
run files are removed as a new one is written, so a long-lived checkout (a server, a CI cache)
does not fill its disk. The run store and the pull request keep the record; a report written
to a directory the user chose (`drift --out`) is never pruned.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from pathlib import Path

KEEP_RUNS = 20

# `<name>-<run id>.<ext>`, the run id as `store.api.new_run_id` makes it (sortable by time).
_RUN_FILE = re.compile(r"^(?P<name>.+)-(?P<run>\d{8}-\d{6}-[0-9a-f]{8})(?P<ext>\.[a-z]+)$")


def prune_runs(directory: Path, *, keep: int = KEEP_RUNS) -> list[Path]:
    """Remove all but the newest `keep` run files of each report name in `directory`; returns
    what was removed. Files not named like a run's report are left alone."""
    runs: defaultdict[tuple[str, str], list[tuple[str, Path]]] = defaultdict(list)
    for path in directory.glob("*-*.*"):
        match = _RUN_FILE.match(path.name)
        if match and path.is_file():
            runs[(match["name"], match["ext"])].append((match["run"], path))
    removed = []
    for found in runs.values():
        for _, path in sorted(found)[:-keep] if keep > 0 else sorted(found):
            with contextlib.suppress(FileNotFoundError):  # another run pruned it first
                path.unlink()
                removed.append(path)
    return removed


def is_our_reports_directory(directory: Path) -> bool:
    """`<repo>/.orchestrator/reports` or a folder of it: ours to prune."""
    parts = directory.parts
    return ".orchestrator" in parts and "reports" in parts[parts.index(".orchestrator") :]
