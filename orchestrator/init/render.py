"""Rendering: orchestrator.yaml, environments/*.yaml and the CI files, from the templates beside."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from orchestrator import __version__
from orchestrator.config.load import CONFIG_FILE
from orchestrator.init.actions import ACTIONS
from orchestrator.init.install import install_commands
from orchestrator.init.model import Detection, GeneratedFile, InitOptions, Proposal
from orchestrator.templating import template_environment

TEMPLATE_DIR = Path(__file__).parent / "templates"
GITHUB_WORKFLOWS = ".github/workflows"
GITLAB_CI_FILE = ".gitlab-ci.yml"
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def _context(detection: Detection, proposal: Proposal, options: InitOptions) -> dict[str, Any]:
    return {
        "detection": detection,
        "proposal": proposal,
        "options": options,
        "version": __version__,
        "projects": sorted(detection.projects, key=lambda p: p.name),
        "requirements": detection.requirements,
        "install": proposal.install,
        "actions": ACTIONS,
        "install_commands": install_commands(proposal.install),
        # The pulumi engine in CI reaches AWS with the CI's OIDC token (a role per GitHub environment
        # or GitLab job), unless static keys were asked for.
        "oidc": options.engine == "pulumi" and options.aws_credentials == "oidc",
        "sts_region": sts_region(proposal),
    }


def sts_region(proposal: Proposal) -> str:
    """The region the credentials action asks STS in when no AWS_REGION variable is set: the first
    environment's (each stack still deploys to its own `aws:region`). Written into a workflow, so
    only a value shaped like a region name."""
    first = min(proposal.environments, key=lambda e: e.order, default=None)
    region = first.region if first is not None else ""
    return region if _REGION.fullmatch(region) else "us-east-1"


def render_config_files(detection: Detection, proposal: Proposal, options: InitOptions) -> list[GeneratedFile]:
    """orchestrator.yaml and one environments/<name>.yaml per proposed environment."""
    env = _jinja()
    context = _context(detection, proposal, options)
    files = [
        GeneratedFile(CONFIG_FILE, env.get_template("orchestrator.yaml.j2").render(context), "repository settings")
    ]
    reviewed = review_environment(proposal) if options.review else None
    for environment in proposal.environments:
        text = env.get_template("environment.yaml.j2").render(
            {**context, "env": environment, "review": environment.name == reviewed})
        files.append(
            GeneratedFile(
                f"{proposal.environments_dir}/{environment.name}.yaml", text, f"environment {environment.name}"
            )
        )
    return files


def review_environment(proposal: Proposal) -> str | None:
    """Where `--review` enables review stacks: the first environment in order that is not protected."""
    candidates = sorted((e for e in proposal.environments if not e.protected), key=lambda e: (e.order, e.name))
    return candidates[0].name if candidates else None


def render_ci_files(detection: Detection, proposal: Proposal, options: InitOptions) -> list[GeneratedFile]:
    """The GitHub Actions workflows or .gitlab-ci.yml for the proposal's branches and drift cron."""
    env = _jinja()
    context = _context(detection, proposal, options)
    files: list[GeneratedFile] = []
    if options.ci == "github":
        for name, purpose in (
            ("preview", "GitHub Actions: preview pull requests"),
            ("deploy", "GitHub Actions: deploy on push"),
            ("drift", "GitHub Actions: drift on schedule"),
            ("comment", "GitHub Actions: /orchestrator preview in a comment, for trusted commenters"),
            *((("review", "GitHub Actions: review stacks per pull request, destroyed on close"),)
              if options.review else ()),
        ):
            text = env.get_template(f"github_{name}.yaml.j2").render(context)
            files.append(GeneratedFile(f"{GITHUB_WORKFLOWS}/orchestrator-{name}.yml", text, purpose))
    elif options.ci == "gitlab":
        context["branch_regex"] = gitlab_branch_regex(proposal.tracked_branches)
        text = env.get_template("gitlab_ci.yaml.j2").render(context)
        files.append(GeneratedFile(GITLAB_CI_FILE, text, "GitLab CI: preview, deploy, drift"))
    return files


def _jinja() -> jinja2.Environment:
    # GitHub and GitLab expressions are written `${{ ... }}`, so these templates use [[ ]] for
    # values and [% %] for blocks.
    return template_environment(
        TEMPLATE_DIR,
        html=False,
        yaml_delimiters=True,
        filters={
            # A JSON string is a valid YAML double-quoted scalar: safe for any branch or stack name.
            "q": lambda value: json.dumps(str(value)),
            "rstrip": lambda value: str(value).rstrip(),
            "qlist": lambda values: "[" + ", ".join(json.dumps(str(v)) for v in values) + "]",
        },
    )


def gitlab_branch_regex(rules: Sequence[str]) -> str:
    """GitLab `rules: if:` regex (RE2) matching the branch rules, which are names or globs."""
    alternatives = []
    for rule in rules:
        out = []
        i = 0
        while i < len(rule):
            if rule.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            char = rule[i]
            if char == "*":
                out.append("[^/]*")
            elif char == "?":
                out.append("[^/]")
            elif char == "/":
                out.append("\\/")
            elif char in "[]":
                out.append(char)  # character classes mean the same in globs and RE2
            else:
                out.append(re.escape(char).replace("/", "\\/"))
            i += 1
        alternatives.append("".join(out))
    return "/^(" + "|".join(alternatives) + ")$/"
