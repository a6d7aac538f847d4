"""Kubernetes objects rendered as YAML manifests, as pulumi-kubernetes' `renderYamlToDirectory` does.

No Kubernetes API server can run on the build machines, so the local engine writes each
object to `<manifests_dir>/1-manifest/<apiVersion>-<kind>-<namespace>-<name>.yaml`
(CustomResourceDefinitions under `0-crd/`), rewrites it on update and removes it on delete.
Applying to a real cluster is the pulumi engine's job. Rendered Secret files hold their data
as given (as pulumi-kubernetes' do; mode 0600); diffs of Secret data show `[secret]`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orchestrator.engines.local.providers.base import (
    UNKNOWN_MARKER,
    DiffResult,
    ProviderContext,
    ProviderError,
    ReadResult,
)
from orchestrator.engines.local.providers.inputs import contains_unknown, diff_inputs, integral, random_suffix
from orchestrator.fsutil import atomic_write
from orchestrator.names import inside

AUTONAMED_ANNOTATION = "pulumi.com/autonamed"
CUSTOM_RESOURCE_TOKEN = "kubernetes:apiextensions.k8s.io:CustomResource"

# Multi-object components that only the real pulumi-kubernetes provider can expand.
REMOTE_COMPONENTS: tuple[str, ...] = (
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:kustomize/v2:Directory",
    "kubernetes:helm.sh/v3:Release",
)

# Kinds named explicitly in the supported list (any other plain `group/version:Kind` works too).
NAMED_KINDS: tuple[str, ...] = (
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    CUSTOM_RESOURCE_TOKEN,
)

_TOKEN = re.compile(r"^kubernetes:(?P<group>[A-Za-z0-9.-]+)/(?P<version>[A-Za-z0-9]+):(?P<kind>[A-Za-z0-9]+)$")

# Changes to these paths cannot be applied in place (pulumi-kubernetes' forceNew rules, abridged).
_FORCE_NEW: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec.selector",),
    "ReplicaSet": ("spec.selector",),
    "DaemonSet": ("spec.selector",),
    "StatefulSet": ("spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"),
    "Service": ("spec.clusterIP",),
    "Secret": ("type",),
    "Job": ("spec.selector", "spec.template", "spec.completions", "spec.parallelism"),
    "PersistentVolumeClaim": ("spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"),
}
_SECRET_PATHS: dict[str, tuple[str, ...]] = {"Secret": ("data", "stringData")}


def is_kubernetes_type(type_token: str) -> bool:
    return type_token.startswith("kubernetes:")


def api_version_and_kind(type_token: str) -> tuple[str, str] | None:
    """`kubernetes:apps/v1:Deployment` → (`apps/v1`, `Deployment`); `core` is the legacy group `v1`."""
    match = _TOKEN.match(type_token)
    if match is None:
        return None
    group, version, kind = match.group("group"), match.group("version"), match.group("kind")
    return (version if group == "core" else f"{group}/{version}"), kind


def unsupported_reason(type_token: str) -> str | None:
    """Why this kubernetes type cannot be rendered, or None when it can."""
    if type_token in REMOTE_COMPONENTS:
        return (
            f"{type_token} is a component that only the real pulumi-kubernetes provider can expand; "
            "the local engine renders plain objects only (use the pulumi engine, or declare the objects "
            "one by one, e.g. with kubernetes.yaml.ConfigFile v1)"
        )
    if type_token == CUSTOM_RESOURCE_TOKEN:
        return None
    parsed = api_version_and_kind(type_token)
    if parsed is None:
        return f"{type_token} is not a `kubernetes:<group>/<version>:<Kind>` object type"
    if parsed[1].endswith("Patch"):
        return f"{type_token} patches live objects on a cluster; the local engine cannot render patches"
    if parsed[1].endswith("List"):
        return f"{type_token} is a list type; declare its items one by one"
    return None


def render_path(manifests_dir: Path, obj: Mapping[str, Any]) -> Path:
    """The file pulumi-kubernetes' renderYamlToDirectory writes for `obj`."""
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace") or "default"
    api_version = str(obj.get("apiVersion", "")).replace("/", "_").replace(":", "_")
    kind = str(obj.get("kind", ""))
    file_name = f"{api_version}-{kind.lower()}-{namespace}-{metadata.get('name')}.yaml"
    folder = "0-crd" if kind == "CustomResourceDefinition" else "1-manifest"
    inside(manifests_dir, folder, file_name)  # a name with `../` must not write elsewhere
    return manifests_dir / folder / file_name


def _object_id(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))


def _write_manifest(path: Path, text: str) -> None:
    atomic_write(path, text, mode=0o600)  # a manifest may hold a Secret's data


class KubernetesObject:
    """Any plain Kubernetes object, rendered to one YAML file."""

    def __init__(self, ctx: ProviderContext, type_token: str) -> None:
        reason = unsupported_reason(type_token)
        if reason is not None:
            raise ProviderError(reason)
        self.ctx = ctx
        self.type_token = type_token
        self.expected = api_version_and_kind(type_token)  # None for CustomResource

    # -- protocol ------------------------------------------------------------------------
    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = dict(integral(dict(news)))  # the SDK sends replicas: 2.0; Kubernetes wants integers
        self._set_type(obj, name)
        metadata = obj.get("metadata")
        if metadata is None:
            metadata = {}
        if metadata == UNKNOWN_MARKER:
            return obj  # the whole metadata is computed; nothing to name yet
        if not isinstance(metadata, Mapping):
            raise ProviderError(f"{self.type_token} {name}: `metadata` must be an object")
        metadata = dict(metadata)
        if metadata.get("name") is None and metadata.get("generateName") is None:
            self._assign_name(metadata, name, olds)
        obj["metadata"] = metadata
        return obj

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        kind = str(news.get("kind", ""))
        replace_on = ("apiVersion", "kind", "metadata.name", "metadata.namespace", *_FORCE_NEW.get(kind, ()))
        if kind in ("ConfigMap", "Secret") and (news.get("immutable") or old_inputs.get("immutable")):
            replace_on = (*replace_on, "data", "stringData", "binaryData")
        same_file = not contains_unknown(news.get("metadata")) and render_path(
            self.ctx.manifests_dir, old_inputs
        ) == render_path(self.ctx.manifests_dir, news)
        # Create-before-delete would write the file and then remove it: delete first when the
        # replacement lands on the same path (pulumi-kubernetes does the same for fixed names).
        return diff_inputs(
            old_inputs,
            news,
            replace_on=replace_on,
            redact=_SECRET_PATHS.get(kind, ()),
            delete_before_replace=same_file,
        )

    def preview_outputs(self, urn: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return dict(inputs)

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        obj = self._renderable(inputs)
        _write_manifest(render_path(self.ctx.manifests_dir, obj), self._yaml(obj))
        return _object_id(obj), obj

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        from orchestrator.errors import ConfigError
        from orchestrator.yamlfile import parse

        source = outputs or inputs
        path = render_path(self.ctx.manifests_dir, source)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        try:
            obj = parse(text, file=str(path))
        except ConfigError as exc:
            raise ProviderError(f"{self.type_token} {id}: rendered manifest is not valid YAML: {exc.message}") from exc
        if not isinstance(obj, dict):
            raise ProviderError(f"{self.type_token} {id}: rendered manifest {path} does not hold one object")
        return ReadResult(_object_id(obj), obj)

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        obj = self._renderable(news)
        new_path = render_path(self.ctx.manifests_dir, obj)
        _write_manifest(new_path, self._yaml(obj))
        old_path = render_path(self.ctx.manifests_dir, old_outputs or old_inputs)
        if old_path != new_path:
            with contextlib.suppress(FileNotFoundError):
                old_path.unlink()
        return obj

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with contextlib.suppress(FileNotFoundError):
            render_path(self.ctx.manifests_dir, outputs or inputs).unlink()

    # -- helpers -------------------------------------------------------------------------
    def _set_type(self, obj: dict[str, Any], name: str) -> None:
        if self.expected is None:  # CustomResource: the program names its apiVersion and kind
            if not obj.get("apiVersion") or not obj.get("kind"):
                raise ProviderError(f"{self.type_token} {name}: `apiVersion` and `kind` are required")
            return
        api_version, kind = self.expected
        for key, wanted in (("apiVersion", api_version), ("kind", kind)):
            given = obj.get(key)
            if given not in (None, wanted):
                raise ProviderError(f"{self.type_token} {name}: `{key}` is {given!r}, expected {wanted!r}")
            obj[key] = wanted

    @staticmethod
    def _assign_name(metadata: dict[str, Any], name: str, olds: Mapping[str, Any] | None) -> None:
        old_metadata = (olds or {}).get("metadata") or {}
        old_annotations = old_metadata.get("annotations") or {}
        annotations = dict(metadata.get("annotations") or {})
        if old_metadata.get("name") and old_annotations.get(AUTONAMED_ANNOTATION) == "true":
            metadata["name"] = old_metadata["name"]  # keep the autoname across updates
        else:
            metadata["name"] = f"{name}-{random_suffix(8)}"
        annotations[AUTONAMED_ANNOTATION] = "true"
        metadata["annotations"] = annotations

    def _renderable(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = dict(integral(dict(inputs)))
        if contains_unknown(obj):
            raise ProviderError(f"{self.type_token}: cannot render an object with values still unknown")
        metadata = obj.get("metadata") or {}
        if not metadata.get("name"):
            raise ProviderError(f"{self.type_token}: metadata.name is required to render a manifest")
        return dict(obj)

    @staticmethod
    def _yaml(obj: Mapping[str, Any]) -> str:
        import yaml

        return yaml.safe_dump(dict(obj), sort_keys=False, default_flow_style=False)
