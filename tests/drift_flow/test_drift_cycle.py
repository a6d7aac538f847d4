"""The drift flow over the sample stacks in qa, against moto, changing the cloud by hand.

One deployed environment goes through a drift's life: clean; a tag edited, versioning
suspended, a queue deleted, a bucket made by hand and an ignored tag (new, issue opened,
webhook told); the same run again (ongoing, nothing announced); an endpoint that fails
(errors, exit 1, nothing resolved); an acknowledgement and its end; the changes reverted
(resolved, issue closed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orchestrator.cli.drift import _print
from orchestrator.config.load import load_repository
from orchestrator.drift.issues import issue_marker
from orchestrator.drift.model import Finding
from orchestrator.drift.schedule import due_environments
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.flows.drift import DriftOutcome, DriftRequest, run_drift
from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox
from orchestrator.store import open_store
from orchestrator.store.drift import DriftStore
from orchestrator.store.sql import SqlStore
from orchestrator.vcs.files import FilesVcs
from tests.support.drift_repo import Clock, Webhook, make_repo
from tests.support.gitrepo import InfraRepo
from tests.support.sample import deploy_stacks
from tests.support.sandbox import Aws

ENV = "qa"
HOOK_VAR = "DRIFT_TEST_WEBHOOK"
HAND_MADE = "qa-hand-made-exports"


@dataclass
class Cycle:
    repo: InfraRepo
    aws: Aws
    store: SqlStore
    vcs: FilesVcs
    clock: Clock
    webhook: Webhook
    reports: Path
    outputs: dict[str, dict[str, Any]]

    def run(self, **options: Any) -> DriftOutcome:
        request = DriftRequest(
            repo=self.repo.root, environments=(ENV,), concurrency=3,
            now=options.pop("now", None) or self.clock.advance(hours=1),
            environ={HOOK_VAR: self.webhook.url}, out_dir=self.reports, actor="drift-bot", **options,
        )
        return run_drift(request, self.store, self.vcs)

    def issues(self) -> list[dict[str, Any]]:
        index: list[dict[str, Any]] = json.loads((self.vcs.out_dir / "issues.json").read_text())
        return index


@pytest.fixture(scope="module")
def cycle(sandbox: InProcessSandbox, webhook: Webhook, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cycle]:
    base = tmp_path_factory.mktemp("drift-cycle")
    repo = make_repo(base / "infra", (ENV,))
    # The sample's rule `tags*.LastScanned` covers both spellings pulumi-aws reports a tag set by
    # hand under (`tags` and `tagsAll`).
    assert '"aws:s3/bucket:Bucket:tags*.LastScanned"' in (repo.root / f"environments/{ENV}.yaml").read_text()
    with (repo.root / f"environments/{ENV}.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"notify:\n  webhook_url_env: {HOOK_VAR}\n")
    repo.commit("the sample infrastructure, qa only")
    deploy_stacks(repo.root, ENV)
    config = load_repository(repo.root)
    engine = LocalEngine()
    outputs = {p: engine.outputs(config.stack_spec(p, ENV)) for p in ("network", "data")}
    store = open_store(None, repo.root)
    yield Cycle(repo, Aws(sandbox.endpoint), store, FilesVcs(base / "vcs"), Clock(datetime(2100, 1, 1, 0, 30,
                tzinfo=UTC)), webhook, base / "reports", outputs)
    store.close()


def by_kind(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.kind, []).append(f)
    return out


def test_drift_life_cycle(cycle: Cycle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    aws, data, network = cycle.aws, cycle.outputs["data"], cycle.outputs["network"]
    bucket, table, queue_url = data["bucket_name"], data["table_name"], network["queue_url"]
    table_arn = aws.dynamodb.describe_table(TableName=table)["Table"]["TableArn"]

    # -- clean --------------------------------------------------------------------------------
    clean = cycle.run()
    assert clean.exit_code == 0, clean.failures
    assert clean.report.findings == ()
    assert [(s.stack, s.status) for s in clean.report.stacks] == [
        ("network/qa", "clean"), ("data/qa", "clean"), ("app/qa", "clean")
    ]
    assert all(s.resources_checked > 0 for s in clean.report.stacks)
    (scan,) = clean.report.scans
    assert scan.error is None and scan.scanned >= 5, "the stacks' own bucket, queue, table, parameter and role"
    assert [i.action for i in clean.issues] == ["none"] and cycle.webhook.received == []
    run = clean.report.run_id
    assert sorted(p.name for p in clean.report_paths) == [f"drift-report-{run}.{f}" for f in ("html", "json", "md")]
    assert all((p.parent / f"drift-report{p.suffix}").read_text() == p.read_text() for p in clean.report_paths)

    # -- the cloud changed by hand ---------------------------------------------------------------
    aws.dynamodb.tag_resource(ResourceArn=table_arn, Tags=[{"Key": "Component", "Value": "edited-by-hand"}])
    aws.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    tags = aws.s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    aws.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [*tags, {"Key": "LastScanned", "Value": "today"}]})
    aws.sqs.delete_queue(QueueUrl=queue_url)
    aws.s3.create_bucket(Bucket=HAND_MADE)

    found = cycle.run()
    assert found.exit_code == 2, found.failures
    kinds = by_kind(found.report.findings)
    assert sorted(kinds) == ["deleted", "drifted", "unmanaged"]
    assert {f.state for f in found.report.findings} == {"new"}
    drifted = {f.type: f for f in kinds["drifted"]}
    assert sorted(drifted) == ["aws:dynamodb/table:Table", "aws:s3/bucketVersioning:BucketVersioning"]
    assert [(d.path, d.old, d.new) for d in drifted["aws:dynamodb/table:Table"].diffs] == [
        ("tags.Component", "records", "edited-by-hand"), ("tagsAll.Component", "records", "edited-by-hand")
    ]
    assert [(d.path, d.old, d.new) for d in drifted["aws:s3/bucketVersioning:BucketVersioning"].diffs] == [
        ("versioningConfiguration.status", "Enabled", "Suspended")
    ]
    (gone,) = kinds["deleted"]
    assert (gone.type, gone.stack) == ("aws:sqs/queue:Queue", "network/qa")
    (hand,) = kinds["unmanaged"]
    assert (hand.name, hand.resource_id, hand.stack) == (HAND_MADE, f"arn:aws:s3:::{HAND_MADE}", None)
    assert found.report.ignored == 2, "tags.LastScanned and tagsAll.LastScanned on the bucket"
    assert not any(f.type == "aws:s3/bucket:Bucket" and f.kind == "drifted" for f in found.report.findings)
    assert {s.stack: s.status for s in found.report.stacks} == {
        "network/qa": "drifted", "data/qa": "drifted", "app/qa": "clean"
    }
    (opened,) = found.issues
    assert opened.action == "opened" and opened.number == 1
    (issue,) = cycle.issues()
    assert (issue["marker"], issue["state"]) == (issue_marker(ENV), "open")
    body = (cycle.vcs.out_dir / "issues" / "1.md").read_text()
    assert body.startswith(issue_marker(ENV)) and gone.key in body and HAND_MADE in body
    (told,) = cycle.webhook.received
    assert "4 new" in told["text"] and HAND_MADE in told["text"]
    assert [(n.sent, n.new, n.resolved) for n in found.notifications] == [(True, 4, 0)]
    report_json = json.loads((cycle.reports / "drift-report.json").read_text())
    assert {f["kind"] for f in report_json["findings"]} == {"drifted", "deleted", "unmanaged"}
    assert {f["key"] for f in report_json["findings"]} == {f.key for f in found.report.findings}
    # The key `drift ack` takes is shown with each finding in the Markdown report and on the terminal.
    markdown = (cycle.reports / "drift-report.md").read_text()
    _print(found)
    printed = capsys.readouterr().out
    for finding in found.report.findings:
        assert f"<sub>key `{finding.key}` (for `orchestrator drift ack`)</sub>" in markdown
        assert f"key: {finding.key}" in printed
    secret = cycle.webhook.url
    for text in [json.dumps(found.to_json(), default=str), *(p.read_text() for p in found.report_paths), body]:
        assert secret not in text and "s3cr3tW3bh00kT0ken" not in text

    # -- the same run again: ongoing, nothing announced -----------------------------------------
    again = cycle.run()
    assert again.exit_code == 2
    assert {f.key: f.state for f in again.report.findings} == {f.key: "ongoing" for f in found.report.findings}
    assert all(f.first_seen == found.report.generated_at for f in again.report.findings)
    assert [(i.action, i.number) for i in again.issues] == [("updated", 1)]
    assert again.notifications == () and len(cycle.webhook.received) == 1

    # -- an endpoint that fails: errors, not drift; nothing resolves --------------------------------
    with monkeypatch.context() as patch:
        patch.setenv(ENDPOINT_ENV, "http://127.0.0.1:9")  # nothing listens on the discard port
        broken = cycle.run()
    assert broken.exit_code == 1
    assert {s.stack: s.status for s in broken.report.stacks} == {
        "network/qa": "error", "data/qa": "error", "app/qa": "clean"  # app renders Kubernetes files, no AWS
    }
    assert broken.report.scans[0].error and "127.0.0.1:9" in broken.report.scans[0].error
    assert {(f.kind, f.state) for f in broken.report.findings} == {("error", "new")}, (
        "previous drift is neither resolved nor re-reported"
    )
    stored = DriftStore(cycle.store).findings(environments=[ENV], active_only=True)
    assert {f.key for f in found.report.findings} <= set(stored), "the drift stays remembered"
    assert any("cannot be reached" in (f.message or "") for f in broken.report.findings)

    # -- acknowledged: not reported as new; back when --until passes ------------------------------
    table_finding = drifted["aws:dynamodb/table:Table"]
    until = (cycle.clock.now + timedelta(days=1)).date().isoformat()
    ack = CliRunner().invoke(
        _drift_group(),
        ["ack", table_finding.key, "--reason", "tag fixed in the next release", "--until", until,
         "--actor", "alice", "--repo", str(cycle.repo.root)],
    )
    assert ack.exit_code == 0, ack.output
    assert table_finding.key in ack.output
    acked = cycle.run()
    assert acked.exit_code == 2
    states_now = {f.key: f.state for f in acked.report.findings}
    assert states_now[table_finding.key] == "acknowledged"
    mine = next(f for f in acked.report.findings if f.key == table_finding.key)
    assert (mine.acknowledged_by, mine.acknowledged_reason) == ("alice", "tag fixed in the next release")
    assert {f.state for f in acked.report.findings if f.kind == "error"} == {"resolved"}, "the endpoint is back"
    assert [f for f in acked.report.findings if f.state == "new"] == []
    expired = cycle.run(now=cycle.clock.advance(days=3))
    assert {f.key: f.state for f in expired.report.findings}[table_finding.key] == "new"
    assert "1 new" in cycle.webhook.received[-1]["text"]

    # -- reverted: resolved, issue closed ---------------------------------------------------------
    aws.dynamodb.tag_resource(ResourceArn=table_arn, Tags=[{"Key": "Component", "Value": "records"}])
    aws.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    _recreate_queue(cycle, queue_url)
    aws.s3.delete_bucket(Bucket=HAND_MADE)
    resolved = cycle.run()
    assert resolved.exit_code == 0, resolved.failures
    assert {f.key: f.state for f in resolved.report.findings} == {f.key: "resolved" for f in found.report.findings}
    assert resolved.report.ignored == 2, "the LastScanned tag is still there, still ignored"
    assert [(i.action, i.number) for i in resolved.issues] == [("closed", 1)]
    (issue,) = cycle.issues()
    assert issue["state"] == "closed" and "resolved" in issue["comments"][-1]
    assert "4 resolved" in cycle.webhook.received[-1]["text"]

    # -- the command line, once all is back: no findings, exit code 0 -------------------------------
    cli = CliRunner().invoke(_drift_group(), ["--repo", str(cycle.repo.root), "--env", ENV, "--json",
                                              "--format", "json", "--out", str(cycle.reports / "cli")])
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.output)
    assert printed["exit_code"] == 0 and printed["report"]["findings"] == []
    assert (cycle.reports / "cli" / "drift-report.json").exists()


def test_due_runs_only_when_the_schedule_fell_due(cycle: Cycle) -> None:
    t1 = datetime(2100, 2, 1, 1, 0, tzinfo=UTC)
    DriftStore(cycle.store).record_run([ENV], at=t1, run_id=None)  # as if the last check ran at 01:00
    early = cycle.run(now=datetime(2100, 2, 1, 3, 0, tzinfo=UTC), due=True)
    assert early.run_id is None and early.exit_code == 0
    assert early.not_due == {ENV: "2100-02-01T06:00:00+00:00"}
    due = cycle.run(now=datetime(2100, 2, 1, 6, 0, tzinfo=UTC), due=True)
    assert due.run_id is not None and due.not_due == {}
    assert DriftStore(cycle.store).last_runs()[ENV] == datetime(2100, 2, 1, 6, 0, tzinfo=UTC)
    config = load_repository(cycle.repo.root)
    assert due_environments(config, [ENV], {}, t1) == ([ENV], {}), "never checked: due"


def _recreate_queue(cycle: Cycle, url: str) -> None:
    """The deleted queue made again with the name, attributes and tags state records."""
    state = json.loads((cycle.repo.root / ".orchestrator/state/.pulumi/stacks/network/qa.json").read_text())
    queue = next(r for r in state["checkpoint"]["latest"]["resources"] if r["type"] == "aws:sqs/queue:Queue")
    out = queue["outputs"]
    cycle.aws.sqs.create_queue(
        QueueName=url.rsplit("/", 1)[1],
        Attributes={
            "MessageRetentionPeriod": str(out["messageRetentionSeconds"]),
            "VisibilityTimeout": str(out["visibilityTimeoutSeconds"]),
            "SqsManagedSseEnabled": "true",
        },
        tags=out["tags"],
    )


def _drift_group() -> Any:
    from orchestrator.cli.drift import drift

    return drift
