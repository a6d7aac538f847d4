"""Small Pulumi programs for the engine tests, written into tmp_path.

`items` (config `t:items`, JSON) declares file-backed dynamic resources, so each test
changes the desired state through config alone. The provider keeps every object as a JSON
file under `store` and appends each call to `store/log.txt`, which the tests read to check
order and effects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ITEMS_PROGRAM = '''
import json
import os
import time
import uuid

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult


def _log(store, line):
    with open(os.path.join(store, "log.txt"), "a") as fh:
        fh.write(line + "\\n")


class FileProvider(ResourceProvider):
    def create(self, props):
        store = props["store"]
        os.makedirs(store, exist_ok=True)
        _log(store, "begin-create " + props["key"])
        time.sleep(float(props.get("sleep") or 0))
        rid = props["key"] + "-" + uuid.uuid4().hex[:6]
        with open(os.path.join(store, rid + ".json"), "w") as fh:
            json.dump({"value": props["value"]}, fh)
        _log(store, "create " + props["key"])
        return CreateResult(rid, {**props, "path": os.path.join(store, rid + ".json")})

    def diff(self, id, olds, news):
        replaces = ["key"] if olds.get("key") != news.get("key") else []
        changes = any(olds.get(k) != news.get(k) for k in ("key", "value"))
        return DiffResult(changes=changes, replaces=replaces)

    def update(self, id, olds, news):
        with open(os.path.join(news["store"], id + ".json"), "w") as fh:
            json.dump({"value": news["value"]}, fh)
        _log(news["store"], "update " + news["key"])
        return UpdateResult({**news, "path": os.path.join(news["store"], id + ".json")})

    def delete(self, id, props):
        os.remove(os.path.join(props["store"], id + ".json"))
        _log(props["store"], "delete " + props["key"])

    def read(self, id, props):
        path = os.path.join(props["store"], id + ".json")
        if not os.path.exists(path):
            return ReadResult(None, {})
        with open(path) as fh:
            return ReadResult(id, {**props, "value": json.load(fh)["value"]})


class Item(Resource):
    path: pulumi.Output[str]
    value: pulumi.Output[str]

    def __init__(self, name, props, opts=None):
        super().__init__(FileProvider(), name, {**props, "path": None}, opts)


cfg = pulumi.Config()
store = cfg.require("store")
items = json.loads(cfg.get("items") or "[]")
made = {}
for it in items:
    value = it.get("value", "v")
    if it.get("secret"):
        value = cfg.require_secret("word")
    elif it.get("ref"):
        value = made[it["ref"]].id.apply(lambda i, v=value: f"{v}:{i}")
    opts = pulumi.ResourceOptions(
        depends_on=[made[d] for d in it.get("deps", [])],
        protect=bool(it.get("protect", False)),
        ignore_changes=it.get("ignore") or None,
        delete_before_replace=bool(it.get("dbr", False)),
    )
    props = {"store": store, "key": it.get("key", it["name"]), "value": value, "sleep": it.get("sleep", 0)}
    made[it["name"]] = Item(it["name"], props, opts)

if cfg.get_bool("fail"):
    raise RuntimeError("the program failed on purpose, word=" + (cfg.get("word") or ""))
if cfg.get("unsupported"):
    pulumi.CustomResource(cfg.get("unsupported"), "odd", {"x": 1})

pulumi.export("ids", {name: res.id for name, res in made.items()})
if cfg.get("word") is not None:
    pulumi.export("word", cfg.require_secret("word"))
'''

CONSUMER_PROGRAM = '''
import pulumi
ref = pulumi.StackReference(pulumi.Config().require("ref"))
pulumi.export("seen_ids", ref.get_output("ids"))
pulumi.export("seen_word", ref.get_output("word"))
'''


def write_project(directory: Path, name: str, program: str = ITEMS_PROGRAM,
                  stack_config: dict[str, Any] | None = None, stack: str = "dev",
                  encryption_salt: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (directory / "__main__.py").write_text(program)
    if stack_config is not None or encryption_salt is not None:
        lines = []
        if encryption_salt:
            lines.append(f"encryptionsalt: {encryption_salt}")
        lines.append("config:")
        for key, value in (stack_config or {}).items():
            lines.append(f"  {key}: {json.dumps(value)}")
        (directory / f"Pulumi.{stack}.yaml").write_text("\n".join(lines) + "\n")
    return directory


def items_config(store: Path, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"t:store": str(store), "t:items": json.dumps(items), **{f"t:{k}": v for k, v in extra.items()}}
