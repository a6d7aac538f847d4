"""`python -m build` makes a wheel and an sdist of the working tree, and the wheel works on its own.

The tree is copied as Git sees it (tracked and untracked files, less the ignored), built without
network (`--no-isolation`: setuptools and wheel come from the dev extra), then the wheel is
installed alone into a directory that shadows the editable install.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from orchestrator import __version__

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / rel)
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir",
                            str(out), str(tree)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


def test_a_wheel_and_an_sdist_named_for_this_version(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == [
        f"gitops_orchestrator-{__version__}-py3-none-any.whl",
        f"gitops_orchestrator-{__version__}.tar.gz",
    ]


def test_the_wheel_carries_every_template_and_the_entry_point(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"gitops_orchestrator-{__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"gitops_orchestrator-{__version__}.dist-info/entry_points.txt").decode()
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "orchestrator").rglob("templates/*.j2")}
    assert templates and templates <= names, sorted(templates - names)
    assert "orchestrator/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)
    assert "orchestrator = orchestrator.cli:main" in entry_points
    assert f"\nVersion: {__version__}\n" in metadata
    assert "\nLicense-Expression: Apache-2.0\n" in metadata


def test_the_sdist_rebuilds(dist: Path, tmp_path: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path, filter="data")
    top = f"gitops_orchestrator-{__version__}"
    assert {f"{top}/pyproject.toml", f"{top}/README.md", f"{top}/orchestrator/cli/root.py"} <= set(names)
    again = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(tmp_path / "w"),
                            str(tmp_path / top)], capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr[-3000:]


def test_the_installed_wheel_runs_on_its_own(dist: Path, tmp_path: Path) -> None:
    [wheel] = dist.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-c", "import orchestrator; print(orchestrator.__file__)"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip().startswith(str(target))  # the wheel's code, not the checkout's
    version = subprocess.run([sys.executable, "-m", "orchestrator", "--version"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, check=False)
    assert version.returncode == 0, version.stderr
    assert re.fullmatch(rf"orchestrator {re.escape(__version__)}( \(installed from .+\))?\n", version.stdout)
    # The init templates come from the wheel: `init --dry-run` renders every CI file.
    repo = tmp_path / "infra"
    (repo / "stacks" / "app").mkdir(parents=True)
    (repo / "stacks" / "app" / "Pulumi.yaml").write_text("name: app\nruntime: python\n")
    (repo / "stacks" / "app" / "Pulumi.dev.yaml").write_text("config: {}\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    init = subprocess.run([sys.executable, "-m", "orchestrator", "init", "--ci", "github", "--dry-run"], cwd=repo,
                          env=env, capture_output=True, text=True, check=False)
    assert init.returncode == 0, init.stdout + init.stderr
    assert ".github/workflows/orchestrator-preview.yml" in init.stdout
