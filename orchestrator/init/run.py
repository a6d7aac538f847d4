"""The use case: detect, propose, render, check, then write."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from orchestrator.errors import UserError
from orchestrator.git import GitRepo
from orchestrator.init.check import check_generated, final_state
from orchestrator.init.detect import detect
from orchestrator.init.install import resolve_install
from orchestrator.init.model import ENVIRONMENTS_DIR, InitOptions, InitResult
from orchestrator.init.next_steps import next_steps
from orchestrator.init.propose import propose
from orchestrator.init.render import render_ci_files, render_config_files
from orchestrator.init.resource_groups import oldest_first_calls
from orchestrator.init.write import ignore_runtime_dir, is_kept, write_files


def run_init(repo: Path, options: InitOptions) -> InitResult:
    """Detect, propose, render, check, then write (or, with `dry_run`, only say what it would)."""
    if options.matrix_threshold < 1:
        raise UserError(
            f"--matrix-threshold {options.matrix_threshold} must be at least 1",
            hint="give the number of changed stacks above which CI fans out, e.g. 10",
        )
    git = GitRepo(repo)
    detection = detect(git)
    install, install_note = resolve_install(detection.root)
    proposal = replace(propose(detection, options), install=install)
    config_files = render_config_files(detection, proposal, options)
    check_generated(detection, config_files)
    # CI files follow the configuration as it will be: existing files kept (no --force) win.
    ci_proposal, final_notes = final_state(detection, proposal, config_files, force=options.force)
    files = [*config_files, *render_ci_files(detection, ci_proposal, options)]
    actions = [
        *write_files(detection.root, files, force=options.force, dry_run=options.dry_run),
        ignore_runtime_dir(detection.root, dry_run=options.dry_run),
    ]
    kept_envs = {
        f.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        for f in config_files
        if f.path.startswith(f"{ENVIRONMENTS_DIR}/")
        and is_kept(detection.root / f.path, f.content, force=options.force)
    }
    # Notes on a proposed environment whose existing file is kept would be about a file not written.
    notes = [
        n
        for n in proposal.notes
        if not any(n.startswith((f"environment {e}:", f"environment {e} ")) for e in kept_envs)
    ]
    notes += final_notes
    if options.ci != "none":
        notes.append(install_note)
    if options.ci == "gitlab":
        notes += [f"deploys of {branch} run in push order once the first deploy pipeline created their "
                  f"resource group and this is run (GitLab's default starts them in any order): {call}"
                  for branch, call in zip(ci_proposal.tracked_branches,
                                          oldest_first_calls(git, ci_proposal.tracked_branches), strict=True)]
    return InitResult(
        root=detection.root,
        detection=detection,
        proposal=proposal,
        files=tuple(files),
        actions=tuple(actions),
        notes=tuple(notes),
        dry_run=options.dry_run,
        next_steps=next_steps(git, proposal, actions, options),
    )
