"""Secrets never leave a preview: `secure:` config values (encrypted with the stack's passphrase,
then read by the program the careless way and put into resource properties, stack outputs and an
error message) and credential-looking strings in resource properties are absent from the comment,
the statuses, the report file, the --json output and everything the CLI prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from orchestrator.engines.base import SECRET
from orchestrator.engines.local.checkpoint import peek_salt
from orchestrator.engines.local.secrets import crypter_for_salt, new_encryption_salt
from orchestrator.engines.local.state import state_path
from tests.support.cli import run_cli
from tests.support.preview_repo import BASE_BRANCH, ENV, PASSPHRASE, SampleRepo

API_TOKEN = "tok-7f3a9c1e5b2d8046-queue-admin"
DB_PASSWORD = "hunter2-Correct-Horse-Battery"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
LEAKS = (API_TOKEN, DB_PASSWORD, AWS_KEY_ID, AWS_SECRET_KEY)


def add_secure_config(repo: SampleRepo, project: str, key: str, value: str) -> None:
    """`pulumi config set --secret <key> <value>` on the deployed dev stack, as Pulumi writes it:
    encrypted with the stack's salt (the one its checkpoint records, if any), kept in Pulumi.dev.yaml."""
    path = repo.root / "stacks" / project / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text()) if path.exists() else {}
    salt = peek_salt(state_path(repo.root / ".orchestrator" / "state", project, ENV))
    if salt is None:  # the stack holds no secret yet: Pulumi makes a fresh salt
        salt, crypter = new_encryption_salt(PASSPHRASE)
    else:
        crypter = crypter_for_salt(salt, PASSPHRASE)
    document["encryptionsalt"] = salt
    document.setdefault("config", {})[f"{project}:{key}"] = {"secure": crypter.encrypt(value)}
    path.write_text(yaml.safe_dump(document))


def leaky_pull_request(repo: SampleRepo) -> None:
    repo.start_branch("pr-leaky")
    add_secure_config(repo, "network", "api_token", API_TOKEN)
    add_secure_config(repo, "data", "db_password", DB_PASSWORD)
    # network reads its secret with a plain get and spreads it into tags and an output; the
    # parameter's description carries an AWS key pair nobody declared secret.
    repo.replace(
        "stacks/network/__main__.py",
        'tags=tags.standard_tags(project, env, Component="events"),\n)\n\nevents_url',
        'tags=tags.standard_tags(project, env, Component="events", ApiToken=config.get("api_token")),\n)\n\nevents_url',
    )
    repo.replace(
        "stacks/network/__main__.py",
        'description=f"URL of the {env} events queue; services read it at start-up.",',
        f'description=f"URL of the {{env}} events queue; key {AWS_KEY_ID} aws_secret_access_key={AWS_SECRET_KEY}",',
    )
    program = (repo.root / "stacks/network/__main__.py").read_text()
    repo.write("stacks/network/__main__.py", program + '\npulumi.export("api_token", config.get("api_token"))\n')
    # data fails with its secret and an access key id in the message.
    program = (repo.root / "stacks/data/__main__.py").read_text()
    repo.write(
        "stacks/data/__main__.py",
        program
        + '\nraise ConnectionError("database refused password " + config.require("db_password")'
        + f' + " (connecting as {AWS_KEY_ID})")\n',
    )
    repo.commit("network: API token; data: database password")


@pytest.fixture(scope="module")
def leaky(deployed: SampleRepo) -> SampleRepo:
    leaky_pull_request(deployed)
    return deployed


def texts_of(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("as_json", [False, True], ids=["progress", "json"])
def test_no_secret_reaches_any_output(leaky: SampleRepo, tmp_path: Path, as_json: bool) -> None:
    out = tmp_path / "out"
    run = run_cli(
        leaky,
        "preview",
        "--base",
        BASE_BRANCH,
        "--pr",
        "31",
        "--vcs",
        "files",
        "--out",
        str(out),
        *(["--json"] if as_json else []),
    )

    assert run.code == 1, run.stderr  # data failed, on purpose
    outputs = {
        "stdout": run.stdout,
        "stderr": run.stderr,
        "report": leaky.report(31).read_text(),
        **{f"out/{name}": text for name, text in texts_of(out).items()},
    }
    assert {"out/comment.md", "out/statuses.json"} <= set(outputs)
    for where, text in outputs.items():
        for secret in LEAKS:
            assert secret not in text, f"{secret!r} leaked into {where}"
            assert json.dumps(secret)[1:-1] not in text, f"{secret!r} (JSON-escaped) leaked into {where}"

    # Not vacuous: the places the secrets were planted are in the output, masked.
    comment = outputs["out/comment.md"]
    assert f'tags.ApiToken: "{SECRET}"' in comment or f"tags.ApiToken: {SECRET}" in comment, comment
    assert "aws_secret_access_key=" in comment and "events queue; key" in comment
    assert "ConnectionError: database refused password" in comment
    statuses = json.loads(outputs["out/statuses.json"])
    data_status = next(s for s in statuses if s["context"] == "orchestrator/preview: data/dev")
    assert data_status["state"] == "failure" and "database refused password" in data_status["description"]
    if as_json:
        document = json.loads(run.stdout)
        network = next(r for r in document["results"] if r["stack"] == "network/dev")
        assert network["status"] == "succeeded" and network["outputs"]["api_token"] == SECRET
    else:
        progress = f"data/dev failed ConnectionError: database refused password {SECRET} (connecting as {SECRET})"
        assert progress in run.stderr, "the failed stack's progress line names its error, redacted"
