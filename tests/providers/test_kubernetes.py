"""Kubernetes objects rendered to manifests as pulumi-kubernetes' renderYamlToDirectory does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.engines.base import SECRET
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError
from orchestrator.engines.local.providers.inputs import diff_values
from orchestrator.engines.local.providers.kubernetes import AUTONAMED_ANNOTATION, KubernetesObject
from orchestrator.engines.local.providers.registry import get_provider
from orchestrator.models import AwsSettings


@pytest.fixture
def kctx(tmp_path: Path) -> ProviderContext:
    return ProviderContext(project="app", stack="dev", aws=AwsSettings(), manifests_dir=tmp_path / "out")


def _files(ctx: ProviderContext) -> list[str]:
    return sorted(str(p.relative_to(ctx.manifests_dir)) for p in ctx.manifests_dir.rglob("*.yaml"))


def _deployment(replicas: float = 2.0, selector: str = "web") -> dict[str, Any]:
    # As the SDK sends it: camelCase keys, numbers as floats.
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "app-dev"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": selector}},
            "template": {
                "metadata": {"labels": {"app": selector}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80.0}]}]},
            },
        },
    }


def test_deployment_renders_to_the_render_directory_layout(kctx: ProviderContext) -> None:
    provider = get_provider("kubernetes:apps/v1:Deployment", kctx)
    checked = provider.check("urn", "web", None, _deployment())
    id_, outputs = provider.create("urn", checked)
    assert id_ == "app-dev/web"
    assert _files(kctx) == ["1-manifest/apps_v1-deployment-app-dev-web.yaml"]
    on_disk = yaml.safe_load((kctx.manifests_dir / "1-manifest/apps_v1-deployment-app-dev-web.yaml").read_text())
    assert on_disk["spec"]["replicas"] == 2 and isinstance(on_disk["spec"]["replicas"], int)
    assert on_disk["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] == 80
    live = provider.read("urn", id_, checked, outputs)
    assert live is not None and diff_values(outputs, live.outputs) == []


def test_update_rewrites_and_hand_edits_show_as_drift(kctx: ProviderContext) -> None:
    provider = get_provider("kubernetes:apps/v1:Deployment", kctx)
    inputs = provider.check("urn", "web", None, _deployment())
    id_, outputs = provider.create("urn", inputs)
    news = provider.check("urn", "web", inputs, _deployment(replicas=3.0))
    diff = provider.diff("urn", id_, inputs, outputs, news)
    assert [(d.path, d.old, d.new) for d in diff.diffs] == [("spec.replicas", 2, 3)]
    assert not diff.replace
    outputs = provider.update("urn", id_, inputs, outputs, news)
    path = kctx.manifests_dir / "1-manifest/apps_v1-deployment-app-dev-web.yaml"
    assert yaml.safe_load(path.read_text())["spec"]["replicas"] == 3

    edited = yaml.safe_load(path.read_text())
    edited["spec"]["replicas"] = 5
    path.write_text(yaml.safe_dump(edited))
    live = provider.read("urn", id_, news, outputs)
    assert live is not None
    assert [(d.path, d.old, d.new) for d in diff_values(outputs, live.outputs)] == [("spec.replicas", 3, 5)]

    provider.delete("urn", id_, news, outputs)
    assert _files(kctx) == []
    assert provider.read("urn", id_, news, outputs) is None


def test_selector_change_replaces_deleting_first_on_the_same_file(kctx: ProviderContext) -> None:
    provider = get_provider("kubernetes:apps/v1:Deployment", kctx)
    inputs = provider.check("urn", "web", None, _deployment())
    id_, outputs = provider.create("urn", inputs)
    diff = provider.diff("urn", id_, inputs, outputs, provider.check("urn", "web", inputs, _deployment(selector="x")))
    assert diff.replace and "spec.selector.matchLabels.app" in diff.replace_paths
    assert diff.delete_before_replace, "create-before-delete would remove the file it just wrote"


def test_rename_moves_the_file(kctx: ProviderContext) -> None:
    provider = get_provider("kubernetes:core/v1:ConfigMap", kctx)
    inputs = provider.check("urn", "cfg", None, {"metadata": {"name": "one"}, "data": {"A": "1"}})
    id_, outputs = provider.create("urn", inputs)
    assert outputs["apiVersion"] == "v1" and outputs["kind"] == "ConfigMap"
    assert _files(kctx) == ["1-manifest/v1-configmap-default-one.yaml"]
    news = provider.check("urn", "cfg", inputs, {"metadata": {"name": "two"}, "data": {"A": "1"}})
    diff = provider.diff("urn", id_, inputs, outputs, news)
    assert diff.replace_paths == ("metadata.name",) and not diff.delete_before_replace
    new_id, _ = provider.create("urn", news)  # the engine's create-before-delete
    provider.delete("urn", id_, inputs, outputs)
    assert new_id == "two"
    assert _files(kctx) == ["1-manifest/v1-configmap-default-two.yaml"]


def test_autoname_is_kept_across_runs(kctx: ProviderContext) -> None:
    provider = get_provider("kubernetes:core/v1:Namespace", kctx)
    checked = provider.check("urn", "team", None, {"metadata": {"labels": {"a": "b"}}})
    name = checked["metadata"]["name"]
    assert re.fullmatch(r"team-[0-9a-f]{8}", name)
    assert checked["metadata"]["annotations"] == {AUTONAMED_ANNOTATION: "true"}
    again = provider.check("urn", "team", checked, {"metadata": {"labels": {"a": "c"}}})
    assert again["metadata"]["name"] == name
    id_, _ = provider.create("urn", again)
    assert id_ == name
    # Cluster-scoped objects land in the "default" namespace slot of the file name, as upstream.
    assert _files(kctx) == [f"1-manifest/v1-namespace-default-{name}.yaml"]


def test_crds_go_to_their_own_directory_and_generic_kinds_work(kctx: ProviderContext) -> None:
    crd = get_provider("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", kctx)
    crd.create("urn", crd.check("urn", "crd", None, {"metadata": {"name": "widgets.example.com"}, "spec": {}}))
    policy = get_provider("kubernetes:networking.k8s.io/v1:NetworkPolicy", kctx)
    _, outputs = policy.create(
        "urn", policy.check("urn", "np", None, {"metadata": {"name": "deny", "namespace": "a"}, "spec": {}})
    )
    assert outputs["apiVersion"] == "networking.k8s.io/v1"
    assert _files(kctx) == [
        "0-crd/apiextensions.k8s.io_v1-customresourcedefinition-default-widgets.example.com.yaml",
        "1-manifest/networking.k8s.io_v1-networkpolicy-a-deny.yaml",
    ]


def test_secret_diffs_are_redacted(kctx: ProviderContext) -> None:
    provider = get_provider("kubernetes:core/v1:Secret", kctx)
    inputs = provider.check("urn", "s", None, {"metadata": {"name": "creds"}, "stringData": {"password": "one"}})
    id_, outputs = provider.create("urn", inputs)
    news = provider.check("urn", "s", inputs, {"metadata": {"name": "creds"}, "stringData": {"password": "two"}})
    diff = provider.diff("urn", id_, inputs, outputs, news)
    assert [(d.path, d.old, d.new) for d in diff.diffs] == [("stringData.password", SECRET, SECRET)]
    mode = (kctx.manifests_dir / "1-manifest/v1-secret-default-creds.yaml").stat().st_mode & 0o777
    assert mode == 0o600


def test_mismatched_kind_and_remote_components_fail_clearly(kctx: ProviderContext) -> None:
    with pytest.raises(ProviderError, match="`kind` is 'Service', expected 'ConfigMap'"):
        KubernetesObject(kctx, "kubernetes:core/v1:ConfigMap").check("urn", "c", None, {"kind": "Service"})
    for token in ("kubernetes:yaml/v2:ConfigFile", "kubernetes:helm.sh/v4:Chart"):
        with pytest.raises(ProviderError, match=re.escape(token) + ".*only the real pulumi-kubernetes provider"):
            get_provider(token, kctx)
