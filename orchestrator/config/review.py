"""Checks of the environments' `review:` settings, when the configuration loads.

A review stack must never be one of an environment's own stacks: review stacks are destroyed
when their pull request closes, so a template that could name `dev` would destroy dev. Each
error names the file, the key and, where YAML gives it, the line.
"""

from __future__ import annotations

from orchestrator.config.resolved import Environment, RepoConfig
from orchestrator.errors import ConfigError
from orchestrator.names import stack_name_problem
from orchestrator.yamlfile import line_of

# Pull request numbers the names are checked with: the longest a host hands out for years.
_SAMPLE_PRS = (1, 9_999_999)


def check_review(config: RepoConfig, env_texts: dict[str, bytes]) -> None:
    for env in config.environments.values():
        if not env.review.enabled:
            continue
        text = env_texts.get(env.source, b"")
        _check_projects(config, env, text)
        for project in _review_projects(config, env):
            _check_name(env, project, text)
            _check_distinct(config, env, project, text)


def _review_projects(config: RepoConfig, env: Environment) -> list[str]:
    return [p for p in sorted(config.projects) if config.deploys(p, env.name) and env.review.allows(p)]


def _check_projects(config: RepoConfig, env: Environment, text: bytes) -> None:
    for i, project in enumerate(env.review.projects or ()):
        if project not in config.projects:
            raise ConfigError(
                f"lists unknown project {project!r}",
                file=env.source,
                key=f"review.projects[{i}]",
                line=line_of(text, ["review", "projects", i]),
                hint=f"known projects: {', '.join(sorted(config.projects)) or 'none'}",
            )


def _check_name(env: Environment, project: str, text: bytes) -> None:
    for pr in _SAMPLE_PRS:
        problem = stack_name_problem(env.review.stack_name(env.name, project, pr))
        if problem:
            raise ConfigError(
                f"{problem} (for project {project!r}, pull request {pr})",
                file=env.source,
                key="review.stack_name",
                line=line_of(text, ["review", "stack_name"]),
                hint="review stack names are letters, digits, '_', '.' and '-'; the placeholders are {pr}, "
                "{env} and {project}",
            )


def _check_distinct(config: RepoConfig, env: Environment, project: str, text: bytes) -> None:
    """No stack of any environment in the same backend is one this template could make."""
    backend = config.backend_url(env.name)
    for other in config.environments.values():
        if config.backend_url(other.name) != backend or not config.deploys(project, other.name):
            continue
        own = other.stack_name(project)
        if env.review.made(env.name, project, own):
            raise ConfigError(
                f"`{env.review.stack_name_template}` can name {own!r}, the {other.name} stack of {project!r} in the "
                "same backend: review stacks are destroyed when their pull request closes",
                file=env.source,
                key="review.stack_name",
                line=line_of(text, ["review", "stack_name"]),
                hint="choose a review template no environment's stack_name can match, e.g. pr-{pr}",
            )
        if other.name != env.name and other.review.enabled and other.review.allows(project):
            mine = env.review.stack_name(env.name, project, 1)
            if mine == other.review.stack_name(other.name, project, 1):
                raise ConfigError(
                    f"review stacks of {env.name} and {other.name} would share the name {mine!r} in one backend",
                    file=env.source,
                    key="review.stack_name",
                    line=line_of(text, ["review", "stack_name"]),
                    hint="put {env} in the template, e.g. {env}-pr-{pr}, or give the environments their own backend",
                )
