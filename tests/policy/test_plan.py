"""A changed policy pack is a change: a pull request editing a pack previews every stack the pack
applies to (and only those), with the reason; so does a change of the packs' settings."""

from __future__ import annotations

from pathlib import Path

from orchestrator.config.load import load_repository
from orchestrator.models import FileChange
from orchestrator.planner import PlanInput, plan

FILES = {
    "orchestrator.yaml": "policy:\n  packs:\n    - path: policies/guard\n",
    "environments/dev.yaml": "branch: develop\n",
    "environments/qa.yaml": "branch: main\norder: 1\n",
    "environments/prod.yaml": "branch: main\norder: 2\npolicy:\n  packs:\n    - path: policies/prod-guard\n",
    "stacks/network/Pulumi.yaml": "name: network\nruntime: python\n",
    "stacks/app/Pulumi.yaml": "name: app\nruntime: python\n",
    "policies/guard/PulumiPolicy.yaml": "runtime: python\n",
    "policies/guard/__main__.py": "",
    "policies/prod-guard/PulumiPolicy.yaml": "runtime: python\n",
    "policies/prod-guard/__main__.py": "",
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _plan(root: Path, *changed: str, base: Path | None = None) -> dict[str, tuple[str, ...]]:
    head = load_repository(root)
    result = plan(
        PlanInput(head_config=head, changes=tuple(FileChange(p, "modified") for p in changed), branch="main",
                  event="pr", base="b" * 40, head="h" * 40),
        base_config=None if base is None else (lambda: load_repository(base)),
    )
    return {s.id: s.reasons for s in result.stacks}


def test_an_edited_pack_previews_every_stack_it_applies_to(tmp_path: Path) -> None:
    root = _write(tmp_path, FILES)
    assert _plan(root, "policies/guard/__main__.py") == {
        f"{project}/{env}": ("changed policies/guard/__main__.py in policy pack policies/guard",)
        for project in ("app", "network") for env in ("qa", "prod")
    }


def test_a_pack_of_one_environment_previews_that_environment_only(tmp_path: Path) -> None:
    root = _write(tmp_path, FILES)
    changed = ("policies/prod-guard/__main__.py", "policies/prod-guard/helpers.py")
    assert _plan(root, *changed) == {
        f"{project}/prod": ("2 files changed in policy pack policies/prod-guard/: "
                            "policies/prod-guard/__main__.py, policies/prod-guard/helpers.py",)
        for project in ("app", "network")
    }


def test_a_file_beside_a_pack_is_no_change_of_it(tmp_path: Path) -> None:
    root = _write(tmp_path, {**FILES, "policies/guard-notes.md": "notes"})
    assert _plan(root, "policies/guard-notes.md") == {}


def test_changed_pack_settings_in_orchestrator_yaml_plan_the_environments_they_change(tmp_path: Path) -> None:
    base = _write(tmp_path / "base", FILES)
    head = _write(tmp_path / "head", {
        **FILES,
        "orchestrator.yaml": "policy:\n  packs:\n    - path: policies/guard\n      environments: [prod]\n"
                             "      config: {all: mandatory}\n",
    })
    # prod's pack config changed; qa no longer runs the pack, which changes what its stacks must pass.
    assert _plan(head, "orchestrator.yaml", base=base) == {
        f"{project}/{env}": ("its policy packs in orchestrator.yaml changed",)
        for project in ("app", "network") for env in ("qa", "prod")
    }
