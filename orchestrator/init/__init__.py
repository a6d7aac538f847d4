"""`orchestrator init`: adopt the orchestrator in an existing infrastructure repository.

Detects the Pulumi projects (wherever they are), their existing `Pulumi.<stack>.yaml` files
and the repository's branches (`detect`); proposes `orchestrator.yaml` and
`environments/<name>.yaml` (`propose`); renders them and the CI files (GitHub Actions workflows
or `.gitlab-ci.yml`) from the templates beside this package (`render`); checks that the
proposed configuration loads and finds exactly the detected projects (`check`); writes the
files, never overwriting one without `force` (`write`). `run` is the use case end to end.
"""

from orchestrator.init.model import InitOptions, InitResult
from orchestrator.init.render import gitlab_branch_regex
from orchestrator.init.run import run_init

__all__ = ["InitOptions", "InitResult", "gitlab_branch_regex", "run_init"]
