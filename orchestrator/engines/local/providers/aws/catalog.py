"""Which AWS resource types and provider functions the local engine has, found by token.

A token names its pulumi-aws module (`aws:sqs/queue:Queue` → `services/sqs.py`), so a
lookup imports one service module; listing everything imports them all.
"""

from __future__ import annotations

import importlib
import keyword
import pkgutil
from types import ModuleType

from orchestrator.engines.local.providers.aws import services
from orchestrator.engines.local.providers.aws.spec import AwsFunction, AwsType


def module_name(token: str) -> str | None:
    """`aws:sqs/queue:Queue` → `sqs`; `aws:lambda/function:Function` → `lambda_`."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws":
        return None
    module = parts[1].split("/", 1)[0]
    return f"{module}_" if keyword.iskeyword(module) else module


def _service(name: str) -> ModuleType | None:
    if not name.isidentifier() or name.startswith("_"):
        return None
    try:
        return importlib.import_module(f"{services.__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{services.__name__}.{name}":
            return None
        raise


def find_type(token: str) -> AwsType | None:
    name = module_name(token)
    module = _service(name) if name else None
    for spec in getattr(module, "TYPES", ()):
        if spec.token == token:
            return spec  # type: ignore[no-any-return]
    return None


def find_function(token: str) -> AwsFunction | None:
    name = module_name(token)
    module = _service(name) if name else None
    for function in getattr(module, "FUNCTIONS", ()):
        if function.token == token:
            return function  # type: ignore[no-any-return]
    return None


def _modules() -> list[ModuleType]:
    found = [_service(info.name) for info in pkgutil.iter_modules(services.__path__)]
    return [m for m in found if m is not None]


def all_types() -> tuple[AwsType, ...]:
    return tuple(sorted((t for m in _modules() for t in getattr(m, "TYPES", ())), key=lambda t: t.token))


def all_functions() -> tuple[AwsFunction, ...]:
    return tuple(sorted((f for m in _modules() for f in getattr(m, "FUNCTIONS", ())), key=lambda f: f.token))
