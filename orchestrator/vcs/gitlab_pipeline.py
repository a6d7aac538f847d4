"""The GitLab CI pipeline the orchestrator runs in, so the statuses it posts join that pipeline.

GitLab files every commit status under a pipeline. Without `pipeline_id` and `ref` it picks
the newest pipeline of the commit on the first branch holding it, or makes an "external" one:
the statuses then miss the merge request's own pipeline. GitLab's service only accepts a
`pipeline_id` whose pipeline has that commit and that ref, so both go together, and only for
statuses on the pipeline's own commit: a merged-results pipeline runs on a merge commit,
while the orchestrator reports on the merge request's head; those get the source branch as
`ref` and no pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class GitLabPipeline:
    id: int
    sha: str  # the commit the pipeline runs on (CI_COMMIT_SHA)
    ref: str  # the pipeline's ref: refs/merge-requests/<iid>/head in a merge request pipeline, else the branch
    head_branch: str | None = None  # the branch of the merge request's head, or the pushed branch

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitLabPipeline | None:
        """From GitLab CI's predefined variables; None outside a pipeline."""
        pipeline_id, sha = env.get("CI_PIPELINE_ID", ""), env.get("CI_COMMIT_SHA", "")
        if not env.get("GITLAB_CI") or not pipeline_id.isdigit() or not sha:
            return None
        branch = env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or env.get("CI_COMMIT_BRANCH") or None
        ref = env.get("CI_MERGE_REQUEST_REF_PATH") or env.get("CI_COMMIT_REF_NAME") or branch
        if not ref:
            return None
        return cls(id=int(pipeline_id), sha=sha, ref=ref, head_branch=branch)

    def placement(self, sha: str) -> dict[str, str | int]:
        """`pipeline_id` and `ref` for a status on `sha` (only a `ref`, or nothing, for another commit)."""
        if sha == self.sha:
            return {"pipeline_id": self.id, "ref": self.ref}
        return {"ref": self.head_branch} if self.head_branch else {}
