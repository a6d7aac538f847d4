"""GitLab's deploy ordering: the API call that sets the generated deploy job's resource group to
`process_mode: oldest_first` (GitLab's default, `unordered`, may start an older pipeline's
deploy after a newer one). The process mode is not a `.gitlab-ci.yml` key; only the resource
group API sets it, and the group exists once a pipeline has used it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from orchestrator.git import GitRepo
from orchestrator.globs import is_literal

DEPLOY_GROUP_PREFIX = "orchestrator-deploy-"  # as in templates/gitlab_ci.yaml.j2
PLACEHOLDER_API = "https://gitlab.example.com/api/v4"
PLACEHOLDER_PROJECT = "<project id>"
_SCP_LIKE = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>[^\s]+)$")  # git@gitlab.com:group/infra.git


def ref_slug(branch: str) -> str:
    """GitLab's CI_COMMIT_REF_SLUG: lowercased, every character but 0-9 and a-z made `-`, at most
    63 bytes, no leading or trailing `-`."""
    return re.sub(r"[^0-9a-z]", "-", branch.lower())[:63].strip("-")


def oldest_first_calls(git: GitRepo, branches: tuple[str, ...]) -> tuple[str, ...]:
    """One `curl` per deploy branch (a glob gets `<branch slug>` to fill in)."""
    api, project = _api_and_project(git)
    calls = []
    for branch in branches:
        key = DEPLOY_GROUP_PREFIX + (ref_slug(branch) if is_literal(branch) else "<branch slug>")
        calls.append(
            f'curl --request PUT --header "PRIVATE-TOKEN: $GITLAB_TOKEN" --data "process_mode=oldest_first" '
            f'"{api}/projects/{project}/resource_groups/{key}"'
        )
    return tuple(calls)


def _api_and_project(git: GitRepo) -> tuple[str, str]:
    """The API root and URL-encoded project path of the clone's remote, when it names a host."""
    name = git.remote()
    if name is None:
        return PLACEHOLDER_API, PLACEHOLDER_PROJECT
    url = git.repo.remotes[name].url
    scp = _SCP_LIKE.match(url)
    if scp is not None:
        host, path = scp["host"], scp["path"]
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh") or not parts.hostname:
            return PLACEHOLDER_API, PLACEHOLDER_PROJECT
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git")
    if not path:
        return PLACEHOLDER_API, PLACEHOLDER_PROJECT
    return f"https://{host}/api/v4", quote(path, safe="")
