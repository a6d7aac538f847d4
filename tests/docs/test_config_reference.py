"""docs/configuration.md cannot drift from the code: its reference part is regenerated here from
orchestrator/config/schema/ and compared, and every key the sample repository uses must be in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from orchestrator import docs_gen
from orchestrator.config.schema import EnvironmentModel, OrchestratorModel

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"
_ROW = re.compile(r"^\| `(?P<key>[^`]+)` \| (?P<type>[^|]*(?:\\\|[^|]*)*) \|")


def _documented(section: str) -> dict[str, str]:
    """Key path → type text of the reference table under the heading for `section`."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"### `{section}`")
    following = text.find("\n### ", start + 1)
    block = text[start : following if following > 0 else len(text)]
    rows = {}
    for line in block.splitlines():
        match = _ROW.match(line)
        if match:
            rows[match["key"]] = match["type"]
    assert rows, f"no reference table under ### `{section}` in {PAGE}"
    return rows


def _key_paths(data: Any, prefix: str = "") -> list[str]:
    if not isinstance(data, dict):
        return []
    paths = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        paths.append(path)
        paths.extend(_key_paths(value, f"{path}."))
    return paths


def _is_documented(path: str, documented: dict[str, str]) -> bool:
    """Exact key, a `<name>` placeholder standing for a user-chosen name, or a key below a
    documented free-form map (`config.aws:region` under `config`, a map of string → any)."""
    parts = path.split(".")
    for pattern, type_text in documented.items():
        wanted = pattern.split(".")
        if len(wanted) > len(parts):
            continue
        if all(w == "<name>" or w == p for w, p in zip(wanted, parts, strict=False)):
            if len(wanted) == len(parts):
                return True
            if type_text.startswith("map of") and "mapping" not in type_text:
                return True  # below a free-form map: the user's own keys
    return False


def test_reference_is_up_to_date() -> None:
    page = PAGE.read_text(encoding="utf-8")
    expected = docs_gen.splice(page, docs_gen.render_reference())
    assert page == expected, (
        f"{PAGE.relative_to(ROOT)} is out of date with orchestrator/config/schema/; "
        f"regenerate it with `{docs_gen.REGENERATE_COMMAND}` and commit the result"
    )


def test_every_model_field_has_a_description() -> None:
    def walk(model: type[BaseModel], prefix: str) -> list[str]:
        return [key.path for key in docs_gen.reference_keys(model, prefix) if not key.description.strip()]

    missing = walk(OrchestratorModel, "") + walk(EnvironmentModel, "env:")
    assert not missing, f"Field(description=...) missing in orchestrator/config/schema/ for {missing}"


@pytest.mark.parametrize(
    "sample",
    ["orchestrator.yaml", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "environments").glob("*.yaml"))],
)
def test_every_key_of_the_samples_is_in_the_reference(sample: str) -> None:
    section = "orchestrator.yaml" if sample == "orchestrator.yaml" else "environments/<env>.yaml"
    documented = _documented(section)
    data = yaml.safe_load((ROOT / sample).read_text(encoding="utf-8")) or {}
    paths = _key_paths(data)
    assert paths, f"{sample} has no keys"
    undocumented = [p for p in paths if not _is_documented(p, documented)]
    assert not undocumented, f"keys of {sample} missing from {PAGE.relative_to(ROOT)}: {undocumented}"


def test_the_matcher_rejects_unknown_keys() -> None:
    # The check above must be able to fail: an invented key is not "documented".
    documented = _documented("environments/<env>.yaml")
    assert _is_documented("drift.unmanaged.exclude_tags.team", documented)
    assert _is_documented("config.aws:region", documented)
    assert not _is_documented("drift.frequency", documented)
    assert not _is_documented("aws.zone", documented)


def _yaml_examples() -> list[tuple[str, str]]:
    """```yaml blocks of the page whose first line names the file they belong to."""
    text = PAGE.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        first = block.splitlines()[0] if block.strip() else ""
        match = re.match(r"#\s*(orchestrator\.yaml|environments/[\w.-]+\.yaml)\b", first)
        if match:
            found.append((match[1], block))
    return found


def test_the_page_has_examples_of_both_files() -> None:
    files = {name for name, _ in _yaml_examples()}
    assert "orchestrator.yaml" in files
    assert any(name.startswith("environments/") for name in files)


@pytest.mark.parametrize("name,block", _yaml_examples(), ids=lambda v: v if "\n" not in v else "")
def test_examples_in_the_page_are_valid(name: str, block: str) -> None:
    model: type[BaseModel] = OrchestratorModel if name == "orchestrator.yaml" else EnvironmentModel
    model.model_validate(yaml.safe_load(block) or {})


def test_check_mode_fails_on_a_stale_page_and_names_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(f"# Configuration\n\n{docs_gen.START_MARKER}\n| `old` | x | y | z |\n{docs_gen.END_MARKER}\n")
    assert docs_gen.main(["--check", "--path", str(stale)]) == 1
    assert docs_gen.REGENERATE_COMMAND in capsys.readouterr().err
    assert docs_gen.main(["--path", str(stale)]) == 0
    rewritten = stale.read_text()
    assert "| `drift.schedule` |" in rewritten and "| `old` |" not in rewritten
    assert rewritten.startswith("# Configuration\n")
    assert docs_gen.main(["--check", "--path", str(stale)]) == 0


def test_a_page_without_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="markers"):
        docs_gen.splice("# no markers here\n", "table")


def test_types_and_defaults_are_rendered_from_the_models() -> None:
    rows = {k.path: k for k in docs_gen.reference_keys(EnvironmentModel)}
    assert rows["branch"].default == "**required**"
    assert rows["engine"].type == "`local` \\| `pulumi`"
    assert rows["approvals"].type == "integer ≥ 0"
    assert rows["aws.endpoint"].type == "string or null"
    assert rows["drift.unmanaged.exclude_tags"].type == "map of string → string"
    top = {k.path: k for k in docs_gen.reference_keys(OrchestratorModel)}
    assert top["concurrency"].type == "integer ≥ 1, or null"
    assert "projects.<name>.depends_on" in top
    assert top["comment.max_chars"].default == "`65536`"
