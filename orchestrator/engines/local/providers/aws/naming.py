"""Physical names: the program's, else the one recorded in state, else a new autoname; and ids
made the way terraform makes them (`unique_id`)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from itertools import count
from typing import Any

from orchestrator.engines.local.providers.aws.spec import Naming
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, ProviderError
from orchestrator.engines.local.providers.inputs import autoname, random_suffix


def physical_name(naming: Naming, token: str, resource: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
    """The name to create with: the given one, else the recorded autoname (when it still fits
    the prefix and suffix), else `<prefix><random>` or `<resource>-<7 hex>`."""
    suffix = naming.suffix if naming.suffix_when and news.get(naming.suffix_when) is True else ""
    name = news.get(naming.prop)
    if name is None:
        prefix = news.get(naming.prefix) if naming.prefix else None
        old = olds.get(naming.prop)
        if isinstance(old, str) and old.endswith(suffix) and (not prefix or old.startswith(str(prefix))):
            name = old
        elif isinstance(prefix, str) and prefix:
            name = prefix + random_suffix(max(1, min(26, naming.max_len - len(prefix) - len(suffix)))) + suffix
        else:
            name = autoname(_base(naming, resource), max_len=naming.max_len, suffix=suffix)
    if name != UNKNOWN_MARKER:
        _validate(naming, token, resource, str(name), suffix)
    return name


def _base(naming: Naming, resource: str) -> str:
    base = resource.lower() if naming.lower else resource
    return re.sub(f"[^{naming.charset}]+", "-", base).strip("-.") or "resource"


def _validate(naming: Naming, token: str, resource: str, name: str, suffix: str) -> None:
    what = "name" if naming.prop == "name" else f"{naming.prop} name"
    if naming.pattern and not re.fullmatch(naming.pattern, name.removesuffix(naming.suffix) if suffix else name):
        raise ProviderError(f"{token} {resource}: {what} {name!r} is invalid: {naming.rule or naming.pattern}")
    if len(name) > naming.max_len:
        raise ProviderError(f"{token} {resource}: {what} {name!r} is longer than {naming.max_len} characters")
    if naming.suffix_when and naming.suffix and (name.endswith(naming.suffix) != bool(suffix)):
        raise ProviderError(
            f"{token} {resource}: a name must end in `{naming.suffix}` exactly when {naming.suffix_when} is set "
            f"(name {name!r}, {naming.suffix_when}={bool(suffix)})"
        )


_serial = count(1)


def unique_id(prefix: str) -> str:
    """terraform's `PrefixedUniqueId`: the prefix, a UTC timestamp and a counter (26 digits)."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return f"{prefix}{stamp}{time.time_ns() % 10**4:04d}{next(_serial) % 10**8:08d}"
