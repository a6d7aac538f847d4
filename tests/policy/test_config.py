"""Policy packs in the configuration: which packs each environment's stacks run, in what order,
with what config, and Pulumi's reading and reconciling of per-policy config."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config.load import load_repository
from orchestrator.errors import ConfigError
from orchestrator.policy.settings import PolicyConfig, PolicyInfo, parse_pack_config, reconcile, unknown_policies


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {
        "environments/dev.yaml": "branch: develop\n",
        "environments/prod.yaml": "branch: main\n",
        "stacks/app/Pulumi.yaml": "name: app\nruntime: python\n",
        "policies/guard/PulumiPolicy.yaml": "runtime: python\n",
        "policies/prod-guard/PulumiPolicy.yaml": "runtime: python\n",
    }
    for rel, text in {**base, **files}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_repository_packs_then_the_environments_own(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "orchestrator.yaml": (
            "policy:\n  packs:\n    - path: policies/guard/\n      config: {standard-tags: advisory}\n"
        ),
        "environments/prod.yaml": "branch: main\npolicy:\n  packs:\n    - path: policies/prod-guard\n",
    })
    config = load_repository(root)
    assert [p.path for p in config.environments["dev"].policy_packs] == ["policies/guard"]
    prod = config.environments["prod"].policy_packs
    assert [(p.path, p.source) for p in prod] == [
        ("policies/guard", "orchestrator.yaml policy.packs[0]"),
        ("policies/prod-guard", "environments/prod.yaml policy.packs[0]"),
    ]
    spec = config.stack_spec("app", "prod", checkout=tmp_path / "checkout")
    assert [p.directory for p in spec.policy_packs] == [
        tmp_path / "checkout/policies/guard", tmp_path / "checkout/policies/prod-guard"
    ]
    assert spec.policy_packs[0].config == {"standard-tags": "advisory"}


def test_a_pack_limited_to_some_environments(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"orchestrator.yaml": "policy:\n  packs:\n    - path: policies/guard\n"
                                                 "      environments: [prod]\n"})
    config = load_repository(root)
    assert config.environments["dev"].policy_packs == ()
    assert [p.path for p in config.environments["prod"].policy_packs] == ["policies/guard"]


def test_a_pack_listed_twice_for_an_environment_is_an_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "orchestrator.yaml": "policy:\n  packs:\n    - path: policies/guard\n",
        "environments/prod.yaml": "branch: main\npolicy:\n  packs:\n    - path: policies/guard\n",
    })
    with pytest.raises(ConfigError) as caught:
        load_repository(root)
    assert str(caught.value).startswith("environments/prod.yaml:4: policy.packs[0].path: policy pack policies/guard "
                                        "runs twice in environment prod")


def test_pack_config_is_read_as_pulumi_reads_a_policy_config_file() -> None:
    parsed = parse_pack_config({
        "all": "mandatory",
        "tags": {"enforcementLevel": "advisory", "required": ["Owner"]},
        "noop": {},
    })
    assert parsed == {
        "all": PolicyConfig("mandatory"),
        "tags": PolicyConfig("advisory", {"required": ["Owner"]}),
    }
    with pytest.raises(ValueError, match=r"tags.enforcementLevel: 'warn' is not an enforcement level"):
        parse_pack_config({"tags": {"enforcementLevel": "warn"}})
    with pytest.raises(ValueError, match="tags: must be an enforcement level or a mapping"):
        parse_pack_config({"tags": 3})


POLICIES = (
    PolicyInfo("tags", enforcement="advisory", kind="resource",
               config_properties={"required": {"type": "array", "items": {"type": "string"}, "default": ["Owner"]},
                                  "max": {"type": "integer"}}),
    PolicyInfo("public-buckets", enforcement="mandatory", kind="resource"),
)


def test_reconcile_layers_pack_defaults_initial_config_and_given_config() -> None:
    config, errors = reconcile(
        POLICIES,
        initial={"tags": PolicyConfig(properties={"max": 5})},
        given=parse_pack_config({"all": "advisory", "tags": {"enforcementLevel": "disabled", "max": 9}}),
    )
    assert errors == []
    assert config == {
        "tags": PolicyConfig("disabled", {"required": ["Owner"], "max": 9}),
        "public-buckets": PolicyConfig("advisory", {}),
    }


def test_reconcile_reports_config_the_policy_schema_refuses() -> None:
    _config, errors = reconcile(POLICIES, {}, parse_pack_config({"tags": {"max": "many"}}))
    assert errors == ["tags: max: 'many' is not of type 'integer'"]


def test_config_for_a_policy_the_pack_does_not_have_is_named() -> None:
    assert unknown_policies(POLICIES, parse_pack_config({"all": "advisory", "tagz": "mandatory"})) == ["tagz"]
