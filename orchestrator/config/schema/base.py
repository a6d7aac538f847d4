"""What the configuration files' models share: the strict base model (unknown keys are errors,
values frozen) and the checks of values several files hold (repository-relative globs,
environment variable names, `{placeholder}` templates)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from orchestrator.globs import validate_glob
from orchestrator.redact import Redactor

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def path_globs(globs: list[str]) -> list[str]:
    """Watch globs match paths relative to the repository root, which never start with `/` or `./`:
    such a glob would silently never match."""
    for glob in globs:
        if glob.startswith(("/", "./")):
            raise ValueError(f"{glob!r}: write globs relative to the repository root, without a leading / or ./")
        validate_glob(glob)
    return globs


_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_var_name(value: str) -> str:
    """A `*_env` key names an environment variable; a URL or token written there instead would
    be a secret committed to the repository, and echoed by every message that names the key."""
    if _ENV_VAR_NAME.fullmatch(value) is None or Redactor().text(value) != value:  # a token looks like a name
        raise ValueError(
            "must be the name of an environment variable (letters, digits and '_'), not its value; the value "
            "is not shown here: if it is a secret, it is in the repository's history now, so rotate it"
        )
    return value


EnvVarName = Annotated[str, AfterValidator(_env_var_name)]


def secret_env_names(config: dict[str, Any]) -> dict[str, Any]:
    """`{secret_env: NAME}` anywhere in an environment's config names a variable, like a `*_env`
    key: a token pasted there would be committed, then echoed by the "is not set" error."""
    for key, value in config.items():
        _check_secret_env(str(key), value)
    return config


def _check_secret_env(path: str, value: Any) -> None:
    if isinstance(value, dict):
        if set(value) == {"secret_env"}:
            try:
                _env_var_name(str(value["secret_env"]))
            except ValueError as error:
                raise ValueError(f"{path}: secret_env {error}") from None
            return
        for key, item in value.items():
            _check_secret_env(f"{path}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_secret_env(f"{path}[{index}]", item)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

