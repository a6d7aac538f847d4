"""The three commands to run after `orchestrator init`, to a first pull-request comment on the
user's own machine: commit the configuration (plans read committed files), start what the
engine needs, and preview the commit that adds the configuration as a pull request would."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.errors import UserError
from orchestrator.git import GitRepo
from orchestrator.init.model import ENVIRONMENTS_DIR, FileAction, InitOptions, Proposal

COMMENTS_DIR = "comments"
_WRITTEN = ("written", "overwritten", "appended", "would write", "would overwrite", "would append")


def next_steps(
    git: GitRepo, proposal: Proposal, actions: Sequence[FileAction], options: InitOptions
) -> tuple[str, ...]:
    """Nothing when init wrote nothing: the files were there already."""
    if not any(a.action in _WRITTEN for a in actions) or not proposal.environments:
        return ()
    first = min(proposal.environments, key=lambda e: e.order)
    paths = sorted({_top(a.path) for a in actions if a.action in _WRITTEN})
    commit = f"git add {' '.join(paths)} && git commit -m 'Adopt the GitOps orchestrator'"
    engine = (
        "orchestrator sandbox start     # the embedded AWS the environments point at (aws.endpoint: sandbox)"
        if options.engine == "local"
        else "export PULUMI_ACCESS_TOKEN=...  # or `pulumi login` to your backend, and your cloud credentials"
    )
    base = "HEAD~1" if _has_commits(git) else "$(git hash-object -t tree /dev/null)"
    preview = (
        f"orchestrator preview --base {base} --head HEAD --branch {first.branch} "
        f"--vcs files --out {COMMENTS_DIR}/   # every {first.name} stack, as a pull request adding "
        f"these files; the comment goes to {COMMENTS_DIR}/comment.md"
    )
    return (commit, engine, preview)


def _top(path: str) -> str:
    """What to `git add`: the environments and workflow directories whole, other files by name."""
    head = path.split("/", 1)[0]
    return head if head in (ENVIRONMENTS_DIR, ".github") else path


def _has_commits(git: GitRepo) -> bool:
    try:
        git.resolve("HEAD")
    except UserError:
        return False
    return True
