"""Program environments: requirements read as Pulumi reads them, a virtualenv per distinct
set, built from pip's configured index, the child running inside it; failures in one line."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.engines.local.engine import LocalEngine
from orchestrator.engines.local.environments import (
    ProgramRuntime,
    install_failure,
    program_environment,
    read_requirements,
    runtime_options,
)
from orchestrator.errors import UserError
from tests.engine.programs import write_project
from tests.support.engine_stack import Stack

PROGRAM = '''
import pulumi
import tinypkg

pulumi.export("value", tinypkg.VALUE)
'''


def _wheel(directory: Path, name: str = "tinypkg", version: str = "1.0", value: str = "from-the-wheel") -> Path:
    """A minimal pure-Python wheel, made by hand so the test needs no build tools or network."""
    files = {
        f"{name}/__init__.py": f"VALUE = {value!r}\n",
        f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{name}-{version}.dist-info/RECORD,,")
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


@pytest.fixture
def offline_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip's own configuration pointing at a local directory of wheels, no index."""
    wheels = tmp_path / "wheels"
    _wheel(wheels)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("ORCHESTRATOR_VENV_DIR", str(tmp_path / "venvs"))
    return wheels


def test_requirements_already_met_keep_the_fast_path(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pulumi>=3.0.0,<4.0.0\npulumi-aws>=7.0.0,<8.0.0  # the SDKs\n")
    env = program_environment(tmp_path, ProgramRuntime(virtualenv="venv"), tmp_path / "venvs")
    assert not env.isolated and not (tmp_path / "venvs").exists()


def test_poetry_dependencies_become_pep_508(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.10"\npulumi = "==3.228.0"\npulumi-aws = "^7.23"\n'
        'pyright = ">=1.1.369,<2.0.0"\nboto3 = "~1.34"\nrich = "*"\n'
    )
    found = read_requirements(tmp_path, ProgramRuntime(toolchain="poetry"))
    assert found.specs == ("pulumi==3.228.0", "pulumi-aws>=7.23,<8", "pyright>=1.1.369,<2.0.0", "boto3~=1.34", "rich")


def test_runtime_options_are_checked(tmp_path: Path) -> None:
    assert runtime_options({"name": "python", "options": {"toolchain": "uv", "virtualenv": ".venv"}},
                           tmp_path) == ProgramRuntime(toolchain="uv", virtualenv=".venv")
    with pytest.raises(UserError, match="toolchain 'conda' is not one of pip, poetry, uv"):
        runtime_options({"options": {"toolchain": "conda"}}, tmp_path)


def test_pip_failures_name_the_package() -> None:
    source = Path("stacks/app/requirements.txt")
    output = ("ERROR: Could not find a version that satisfies the requirement nosuch-pkg==9.9 (from versions: none)\n"
              "ERROR: No matching distribution found for nosuch-pkg==9.9\n")
    assert install_failure(output, source) == (
        "cannot install nosuch-pkg==9.9 for stacks/app/requirements.txt: no matching distribution in the package index")


def test_program_runs_in_its_own_environment(make_stack: Callable[..., Stack], offline_index: Path) -> None:
    st = make_stack("venvapp")
    write_project(st.directory, "venvapp", PROGRAM)
    (st.directory / "requirements.txt").write_text("pulumi>=3.0.0,<4.0.0\ntinypkg==1.0\n")
    engine = LocalEngine()
    first = engine.update(st.spec({}))
    assert first.ok, first.error
    assert first.outputs == {"value": "from-the-wheel"}
    venvs = [p for p in (offline_index.parent / "venvs").iterdir() if p.is_dir()]
    assert len(venvs) == 1, "one environment per distinct set of requirements"
    assert not list(venvs[0].glob("lib/python*/site-packages/pulumi")), "the SDK is not installed twice"

    # The same requirements reuse it; other requirements get their own.
    assert engine.preview(st.spec({})).ok
    assert len([p for p in (offline_index.parent / "venvs").iterdir() if p.is_dir()]) == 1


def test_a_package_that_cannot_be_installed_fails_in_one_line(make_stack: Callable[..., Stack],
                                                              offline_index: Path) -> None:
    st = make_stack("broken")
    write_project(st.directory, "broken", PROGRAM)
    (st.directory / "requirements.txt").write_text("tinypkg==1.0\nnosuch-pkg==9.9\n")
    result = LocalEngine().preview(st.spec({}))
    assert result.status == "failed"
    assert result.error == (f"cannot install nosuch-pkg==9.9 for {st.directory / 'requirements.txt'}: "
                            "no matching distribution in the package index")


def test_conflicting_requirements_are_named(tmp_path: Path) -> None:
    source = tmp_path / "requirements.txt"
    source.write_text("pulumi>=3.0.0,<4.0.0\npulumi-aws>=7.23.0,<7.24.0\npulumi-aws-apigateway>=2.0.0,<3.0.0\n")
    output = (f"ERROR: Cannot install -r {source} (line 3) and pulumi-aws<7.24.0 and >=7.23.0 because these "
              "package versions have conflicting dependencies.\nERROR: ResolutionImpossible: for help visit ...\n")
    assert install_failure(output, source) == (
        f"cannot install the requirements in {source}: pulumi-aws-apigateway>=2.0.0,<3.0.0 and "
        "pulumi-aws<7.24.0 and >=7.23.0 conflict")
