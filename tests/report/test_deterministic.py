"""The same change reads the same in every environment and every run: results are made
canonical (resources by URN, diffs by path, map keys sorted), and grouping ignores Pulumi's
random autoname suffixes. Plain data, the comment rendered for real."""

from __future__ import annotations

import dataclasses

from orchestrator.engines.base import StackResult
from orchestrator.engines.canonical import canonical
from orchestrator.report.comment import render_comment
from tests.report.factory import add, change, model, outcome, result, update
from tests.report.scenarios import demo_grouping


def _sections(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("<details>")]


def test_the_demo_data_change_is_shown_once_for_qa_uat_and_prod() -> None:
    rendered = render_comment(demo_grouping()).markdown
    assert _sections(rendered) == [
        "<details><summary>✅ <b>data</b> · qa, uat, prod: 1 to create, 3 to update</summary>"
    ]


def test_without_the_canonical_order_the_same_change_was_shown_three_times() -> None:
    """What the issue saw: completion order, map order and autoname suffixes kept the groups apart."""
    built = demo_grouping()
    shuffled = []
    for index, stack in enumerate(built.stacks):
        changes = list(stack.result.changes)
        changes = changes[index:] + changes[:index]
        shuffled.append(dataclasses.replace(stack, result=dataclasses.replace(stack.result, changes=tuple(changes))))
    rendered = render_comment(dataclasses.replace(built, stacks=tuple(shuffled))).markdown
    assert len(_sections(rendered)) == 3


def test_canonical_orders_resources_diffs_and_keys_without_changing_them() -> None:
    raw = result(
        "data",
        "qa",
        [
            change("data", "qa", "aws:s3/bucket:Bucket", "uploads", "update", update("rules[10].days", 1, 2),
                   update("rules[2].days", 1, 2), add("tags", {"b": 1, "a": {"y": 2, "x": 1}})),
            change("data", "qa", "aws:iam/role:Role", "app", "update", update("maxSessionDuration", 3600, 7200)),
        ],
    )
    raw = dataclasses.replace(raw, outputs={"z": 1, "a": {"d": [{"k": 2, "j": 1}], "c": 0}})
    made = canonical(raw)
    assert [c.name for c in made.changes] == ["app", "uploads"]  # by URN
    bucket = made.changes[1]
    assert [d.path for d in bucket.diffs] == ["rules[2].days", "rules[10].days", "tags"]
    assert list(bucket.diffs[2].new) == ["a", "b"] and list(bucket.diffs[2].new["a"]) == ["x", "y"]
    assert list(made.outputs) == ["a", "z"] and list(made.outputs["a"]) == ["c", "d"]
    assert list(made.outputs["a"]["d"][0]) == ["j", "k"]
    assert made.to_json()["outputs"] == raw.to_json()["outputs"]  # equal content, other order
    assert canonical(made) == made


def _topic(env: str, name: str) -> StackResult:
    return result("data", env, [change("data", env, "aws:sns/topic:Topic", "events", "create", add("name", name))])


def test_grouping_ignores_autoname_suffixes_only() -> None:
    same = model([outcome(_topic("qa", "qa-events-d8ad494")), outcome(_topic("prod", "prod-events-9b3e2a7"))])
    assert len(_sections(render_comment(same).markdown)) == 1
    different = model([outcome(_topic("qa", "qa-events-v1")), outcome(_topic("prod", "prod-events-v2"))])
    assert len(_sections(render_comment(different).markdown)) == 2
    not_a_suffix = model([outcome(_topic("qa", "events d8ad494")), outcome(_topic("prod", "events 9b3e2a7"))])
    assert len(_sections(render_comment(not_a_suffix).markdown)) == 2
