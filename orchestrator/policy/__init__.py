"""Policy as code: Pulumi policy packs run on every preview and update.

`settings` is pure (enforcement levels, per-policy config as Pulumi's `--policy-pack-config`
takes it, reconciling it with a pack's defaults); `launch` is the one module that starts a
pack's program; `analyzer` talks to the analyzer service it serves; `changes` says which
environments a change to a pack affects; `cli_args` gives the packs to the Pulumi CLI. The
local engine's host (`engines/local/policy.py`) and the pulumi engine build on these; nothing
here imports an engine or the configuration.
"""
