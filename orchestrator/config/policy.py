"""Resolving the policy packs of each environment: `orchestrator.yaml`'s `policy.packs` (those
whose `environments` include it), then the environment file's own, each checked to exist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from orchestrator.config import schema
from orchestrator.config.resolved import Environment, PolicyPackSetting
from orchestrator.config.tree import Tree
from orchestrator.errors import ConfigError
from orchestrator.yamlfile import line_of

PACK_FILE = "PulumiPolicy.yaml"


def environment_packs(packs: Sequence[schema.PackModel], source: str) -> tuple[PolicyPackSetting, ...]:
    """The packs an environment file adds, with where each was named."""
    return tuple(
        PolicyPackSetting(path=p.path, config=dict(p.config), source=f"{source} policy.packs[{i}]")
        for i, p in enumerate(packs)
    )


def with_policy_packs(
    tree: Tree,
    model: schema.OrchestratorModel,
    settings_text: bytes,
    environments: Mapping[str, Environment],
    *,
    config_file: str,
) -> dict[str, Environment]:
    """`environments` with the repository-wide packs that apply to each put before its own."""
    repo_wide = model.policy.packs
    for i, pack in enumerate(repo_wide):
        for j, name in enumerate(pack.environments or ()):
            if name not in environments:
                raise ConfigError(
                    f"lists unknown environment {name!r}",
                    file=config_file,
                    key=f"policy.packs[{i}].environments[{j}]",
                    line=line_of(settings_text, ["policy", "packs", i, "environments", j]),
                    hint=f"known environments: {', '.join(sorted(environments)) or 'none'}",
                )
        _check_pack(tree, pack.path, file=config_file, index=i, text=settings_text)
    env_texts = tree.read_many([env.source for env in environments.values() if env.policy_packs])
    resolved: dict[str, Environment] = {}
    for name, env in environments.items():
        for i, own in enumerate(env.policy_packs):
            _check_pack(tree, own.path, file=env.source, index=i, text=env_texts.get(env.source, b""))
        shared = tuple(
            PolicyPackSetting(path=p.path, config=dict(p.config), source=f"{config_file} policy.packs[{i}]")
            for i, p in enumerate(repo_wide)
            if p.environments is None or name in p.environments
        )
        packs = shared + env.policy_packs
        _check_unique(packs, env, {config_file: settings_text, env.source: env_texts.get(env.source, b"")})
        resolved[name] = replace(env, policy_packs=packs)
    return resolved


def _check_pack(tree: Tree, path: str, *, file: str, index: int, text: bytes) -> None:
    if not tree.exists(f"{path}/{PACK_FILE}"):
        raise ConfigError(
            f"{path}/ is not a policy pack: it has no {PACK_FILE}",
            file=file,
            key=f"policy.packs[{index}].path",
            line=line_of(text, ["policy", "packs", index, "path"]),
            hint=f"point `path` at the directory holding the pack's {PACK_FILE} and __main__.py (docs/policy.md)",
        )


def _check_unique(packs: Sequence[PolicyPackSetting], env: Environment, texts: Mapping[str, bytes]) -> None:
    seen: dict[str, str] = {}
    for pack in packs:
        if pack.path in seen:
            file, key = pack.source.split(" ", 1)
            index = int(key.removeprefix("policy.packs[").rstrip("]"))
            raise ConfigError(
                f"policy pack {pack.path} runs twice in environment {env.name} "
                f"({seen[pack.path]} and {pack.source})",
                file=file,
                key=f"{key}.path",
                line=line_of(texts.get(file, b""), ["policy", "packs", index, "path"]),
                hint="list each pack once; give an environment its own config with a pack listed for it alone",
            )
        seen[pack.path] = pack.source
