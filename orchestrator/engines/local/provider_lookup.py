"""Finds the built-in provider for each resource, for the default or an explicit provider.

Providers are built on first use: the AWS ones need the endpoint resolved (the sandbox may
have to be running), which a stack of only dynamic resources never needs.
"""

from __future__ import annotations

import threading
from typing import Any

from orchestrator.engines.local.dynamic import DYNAMIC_TYPE, DynamicResourceProvider
from orchestrator.engines.local.job import Job
from orchestrator.engines.local.providers.aws.explicit import explicit_provider
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError, ResourceProvider
from orchestrator.engines.local.state import manifests_dir
from orchestrator.engines.local.urn import PROVIDER_TYPE_PREFIX, parse_urn
from orchestrator.models import AwsSettings


class Providers:
    def __init__(self, job: Job, config: dict[str, Any]) -> None:
        self._job = job
        self._config = config
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], ResourceProvider] = {}
        self._contexts: dict[str, ProviderContext] = {}
        self._explicit: dict[str, dict[str, Any]] = {}
        self._dynamic = DynamicResourceProvider(config=config, project=job.project)

    def note_explicit_provider(self, ref: str, inputs: dict[str, Any]) -> None:
        with self._lock:
            self._explicit[ref] = inputs

    def context(self, provider_ref: str | None = None) -> ProviderContext:
        """The context of an explicit provider resource, or the default one."""
        key = provider_ref if provider_ref and provider_ref in self._explicit else ""
        ctx = self._contexts.get(key)
        if ctx is not None:
            return ctx
        aws = self._job.aws
        config, endpoints, assume_role = self._config, {}, {}
        explicit = self._explicit.get(key)
        urn = parse_urn(key.rpartition("::")[0]) if explicit is not None else None
        if urn is not None and urn.type == f"{PROVIDER_TYPE_PREFIX}aws":
            settings = explicit_provider(urn.name, explicit or {}, aws)
            aws, endpoints, assume_role = settings.aws, dict(settings.endpoints), dict(settings.assume_role)
            # Its own default tags, not the stack's `aws:` configuration.
            config = {k: v for k, v in self._config.items() if not k.startswith("aws:")}
            if settings.default_tags is not None:
                config["aws:defaultTags"] = dict(settings.default_tags)
        endpoint = aws.endpoint
        if endpoint is not None:
            from orchestrator.sandbox import resolve_endpoint

            endpoint = resolve_endpoint(aws, self._job.repo_root)
        ctx = ProviderContext(
            project=self._job.project,
            stack=self._job.stack,
            aws=AwsSettings(region=aws.region, endpoint=endpoint, role_arn=aws.role_arn, profile=aws.profile),
            manifests_dir=manifests_dir(self._job.backend_dir, self._job.project, self._job.stack),
            config=config,
            program_dir=self._job.project_dir,
            endpoints=endpoints,
            assume_role=assume_role,
        )
        self._contexts[key] = ctx
        return ctx

    def get(self, type_: str, provider_ref: str | None) -> ResourceProvider:
        if type_ == DYNAMIC_TYPE:
            return self._dynamic
        # Only an explicit provider resource changes the context (its region); default ones share it.
        ref = provider_ref if provider_ref and provider_ref in self._explicit else ""
        with self._lock:
            cached = self._cache.get((type_, ref))
            if cached is not None:
                return cached
            try:
                from orchestrator.engines.local.providers import registry
            except ImportError as exc:
                raise ProviderError(
                    f"resource type {type_} is not supported: the built-in providers are not available ({exc})"
                ) from exc
            provider: ResourceProvider = registry.get_provider(type_, self.context(ref or None))
            self._cache[(type_, ref)] = provider
            return provider

    def provider_version(self, package: str) -> str:
        from importlib import metadata

        dist = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes", "random": "pulumi_random",
                "command": "pulumi_command"}.get(package)
        if dist is None:
            return ""
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return ""
