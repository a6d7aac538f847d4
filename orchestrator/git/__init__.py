"""The only package that talks to Git.

GitPython for repository access; bulk object reads go through one `git cat-file --batch`
process because reading thousands of small blobs one round trip at a time is what would
make planning slow on large repositories.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.errors import UserError
from orchestrator.fsutil import pid_alive
from orchestrator.git.tree import CommitTree, decode_path
from orchestrator.models import FileChange

if TYPE_CHECKING:
    import git

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_SHA = "0" * 40
FETCH_TIMEOUT_S = 300.0
FULL_HISTORY_HINT = (
    "fetch the full history: `fetch-depth: 0` on actions/checkout (GitHub Actions), `GIT_DEPTH: 0` "
    "(GitLab CI), or `git fetch --unshallow` in the clone"
)
WORKTREE_DIR_PREFIX = "orchestrator-"  # the temporary directories the flows check commits out in
_WORKTREE_OWNER = re.compile(r"orchestrator pid (?P<pid>\d+) on (?P<host>\S+)")
_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]+@")
_KINDS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "added", "T": "modified"}


def git_env() -> dict[str, str]:
    """Git that never waits for a password prompt (there is nobody to answer it)."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}


def mask_urls(text: str) -> str:
    """`https://user:token@host/...` → `https://***@host/...`: git errors quote the remote URL."""
    return _CREDENTIALS.sub(r"\1***@", text)


@dataclass(frozen=True)
class BranchTip:
    """The newest commit of a branch as far as this clone can tell.

    `confirmed` when read from the remote just now (or the clone has no remote, so its own
    branch is the truth); otherwise the clone's possibly stale ref, and `note` says why."""

    branch: str
    sha: str | None
    source: str  # e.g. "origin/main, fetched", "main (no remote)"
    confirmed: bool
    note: str | None = None


class GitRepo:
    """One clone. Everything a plan needs runs `git` directly; GitPython, slow to import, is
    loaded only by what reads branches and remotes through it (`repo`, `branches`, `remote`)."""

    def __init__(self, path: Path) -> None:
        self._gitpython: git.Repo | None = None
        root = _work_tree_top(path)
        if root is None:  # not found by git's own discovery: GitPython says why (or finds a .git directory)
            root = self._open(path)
        self.root = root.resolve()

    def _open(self, path: Path) -> Path:
        import git

        try:
            repo = self._gitpython = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise UserError(
                f"{path} is not a Git repository",
                "run the command inside your infrastructure repository or pass --repo PATH",
            ) from None
        if repo.working_tree_dir is None:
            raise UserError(f"{path} is a bare Git repository", "use a clone with a working tree")
        return Path(repo.working_tree_dir)

    @property
    def _repo(self) -> git.Repo:
        if self._gitpython is None:
            import git

            self._gitpython = git.Repo(self.root)
        return self._gitpython

    @property
    def repo(self) -> git.Repo:
        return self._repo

    def resolve(self, ref: str) -> str:
        sha = self._commit_of(ref)
        if sha is None:
            raise UserError(
                f"unknown Git ref {ref!r} in {self.root}",
                "give a commit SHA, branch or tag that exists (fetch it first if it lives on a remote)",
            )
        return sha

    def merge_base(self, base: str, head: str) -> str:
        done = subprocess.run(["git", "merge-base", base, head], cwd=self.root, capture_output=True, check=False)
        if done.returncode != 0:
            raise UserError(
                f"{base} and {head} have no common ancestor",
                "check that the base branch and the head commit belong to the same history",
            )
        return done.stdout.decode().strip()

    def first_parent(self, sha: str) -> str:
        """The first parent of `sha`, or the empty tree for a root commit.

        Read from the commit object itself, as recorded: in a shallow clone the parent of the
        oldest commit is still named (history views would show none)."""
        header = self.run("cat-file", "commit", sha).split(b"\n\n", 1)[0]
        parents = [line[len(b"parent ") :].decode() for line in header.split(b"\n") if line.startswith(b"parent ")]
        return parents[0] if parents else EMPTY_TREE

    def changes(self, base: str, head: str) -> list[FileChange]:
        """Files changed from `base` to `head`; renames detected."""
        raw = self.run("diff", "--name-status", "-z", "-M", "--no-color", base, head)
        out = decode_path(raw, f"{base[:12]}..{head[:12]}")
        fields = out.split("\0")
        changes: list[FileChange] = []
        i = 0
        while i < len(fields) and fields[i]:
            status = fields[i]
            letter = status[0]
            if letter in ("R", "C"):
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                if letter == "R":
                    changes.append(FileChange(path=new, kind="renamed", old_path=old))
                else:
                    changes.append(FileChange(path=new, kind="added"))
                continue
            changes.append(FileChange(path=fields[i + 1], kind=_KINDS.get(letter, "modified")))  # type: ignore[arg-type]
            i += 2
        return changes

    def tree(self, sha: str) -> CommitTree:
        return CommitTree(self, sha)  # files of a commit, read without a checkout (git/tree.py)

    def current_branch(self) -> str | None:
        done = subprocess.run(["git", "symbolic-ref", "--quiet", "HEAD"], cwd=self.root, capture_output=True,
                              check=False)
        ref = done.stdout.decode().strip()
        return ref.removeprefix("refs/heads/") if done.returncode == 0 and ref else None  # else detached

    def branches(self) -> list[str]:
        return sorted(head.name for head in self._repo.heads)

    def branch_name(self, ref: str) -> str | None:
        """The branch `ref` names: `main` for `main`, `refs/heads/main`, `origin/main` or
        `refs/remotes/origin/main` (CI checkouts often know the target only remotely); else None."""
        if ref in self.branches():
            return ref
        if ref.startswith("refs/heads/"):
            return ref.removeprefix("refs/heads/")
        remote_ref = ref.removeprefix("refs/remotes/")
        for remote in self._repo.remotes:
            prefix = f"{remote.name}/"
            if remote_ref.startswith(prefix) and self._ref_exists(f"refs/remotes/{remote_ref}"):
                return remote_ref.removeprefix(prefix)
        return None

    def _ref_exists(self, ref: str) -> bool:
        return self._verified(ref) is not None

    def _verified(self, name: str) -> str | None:
        """`git rev-parse --verify` of `name`: the object it names, or None."""
        done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", name], cwd=self.root,
                              capture_output=True, check=False)
        return (done.stdout.decode().strip() or None) if done.returncode == 0 else None

    def run(self, *args: str, input_bytes: bytes | None = None) -> bytes:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, input=input_bytes, capture_output=True, check=False
        )
        if proc.returncode != 0:
            raise UserError(f"git {' '.join(args[:2])} failed: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    def commit_times(self, shas: Iterable[str]) -> dict[str, datetime]:
        """Committer time of each commit of `shas` this clone has (others are left out)."""
        wanted = sorted({s for s in shas if s and s != ZERO_SHA})
        if not wanted:
            return {}
        checked = self.run("cat-file", "--batch-check=%(objectname) %(objecttype)",
                           input_bytes="\n".join(wanted).encode() + b"\n").decode()
        present = [line.split()[0] for line in checked.splitlines() if line.endswith(" commit")]
        if not present:
            return {}
        listed = self.run("log", "--no-walk=unsorted", "--stdin", "--format=%H %ct",
                          input_bytes="\n".join(present).encode() + b"\n").decode()
        times = {}
        for line in listed.splitlines():
            sha, _, seconds = line.partition(" ")
            times[sha] = datetime.fromtimestamp(int(seconds), tz=UTC)
        return times

    # ------------------------------------------------------------------ history

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is `descendant` or one of its ancestors."""
        done = subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=self.root,
                              capture_output=True, check=False)
        return done.returncode == 0

    def has_commit(self, sha: str) -> bool:
        return self._ref_exists(f"{sha}^{{commit}}")

    def commits_between(self, older: str, newer: str) -> int:
        """How many commits `newer` has that `older` lacks."""
        return int(self.run("rev-list", "--count", f"{older}..{newer}").decode().strip() or 0)

    def is_shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository").decode().strip() == "true"

    def remote(self) -> str | None:
        """The remote deploys read branches from: `origin`, else the only one."""
        names = [r.name for r in self._repo.remotes]
        return "origin" if "origin" in names else (names[0] if len(names) == 1 else None)

    def fetch(self, remote: str, *args: str) -> str | None:
        """`git fetch --no-tags REMOTE ARGS`; None, or what went wrong (credentials masked)."""
        try:
            done = subprocess.run(["git", "fetch", "--no-tags", "--quiet", remote, *args], cwd=self.root,
                                  capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, env=git_env(),
                                  check=False)
        except subprocess.TimeoutExpired:
            return f"git fetch timed out after {FETCH_TIMEOUT_S:.0f}s"
        if done.returncode == 0:
            return None
        lines = done.stderr.strip().splitlines()
        return mask_urls(" / ".join(lines[-2:]) if lines else f"git fetch exited {done.returncode}")

    def ensure_full_history(self) -> bool:
        """Deepen a shallow clone (CI's default) to its full history, which deploys need to compare
        commits; True when it was shallow. A clone that cannot be deepened is a user error."""
        if not self.is_shallow():
            return False
        remote = self.remote()
        error = "the clone has no remote to fetch it from" if remote is None else self.fetch(remote, "--unshallow")
        if error is not None:
            raise UserError(f"{self.root} is a shallow clone and its history could not be fetched ({error})",
                            hint=FULL_HISTORY_HINT)
        return True

    def fetch_commit(self, sha: str) -> bool:
        """Try to fetch one commit this clone lacks (e.g. from history rewritten since); True if present."""
        if self.has_commit(sha):
            return True
        remote = self.remote()
        return remote is not None and self.fetch(remote, sha) is None and self.has_commit(sha)

    def branch_tip(self, branch: str, *, fetch: bool = True) -> BranchTip:
        """The branch's newest commit: fetched from the remote when there is one, since a CI job
        re-run for an old push holds the branch as it was then (`fetch=False`: as last fetched)."""
        remote = self.remote()
        if remote is None:
            local = self._commit_of(f"refs/heads/{branch}")
            return BranchTip(branch, local, f"{branch} (no remote)", confirmed=local is not None,
                             note=None if local else f"the clone has no branch {branch}")
        tracking = f"refs/remotes/{remote}/{branch}"
        error = self.fetch(remote, f"+refs/heads/{branch}:{tracking}") if fetch else "not fetched"
        found = self._commit_of(tracking)
        if error is None and found is not None:
            return BranchTip(branch, found, f"{remote}/{branch}, fetched", confirmed=True)
        fallback = found or self._commit_of(f"refs/heads/{branch}")
        why = f"fetching {branch} from {remote} failed ({error})" if error else f"{remote} has no branch {branch}"
        return BranchTip(branch, fallback, f"{branch} as this clone last saw it", confirmed=False, note=why)

    def _commit_of(self, ref: str) -> str | None:
        return self._verified(f"{ref}^{{commit}}")

    # ------------------------------------------------------------------ checkouts

    @contextmanager
    def worktree(self, sha: str, directory: Path) -> Iterator[Path]:
        """A detached checkout of `sha` at `directory`, removed afterwards. It is locked with a
        reason naming this process, so that if the process is killed the next run can tell the
        worktree is a leftover (`prune_dead_worktrees`) while a live run's stays untouched."""
        self.run("worktree", "add", "--detach", "--force", "--lock", "--reason", _worktree_owner(os.getpid()),
                 str(directory), sha)
        try:
            yield directory
        finally:
            self.run("worktree", "remove", "--force", "--force", str(directory))

    def prune_dead_worktrees(self) -> list[str]:
        """Remove the worktrees that runs killed on this host left behind (with the temporary
        directories holding them); the paths removed."""
        removed: list[str] = []
        parents: set[Path] = set()
        for path, reason in self._locked_worktrees():
            owner = _WORKTREE_OWNER.fullmatch(reason)
            if owner is None or owner["host"] != socket.gethostname() or pid_alive(int(owner["pid"])):
                continue
            if Path(path).exists():
                self.run("worktree", "remove", "--force", "--force", path)
            else:
                self.run("worktree", "unlock", path)
            removed.append(path)
            parents.add(Path(path).parent)
        if removed:
            self.run("worktree", "prune")
        for parent in parents:
            if parent.name.startswith(WORKTREE_DIR_PREFIX):
                with contextlib.suppress(OSError):
                    parent.rmdir()  # only when nothing else is in it
        return removed

    def _locked_worktrees(self) -> list[tuple[str, str]]:
        listed = self.run("worktree", "list", "--porcelain").decode(errors="replace")
        found = []
        for block in listed.split("\n\n"):
            fields = dict(line.partition(" ")[::2] for line in block.splitlines() if line)
            if "worktree" in fields and "locked" in fields:
                found.append((fields["worktree"], fields["locked"]))
        return found


def _work_tree_top(path: Path) -> Path | None:
    """The top of the work tree holding `path`, found by git as its later commands find it; None
    when git finds none there (a bare repository, a .git directory, no repository, no directory)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, check=False)
    except OSError:
        return None
    top = os.fsdecode(done.stdout).removesuffix("\n")
    return Path(top) if done.returncode == 0 and top else None


def _worktree_owner(pid: int) -> str:
    return f"orchestrator pid {pid} on {socket.gethostname()}"
