"""The embedded AWS (moto on loopback) for end-to-end tests, and boto3 clients on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox

REGION = "us-east-1"
# Variables of the machine's CI or of another test that would change what a run does.
_LEAKY_VARIABLES = (
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "ORCHESTRATOR_DATABASE_URL",
    "SLOW_CREATE_S",
    "GATE_RELEASE_FILE",
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_PATH",
    "GITHUB_EVENT_NAME",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_ACTOR",
    "GITHUB_TOKEN",
    "GITHUB_REPOSITORY",
    "GITHUB_API_URL",
    "GITLAB_USER_LOGIN",
)


@contextmanager
def running_sandbox(passphrase: str) -> Iterator[InProcessSandbox]:
    """moto on loopback; `endpoint: sandbox` in the environments resolves to it, also in child
    processes (CLI, engine), which inherit the environment. The passphrase decrypts the stacks'
    secrets; the variables of a CI run are unset so a test sees a plain machine."""
    with InProcessSandbox() as running, pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENDPOINT_ENV, running.endpoint)
        patch.setenv("PULUMI_CONFIG_PASSPHRASE", passphrase)
        for name in _LEAKY_VARIABLES:
            patch.delenv(name, raising=False)
        yield running


def aws_client(service: str, endpoint: str) -> Any:
    """A plain boto3 client at `endpoint`: the "someone changed it by hand" side of a test."""
    import boto3

    session: Any = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return session.client(service, endpoint_url=endpoint)


class Aws:
    """boto3 clients at an endpoint, by attribute: `Aws(endpoint).sqs.list_queues()`."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint

    def __getattr__(self, service: str) -> Any:
        return aws_client(service, self._endpoint)
