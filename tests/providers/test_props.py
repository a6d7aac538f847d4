"""Property diffs: paths as Pulumi shows them, floats equal to ints, None as absent."""

from __future__ import annotations

from orchestrator.engines.base import UNKNOWN
from orchestrator.engines.local.providers.aws.convert import block_to_api, from_api, to_api
from orchestrator.engines.local.providers.aws.spec import Prop
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER
from orchestrator.engines.local.providers.inputs import autoname, diff_inputs, diff_values, integral, top_key


def _paths(old: object, new: object) -> list[tuple[str, str]]:
    return [(d.path, d.kind) for d in diff_values(old, new)]


def test_paths_for_nested_values_lists_and_odd_keys() -> None:
    old = {"tags": {"env": "dev", "k8s.io/name": "a"}, "attributes": [{"name": "pk"}], "count": 3}
    new = {"tags": {"env": "prod", "k8s.io/name": "a", "new": "x"}, "attributes": [{"name": "id"}, {"name": "sk"}]}
    assert _paths(old, new) == [
        ("tags.env", "update"),
        ("tags.new", "add"),
        ("attributes[0].name", "update"),
        ("attributes[1]", "add"),
        ("count", "delete"),
    ]
    assert _paths({"tags": {"a.b": "1"}}, {"tags": {"a.b": "2"}}) == [('tags["a.b"]', "update")]


def test_numbers_and_booleans() -> None:
    assert _paths({"n": 30}, {"n": 30.0}) == []
    assert _paths({"b": True}, {"b": 1}) == [("b", "update")]
    assert _paths({"x": None}, {}) == []


def test_unknowns_are_changes_shown_as_known_after_update() -> None:
    result = diff_inputs({"name": "a", "v": 1}, {"name": UNKNOWN_MARKER, "v": 1}, replace_on=("name",))
    assert result.replace_paths == ("name",)
    assert result.diffs[0].new == UNKNOWN


def test_helpers() -> None:
    assert integral({"a": [2.0, 2.5, True]}) == {"a": [2, 2.5, True]}
    assert top_key("attributes[0].name") == "attributes" and top_key('["a.b"].c') == "a.b"
    name = autoname("x" * 70, max_len=63)
    assert len(name) == 63 and name[-8] == "-"


def test_a_field_read_where_it_is_written_is_encoded_both_ways() -> None:
    """ECS takes assignPublicIp as "ENABLED"/"DISABLED" and answers the same: True is sent as
    "ENABLED" (boto3 refused the bool). A value read from elsewhere (DynamoDB's PITR status)
    leaves what is sent alone: PointInTimeRecoveryEnabled stays a bool."""
    enabled = (("ENABLED", True), ("DISABLED", False))
    network = Prop("awsvpc", kind="object", api="awsvpcConfiguration", props=(
        Prop("subnets", kind="list", api="subnets"),
        Prop("assignPublicIp", kind="bool", api="assignPublicIp", values=enabled, default=False)))
    sent = to_api(network, {"subnets": ["subnet-1"], "assignPublicIp": True})
    assert sent == {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}
    assert block_to_api(network.props, {"assignPublicIp": False}) == {"assignPublicIp": "DISABLED"}
    assert from_api(network.props[1], "ENABLED", None) is True
    pitr = Prop("enabled", kind="bool", api="PointInTimeRecoveryEnabled", read="PointInTimeRecoveryStatus",
                values=enabled)
    assert to_api(pitr, True) is True
