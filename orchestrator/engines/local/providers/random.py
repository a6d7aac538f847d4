"""`pulumi_random` without its plugin: values made once, kept in state, made anew on replace.

As terraform-provider-random (which pulumi-random wraps) does: every input forces a replace
(`keepers` exists to say when), nothing is ever read from outside (a refresh finds no drift),
and a value is random unless the program gives a `seed` (RandomInteger, RandomShuffle; the
sequence from a seed is Python's, not Go's). RandomPassword's `result` and `bcryptHash` are
secrets (the SDK asks for that with `additionalSecretOutputs`).
"""

from __future__ import annotations

import base64
import random as _random
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, DiffResult, ProviderError, ReadResult
from orchestrator.engines.local.providers.inputs import diff_inputs, integral

LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()
NUMERIC = "0123456789"
SPECIAL = "!@#$%&*()-_=+[]{}<>:?"

Made = tuple[str, dict[str, Any]]  # the id and the computed outputs


@dataclass(frozen=True)
class RandomKind:
    """One pulumi-random type: its inputs with their defaults (None: no default), the
    required ones, the computed outputs, and how a value is made from the checked inputs."""

    token: str
    inputs: Mapping[str, Any]
    make: Callable[[str, Mapping[str, Any]], Made]
    required: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ("result",)


def _whole(where: str, inputs: Mapping[str, Any], key: str, *, minimum: int | None = None) -> int:
    value = inputs.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        at_least = f" of at least {minimum}" if minimum is not None else ""
        raise ProviderError(f"{where}: `{key}` must be a whole number{at_least}, got {value!r}")
    return value


def _seeded(inputs: Mapping[str, Any]) -> _random.Random:
    seed = inputs.get("seed")
    return _random.Random(str(seed)) if seed not in (None, "") else _random.SystemRandom()


def _characters(where: str, inputs: Mapping[str, Any]) -> str:
    """A string of `length` from the enabled sets, with at least `min*` of each (as the provider)."""
    length = _whole(where, inputs, "length", minimum=1)
    special = str(inputs["overrideSpecial"]) if inputs.get("overrideSpecial") is not None else SPECIAL
    numeric = inputs.get("numeric", inputs.get("number", True)) is not False
    sets = [(LOWER, inputs["lower"], "minLower"), (UPPER, inputs["upper"], "minUpper"),
            (NUMERIC, numeric, "minNumeric"), (special, inputs["special"], "minSpecial")]
    chosen: list[str] = []
    pool = ""
    for alphabet, enabled, minimum in sets:
        count = _whole(where, inputs, minimum, minimum=0)
        if enabled and alphabet:
            pool += alphabet
            chosen.extend(secrets.choice(alphabet) for _ in range(count))
    if not pool:
        raise ProviderError(f"{where}: every character set is disabled (lower, upper, numeric, special)")
    if len(chosen) > length:
        raise ProviderError(f"{where}: `length` {length} is shorter than the minimums asked for ({len(chosen)})")
    chosen.extend(secrets.choice(pool) for _ in range(length - len(chosen)))
    _random.SystemRandom().shuffle(chosen)
    return "".join(chosen)


def _string(where: str, inputs: Mapping[str, Any]) -> Made:
    result = _characters(where, inputs)
    return result, {"result": result}


def _password(where: str, inputs: Mapping[str, Any]) -> Made:
    import bcrypt

    result = _characters(where, inputs)
    hashed = bcrypt.hashpw(result.encode()[:72], bcrypt.gensalt()).decode()
    return "none", {"result": result, "bcryptHash": hashed}


def _id(where: str, inputs: Mapping[str, Any]) -> Made:
    raw = secrets.token_bytes(_whole(where, inputs, "byteLength", minimum=1))
    prefix = str(inputs.get("prefix") or "")
    url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return url, {
        "b64Url": prefix + url, "b64Std": prefix + base64.b64encode(raw).decode(),
        "hex": prefix + raw.hex(), "dec": prefix + str(int.from_bytes(raw, "big")),
    }


def _pet(where: str, inputs: Mapping[str, Any]) -> Made:
    import petname

    separator = str(inputs["separator"])
    name = petname.Generate(_whole(where, inputs, "length", minimum=1), separator, letters=32)
    if inputs.get("prefix"):
        name = f"{inputs['prefix']}{separator}{name}"
    return name, {}


def _integer(where: str, inputs: Mapping[str, Any]) -> Made:
    low, high = _whole(where, inputs, "min"), _whole(where, inputs, "max")
    if high < low:
        raise ProviderError(f"{where}: `max` ({high}) is less than `min` ({low})")
    result = _seeded(inputs).randint(low, high)
    return str(result), {"result": result}


def _uuid(where: str, inputs: Mapping[str, Any]) -> Made:
    result = str(uuid.uuid4())
    return result, {"result": result}


def _shuffle(where: str, inputs: Mapping[str, Any]) -> Made:
    items = inputs.get("inputs")
    if not isinstance(items, list):
        raise ProviderError(f"{where}: `inputs` must be a list")
    count = _whole(where, inputs, "resultCount", minimum=0) if inputs.get("resultCount") is not None else len(items)
    rng = _seeded(inputs)
    results: list[Any] = []
    while items and len(results) < count:  # more results than inputs repeat them, as the provider does
        order = list(items)
        rng.shuffle(order)
        results.extend(order[: count - len(results)])
    return "-", {"results": results}


_CHARACTER_INPUTS = {
    "length": None, "keepers": None, "lower": True, "upper": True, "numeric": True, "number": None,
    "special": True, "minLower": 0, "minUpper": 0, "minNumeric": 0, "minSpecial": 0, "overrideSpecial": None,
}

KINDS = {kind.token: kind for kind in (
    RandomKind("random:index/randomString:RandomString", _CHARACTER_INPUTS, _string, ("length",)),
    RandomKind("random:index/randomPassword:RandomPassword", _CHARACTER_INPUTS, _password, ("length",),
               ("result", "bcryptHash")),
    RandomKind("random:index/randomId:RandomId", {"byteLength": None, "prefix": None, "keepers": None}, _id,
               ("byteLength",), ("b64Url", "b64Std", "hex", "dec")),
    RandomKind("random:index/randomPet:RandomPet", {"length": 2, "separator": "-", "prefix": None, "keepers": None},
               _pet, (), ()),
    RandomKind("random:index/randomInteger:RandomInteger", {"min": None, "max": None, "seed": None, "keepers": None},
               _integer, ("min", "max")),
    RandomKind("random:index/randomUuid:RandomUuid", {"keepers": None}, _uuid),
    RandomKind("random:index/randomShuffle:RandomShuffle",
               {"inputs": None, "resultCount": None, "seed": None, "keepers": None}, _shuffle, ("inputs",),
               ("results",)),
)}


class RandomResource:
    """Any pulumi-random type (`RandomKind`); the state is the only copy of its value."""

    def __init__(self, kind: RandomKind) -> None:
        self.kind = kind
        self.type_token = kind.token

    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        where = f"{self.type_token} {name}"
        extra = sorted(k for k, v in news.items() if v is not None and k not in self.kind.inputs
                       and not k.startswith("__"))
        if extra:
            raise ProviderError(f"{where}: unknown input(s) {', '.join(extra)}; "
                                f"it takes {', '.join(sorted(self.kind.inputs))}")
        checked = {k: v for k, v in integral(dict(news)).items() if v is not None}
        for key, default in self.kind.inputs.items():
            if checked.get(key) is None and default is not None:
                checked[key] = default
        missing = [k for k in self.kind.required if checked.get(k) is None]
        if missing:
            raise ProviderError(f"{where}: `{missing[0]}` is required")
        return checked

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        # Every input of a random resource forces a new value.
        return diff_inputs(old_inputs, news, replace_on=tuple(self.kind.inputs))

    def preview_outputs(self, urn: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        outputs = {**inputs, "id": UNKNOWN_MARKER}
        outputs.update({key: UNKNOWN_MARKER for key in self.kind.outputs})
        return outputs

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = urn.rsplit("::", 1)[-1]
        id_, made = self.kind.make(f"{self.type_token} {name}", inputs)
        return id_, {**inputs, **made}

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        return ReadResult(id, dict(outputs or inputs))

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        raise ProviderError(f"{self.type_token}: a change of its inputs replaces it; there is nothing to update")

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Nothing exists outside the state."""
