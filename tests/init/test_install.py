"""How the generated CI installs the orchestrator: a pinned source, from ci.install or from where
this orchestrator was installed (PEP 610 direct_url.json), and never a bare package name."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml

from orchestrator.config.load import load_settings
from orchestrator.config.resolved import InstallSource
from orchestrator.config.tree import WorkTree
from orchestrator.errors import ConfigError
from orchestrator.init import InitOptions, run_init
from orchestrator.init.install import from_direct_url, https_url, install_commands, installed_from
from tests.support.gitrepo import git
from tests.support.init_repos import PIN, MakeRepo, commit_all, project, write

WORKFLOWS = ".github/workflows"
WHEEL = "https://files.example.com/gitops_orchestrator-0.1.0-py3-none-any.whl"
DIGEST = "ab" * 32


def generated_text(root: Path) -> str:
    files = [*(root / WORKFLOWS).glob("*.yml"), root / ".gitlab-ci.yml"]
    return "\n".join(p.read_text() for p in files if p.exists())


def install_steps(root: Path, name: str = "deploy") -> list[dict[str, object]]:
    flow = yaml.safe_load((root / WORKFLOWS / f"orchestrator-{name}.yml").read_text())
    (job,) = flow["jobs"].values()
    names = ("Set up Python", "Install the orchestrator")
    return [s for s in job["steps"] if str(s.get("name")).startswith(names)]


# -- where this orchestrator came from ------------------------------------------------------------


def test_pip_s_record_of_a_git_install_is_a_pin() -> None:
    record = {"url": "https://github.com/acme/gitops-orchestrator.git",
              "vcs_info": {"vcs": "git", "commit_id": PIN, "requested_revision": "main"}}
    source, _ = from_direct_url(record)
    assert source == InstallSource(git="https://github.com/acme/gitops-orchestrator", commit=PIN)
    assert source.github_action == "acme/gitops-orchestrator"
    ssh = {"url": "ssh://git@gitlab.example.com/platform/orchestrator.git",
           "vcs_info": {"vcs": "git", "commit_id": PIN}}
    assert from_direct_url(ssh)[0] == InstallSource(git="https://gitlab.example.com/platform/orchestrator", commit=PIN)
    assert https_url("git@github.com:acme/gitops-orchestrator.git") == "https://github.com/acme/gitops-orchestrator"
    assert https_url("https://token:x@github.com/acme/o.git") == "https://github.com/acme/o"  # no credentials kept


def test_pip_s_record_of_a_wheel_is_a_pin_only_with_its_hash() -> None:
    assert from_direct_url({"url": WHEEL, "archive_info": {"hashes": {"sha256": DIGEST}}})[0] == InstallSource(
        wheel=WHEEL, sha256=DIGEST
    )
    assert from_direct_url({"url": WHEEL, "archive_info": {"hash": f"sha256={DIGEST}"}})[0] is not None
    source, why = from_direct_url({"url": WHEEL, "archive_info": {}})
    assert source is None and WHEEL in why


def test_an_editable_install_from_a_clone_pins_its_origin_at_head(make_repo: MakeRepo, tmp_path: Path) -> None:
    clone = make_repo(project("infra/a", "a", "dev"))
    head = git(clone, "rev-parse", "HEAD")
    git(clone, "remote", "add", "origin", "git@github.com:acme/gitops-orchestrator.git")
    source, why = from_direct_url({"url": clone.as_uri(), "dir_info": {"editable": True}})
    assert source == InstallSource(git="https://github.com/acme/gitops-orchestrator", commit=head)
    assert f"push {head[:12]}" in why
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert from_direct_url({"url": lonely.as_uri(), "dir_info": {"editable": True}})[0] is None


def test_an_index_install_records_no_pin() -> None:
    assert installed_from("pip")[0] is None  # pip comes from the index: no direct_url.json


# -- ci.install ------------------------------------------------------------------------------------


def test_ci_install_in_orchestrator_yaml_wins_and_is_kept(make_repo: MakeRepo) -> None:
    root = make_repo(project("infra/a", "a", "dev"))
    settings = f"stacks_dir: infra\nci:\n  install:\n    wheel: {WHEEL}\n    sha256: {DIGEST}\n"
    write(root, {"orchestrator.yaml": settings})
    commit_all(root, "settings")
    result = run_init(root, InitOptions(force=True))
    assert any(n.startswith(f"CI installs the orchestrator from {WHEEL}") for n in result.notes)
    assert load_settings(WorkTree(root)).ci_install == InstallSource(wheel=WHEEL, sha256=DIGEST)  # written back
    [python, install] = install_steps(root)
    assert str(python["uses"]).startswith("actions/setup-python@")
    script = str(install["run"])
    target = "${RUNNER_TEMP:-/tmp}/gitops_orchestrator-0.1.0-py3-none-any.whl"
    assert f"--proto '=https' -o \"{target}\" {WHEEL}" in script
    assert f'echo "{DIGEST}  {target}" | sha256sum --check --strict -' in script
    assert f'python -m pip install "{target}"' in script


@pytest.mark.parametrize(
    ("install", "error"),
    [
        ("git: https://github.com/acme/o", "git needs commit"),
        ("git: https://github.com/acme/o\n    commit: main", "String should match pattern"),
        (f"wheel: {WHEEL}", "wheel needs sha256"),
        (f"git: http://github.com/acme/o\n    commit: {PIN}", "must be an https:// URL"),
        (f"wheel: {WHEEL}\n    sha256: {DIGEST}\n    requirements: ci/req.txt", "exactly one of"),
    ],
)
def test_a_ci_install_that_pins_nothing_is_refused(tmp_path: Path, install: str, error: str) -> None:
    (tmp_path / "orchestrator.yaml").write_text(f"ci:\n  install:\n    {install}\n")
    with pytest.raises(ConfigError, match=error) as caught:
        load_settings(WorkTree(tmp_path))
    assert caught.value.file == "orchestrator.yaml" and (caught.value.key or "").startswith("ci.install")


def test_a_hash_pinned_requirements_file(make_repo: MakeRepo) -> None:
    root = make_repo(project("infra/a", "a", "dev"))
    write(root, {"orchestrator.yaml": "stacks_dir: infra\nci:\n  install:\n    requirements: ci/orchestrator.txt\n"})
    run_init(root, InitOptions(ci="gitlab", force=True))
    ci = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    assert ci["default"]["before_script"][0] == "python -m pip install --require-hashes -r ci/orchestrator.txt"


# -- nothing to pin --------------------------------------------------------------------------------


def test_without_a_pin_the_jobs_stop_saying_what_to_set(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setattr("orchestrator.init.install.installed_from",
                        lambda distribution="": (None, "installed from a package index"))
    root = make_repo(project("infra/a", "a", "dev"))
    result = run_init(root, InitOptions())
    assert any(n.startswith("CI cannot install the orchestrator: nothing pins it") and "Set ci.install" in n
               for n in result.notes)
    [_python, install] = install_steps(root)
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", str(install["run"])], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 1
    assert done.stdout.startswith("::error title=orchestrator not pinned::the orchestrator is not pinned: set ")
    assert "# ci:\n#   install:" in (root / "orchestrator.yaml").read_text()


@pytest.mark.parametrize("ci", ["github", "gitlab"])
@pytest.mark.parametrize("pinned", ["git", "wheel", "none"])
def test_no_generated_file_installs_a_bare_package_name(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch,
                                                        ci: str, pinned: str) -> None:
    source = {"git": InstallSource(git="https://gitlab.example.com/p/o", commit=PIN),
              "wheel": InstallSource(wheel=WHEEL, sha256=DIGEST), "none": None}[pinned]
    monkeypatch.setattr("orchestrator.init.install.installed_from", lambda distribution="": (source, "test"))
    root = make_repo(project("infra/a", "a", "dev"))
    run_init(root, InitOptions(ci=ci))  # type: ignore[arg-type]
    text = generated_text(root)
    assert "gitops-orchestrator==" not in text and 'install "gitops-orchestrator' not in text
    assert "pip install gitops-orchestrator" not in text


# -- the wheel's checksum step, executed --------------------------------------------------------


@pytest.mark.parametrize("tampered", [False, True])
def test_the_wheel_is_installed_only_if_its_sha256_matches(tmp_path: Path, tampered: bool) -> None:
    content = b"PK\x03\x04 a wheel's bytes"
    wheel_file = tmp_path / "gitops_orchestrator-0.1.0-py3-none-any.whl"
    wheel_file.write_bytes(content + (b"!" if tampered else b""))
    source = InstallSource(wheel=WHEEL, sha256=hashlib.sha256(content).hexdigest())
    _download, check, _install = install_commands(source)
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", check], env={"RUNNER_TEMP": str(tmp_path),
                          "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=False)
    assert (done.returncode == 0) is not tampered, done.stdout + done.stderr
