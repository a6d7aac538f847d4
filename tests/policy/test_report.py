"""Policy results in reports, from plain data: identical violations across environments are shown
once (as identical changes are), different ones per environment; mandatory first; the commit
status of a stack names the mandatory policy; `StackResult` JSON carries the violations."""

from __future__ import annotations

from dataclasses import replace

from orchestrator.engines.base import PolicyViolation, result_from_json
from orchestrator.flows.publish import status_of
from orchestrator.report.comment import StackOutcome, render_comment
from tests.report.factory import change, model, outcome, result


def _violations(env: str, *, extra: bool = False) -> list[PolicyViolation]:
    found = [
        PolicyViolation("aws-guard", "standard-tags", "advisory", f"{env}-reports-exports lacks the tag Owner",
                        f"urn:pulumi:{env}::reports::aws:s3/bucket:Bucket::{env}-reports-exports"),
        PolicyViolation("aws-guard", "iam-no-wildcard-admin", "mandatory", "allows *:*",
                        f"urn:pulumi:{env}::reports::aws:iam/role:Role::{env}-reports-exporter"),
    ]
    if extra:
        found.append(PolicyViolation("prod-guard", "s3-buckets-versioned", "mandatory", "no versioning",
                                     f"urn:pulumi:{env}::reports::aws:s3/bucket:Bucket::{env}-reports-exports"))
    return found


def _stack(env: str, *, extra: bool = False) -> StackOutcome:
    created = [change("reports", env, "aws:s3/bucket:Bucket", f"{env}-reports-exports", "create")]
    return outcome(result("reports", env, created, status="failed", violations=_violations(env, extra=extra),
                          error="1 mandatory policy violation"))


def test_stacks_failed_by_the_same_violations_share_one_section() -> None:
    rendered = render_comment(model([_stack("qa"), _stack("uat"), _stack("prod", extra=True)]))
    markdown = rendered.markdown
    assert "Same changes in qa, uat (shown for qa" in markdown
    assert markdown.count("| **mandatory** | aws-guard/iam-no-wildcard-admin |") == 2  # qa (for uat too), prod
    assert markdown.count("| **mandatory** | prod-guard/s3-buckets-versioned |") == 1


def test_a_failure_besides_the_policies_keeps_its_stack_apart() -> None:
    other = _stack("uat")
    broken = outcome(replace(other.result, error="1 mandatory policy violation; and the program raised"))
    markdown = render_comment(model([_stack("qa"), broken], environments=("qa", "uat"))).markdown
    assert "Same changes in" not in markdown


def test_identical_violations_across_environments_are_shown_once() -> None:
    def ok(env: str, extra: bool = False) -> StackOutcome:
        advisory = [v for v in _violations(env, extra=extra) if v.enforcement == "advisory"]
        if extra:
            advisory.append(PolicyViolation("aws-guard", "s3-no-public-access", "advisory", "public", None))
        created = [change("reports", env, "aws:s3/bucket:Bucket", f"{env}-reports-exports", "create")]
        return outcome(result("reports", env, created, violations=advisory))

    markdown = render_comment(model([ok("qa"), ok("uat"), ok("prod", extra=True)])).markdown
    assert "Same changes in qa, uat (shown for qa" in markdown
    assert markdown.count("| advisory | aws-guard/standard-tags | qa-reports-exports |") == 1
    assert "uat-reports-exports" not in markdown
    assert markdown.count("| advisory | aws-guard/standard-tags | prod-reports-exports |") == 1
    assert "| advisory | aws-guard/s3-no-public-access | (stack) | public |" in markdown


def test_mandatory_violations_are_listed_first() -> None:
    markdown = render_comment(model([_stack("qa")])).markdown
    assert markdown.index("| **mandatory** |") < markdown.index("| advisory |")


def test_a_stack_failed_by_policy_has_a_status_naming_it() -> None:
    failed = result("reports", "qa", status="failed", violations=_violations("qa", extra=True), error="...")
    assert status_of(failed) == (
        "failure", "mandatory policies violated: iam-no-wildcard-admin (aws-guard), s3-buckets-versioned (prod-guard)")
    advisory_only = result("reports", "qa", violations=_violations("qa")[:1])
    assert status_of(advisory_only)[0] == "success"


def test_violations_survive_the_results_json_of_matrix_jobs() -> None:
    original = result("reports", "qa", status="failed", violations=_violations("qa"))
    assert result_from_json(original.to_json()).policy_violations == original.policy_violations
