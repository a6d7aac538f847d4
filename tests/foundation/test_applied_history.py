"""Reading the applied commit from an update history (plain data, newest entry first)."""

from __future__ import annotations

from orchestrator.engines.applied import HistoryEntry, applied_from_history, update_message
from orchestrator.models import UpdateOrigin

SHA = "0123456789abcdef" * 2 + "01234567"
OTHER = "f" * 40


def test_the_newest_succeeded_update_decides_and_failures_refreshes_and_unfinished_runs_are_passed_over() -> None:
    history = [
        HistoryEntry("update", "in-progress", update_message(UpdateOrigin(OTHER, "deploy"))),
        HistoryEntry("update", "failed", update_message(UpdateOrigin(OTHER, "deploy", "r3"))),
        HistoryEntry("refresh", "succeeded", ""),
        HistoryEntry("update", "succeeded", update_message(UpdateOrigin(SHA, "reconcile", "r1"))),
        HistoryEntry("update", "succeeded", update_message(UpdateOrigin(OTHER, "deploy", "r0"))),
    ]
    applied = applied_from_history(history)
    assert applied is not None
    assert (applied.commit, applied.flow, applied.run_id) == (SHA, "reconcile", "r1")


def test_an_update_by_hand_counts_only_from_a_clean_checkout() -> None:
    clean = HistoryEntry("update", "succeeded", "fix by hand", {"git.head": SHA, "git.dirty": "false"})
    dirty = HistoryEntry("update", "succeeded", "fix by hand", {"git.head": SHA, "git.dirty": "true"})
    applied = applied_from_history([clean])
    assert applied is not None and (applied.commit, applied.flow, applied.recorded_by) == (SHA, "manual", "git.head")
    # A modified checkout applied code no commit holds: unknown, even though an older update named one.
    older = HistoryEntry("update", "succeeded", update_message(UpdateOrigin(OTHER, "deploy")))
    assert applied_from_history([dirty, older]) is None


def test_no_history_and_a_message_without_a_full_sha_name_nothing() -> None:
    assert applied_from_history([]) is None
    assert applied_from_history([HistoryEntry("update", "succeeded", "orchestrator deploy abc123")]) is None


def test_a_destroy_is_the_last_thing_a_stack_applied() -> None:
    applied = applied_from_history([HistoryEntry("destroy", "succeeded", update_message(UpdateOrigin(SHA, "deploy")))])
    assert applied is not None and applied.destroyed and applied.run_id is None
