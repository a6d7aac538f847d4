"""The one way the package builds a Jinja2 environment.

Every template gets the same rules: a missing value is an error (StrictUndefined), not an
empty string; block tags leave no blank lines behind (trim_blocks, lstrip_blocks); a file's
last newline is kept. What differs is passed in: where the templates are, whether output
is HTML (autoescaped), the `finalize` every `{{ }}` goes through (redaction, escaping),
filters and globals, and for YAML templates `[[ ]]`/`[% %]` delimiters.

Bottom layer: imports nothing from the package; Jinja2 itself loads on the first call, so
`orchestrator --help` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

# Variable, block and comment delimiters. GitHub Actions and GitLab CI write `${{ ... }}`:
# Jinja's own `{{` would eat them, so YAML templates use the bracket forms.
_JINJA_DELIMITERS = ("{{", "}}", "{%", "%}", "{#", "#}")
_YAML_DELIMITERS = ("[[", "]]", "[%", "%]", "[#", "#]")


def template_environment(
    directory: Path,
    *,
    html: bool,
    finalize: Callable[[Any], Any] | None = None,
    filters: Mapping[str, Callable[..., Any]] | None = None,
    globals: Mapping[str, Any] | None = None,
    yaml_delimiters: bool = False,
) -> jinja2.Environment:
    """An environment for the templates in `directory`. Callers cache it (one per process)."""
    import jinja2

    var_start, var_end, block_start, block_end, comment_start, comment_end = (
        _YAML_DELIMITERS if yaml_delimiters else _JINJA_DELIMITERS
    )
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
        variable_start_string=var_start,
        variable_end_string=var_end,
        block_start_string=block_start,
        block_end_string=block_end,
        comment_start_string=comment_start,
        comment_end_string=comment_end,
    )
    environment.filters.update(filters or {})
    environment.globals.update(globals or {})
    return environment
