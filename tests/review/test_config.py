"""`review:` in environments/<env>.yaml: what loads, and every bad value refused with the file,
key and line (exit 1 through the CLI), above all a template that could name an environment's
own stack, which a review's `down` would then destroy."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config.load import load_repository
from orchestrator.errors import ConfigError

PROJECTS = {
    "stacks/network/Pulumi.yaml": "name: network\nruntime: python\n",
    "stacks/network/__main__.py": "import pulumi\n",
    "stacks/data/Pulumi.yaml": "name: data\nruntime: python\n",
    "stacks/data/__main__.py": "import pulumi\n"
    "net = pulumi.StackReference(f'organization/network/{pulumi.get_stack()}')\n",
}
QA = "branch: main\norder: 2\n"


def repository(root: Path, dev: str, **others: str) -> Path:
    files = {**PROJECTS, "environments/dev.yaml": dev, "environments/qa.yaml": QA}
    files.update({f"environments/{name}.yaml": text for name, text in others.items()})
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def test_defaults_and_a_full_review_block_load(tmp_path: Path) -> None:
    plain = load_repository(repository(tmp_path / "plain", "branch: develop\n")).environment("dev").review
    assert (plain.enabled, plain.stack_name_template, plain.projects, plain.ttl_s, plain.max_active) == (
        False, "pr-{pr}", None, 72 * 3600, 10)

    dev = "branch: develop\nreview:\n  enabled: true\n  stack_name: '{env}-pr-{pr}'\n  projects: [data]\n" \
          "  ttl: 2d\n  max_active: 3\n"
    review = load_repository(repository(tmp_path / "full", dev)).environment("dev").review
    assert review.enabled and review.projects == ("data",) and review.max_active == 3
    assert review.ttl_s == 2 * 86400
    assert review.stack_name("dev", "data", 42) == "dev-pr-42"
    assert review.made("dev", "data", "dev-pr-7") and review.made("dev", "data", "organization/data/dev-pr-7")
    assert not review.made("dev", "data", "dev") and not review.made("dev", "data", "dev-pr-")
    assert not review.made("dev", "data", "xdev-pr-7")


BAD = {
    "template without {pr}": (
        "branch: develop\nreview:\n  enabled: true\n  stack_name: review\n",
        "environments/dev.yaml:4: review.stack_name: 'review' has no {pr}",
    ),
    "unknown placeholder": (
        "branch: develop\nreview:\n  stack_name: 'pr-{number}'\n",
        "environments/dev.yaml:3: review.stack_name: unknown placeholder {number}",
    ),
    "a name Pulumi refuses": (
        "branch: develop\nreview:\n  enabled: true\n  stack_name: 'pr {pr}'\n",
        "environments/dev.yaml:4: review.stack_name: stack name 'pr 1' is not valid",
    ),
    "a name holding '..'": (
        "branch: develop\nreview:\n  enabled: true\n  stack_name: '..pr-{pr}'\n",
        "review.stack_name: stack name '..pr-1' is not valid",
    ),
    "a ttl that is not a time span": (
        "branch: develop\nreview:\n  ttl: 3 days\n",
        "environments/dev.yaml:3: review.ttl: '3 days' is not a time span",
    ),
    "max_active below one": (
        "branch: develop\nreview:\n  max_active: 0\n",
        "environments/dev.yaml:3: review.max_active:",
    ),
    "an unknown project": (
        "branch: develop\nreview:\n  enabled: true\n  projects: [data, cache]\n",
        "environments/dev.yaml:4: review.projects[1]: lists unknown project 'cache'",
    ),
    "an unknown key": (
        "branch: develop\nreview:\n  enabeld: true\n",
        "environments/dev.yaml:3: review.enabeld: unknown key",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_review_settings_name_file_key_and_line(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    with pytest.raises(ConfigError) as raised:
        load_repository(repository(tmp_path, text))
    assert expected in raised.value.message


def test_a_template_that_could_name_an_environments_own_stack_is_refused(tmp_path: Path) -> None:
    # qa's stacks are called `pr-1` in the same backend: dev's review of PR 1 would be qa.
    qa = "branch: main\nstack_name: pr-1\n"
    dev = "branch: develop\nreview:\n  enabled: true\n  stack_name: 'pr-{pr}'\n"
    with pytest.raises(ConfigError) as raised:
        load_repository(repository(tmp_path / "same", dev, qa=qa))
    message = raised.value.message
    assert message.startswith("environments/dev.yaml:4: review.stack_name:")
    assert "can name 'pr-1', the qa stack of" in message and "destroyed" in message

    # Any number counts: `q{pr}` could make qa's `q42`.
    with pytest.raises(ConfigError, match="the qa stack"):
        load_repository(repository(tmp_path / "digits", "branch: develop\nreview:\n  enabled: true\n"
                                   "  stack_name: 'q{pr}'\n", qa="branch: main\nstack_name: q42\n"))

    # In another backend the same name is another stack: allowed.
    elsewhere = "branch: main\nstack_name: pr-1\nbackend: file://.orchestrator/qa-state\n"
    load_repository(repository(tmp_path / "apart", dev, qa=elsewhere))


def test_two_review_environments_sharing_a_backend_need_different_names(tmp_path: Path) -> None:
    review = "review:\n  enabled: true\n"
    with pytest.raises(ConfigError, match="would share the name 'pr-1' in one backend") as raised:
        load_repository(repository(tmp_path / "clash", "branch: develop\n" + review, qa="branch: main\n" + review))
    assert "{env}" in (raised.value.hint or "")
    with_env = "review:\n  enabled: true\n  stack_name: '{env}-pr-{pr}'\n"
    load_repository(repository(tmp_path / "apart", "branch: develop\n" + with_env, qa="branch: main\n" + with_env))


def test_the_cli_reports_a_bad_review_block_as_a_user_error(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    from orchestrator.cli import main

    root = repository(tmp_path, "branch: develop\nreview:\n  enabled: true\n  stack_name: review\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    with pytest.raises(SystemExit) as exited:
        main(["environments", "--repo", str(root)])
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.startswith("error: environments/dev.yaml:4: review.stack_name:") and "\nhint: " in err
    assert "Traceback" not in err
