"""ECS in the sandbox: a stand-in for the capacity-provider behaviour moto lacks."""

from __future__ import annotations

from typing import Any

# AWS's answer to a capacity provider it does not know (DeleteCapacityProvider, UpdateCapacityProvider).
_UNKNOWN = "The specified capacity provider does not exist. Specify a valid name or ARN and try again."
# The sandbox's wording; the code is the ClientException the API reference lists for DeleteCapacityProvider.
_IN_USE = ("The specified capacity provider is associated with cluster {cluster}. Remove it with "
           "PutClusterCapacityProviders, or delete the cluster, and try again.")


def close() -> None:
    """Capacity providers as AWS documents them (CreateCapacityProvider, UpdateCapacityProvider,
    DeleteCapacityProvider in the ECS API reference):

    - deleting or updating one that does not exist is a `ClientException` (moto fails with an
      internal error, HTTP 500);
    - only a capacity provider no active cluster lists can be deleted (moto deletes it anyway);
    - an Auto Scaling group provider's `managedDraining` is `ENABLED` unless the request says
      otherwise, and an update can change it (moto leaves it out and ignores it).
    """
    from moto.ecs.exceptions import EcsClientException
    from moto.ecs.models import CapacityProvider, EC2ContainerServiceBackend

    create, update, delete = (EC2ContainerServiceBackend.create_capacity_provider,
                              EC2ContainerServiceBackend.update_capacity_provider,
                              EC2ContainerServiceBackend.delete_capacity_provider)
    updated = CapacityProvider.update

    def known(backend: Any, name_or_arn: str) -> None:
        if backend._get_provider(name_or_arn) is None:
            raise EcsClientException(_UNKNOWN)

    def create_capacity_provider(self: Any, name: str, asg_details: dict[str, Any], tags: Any) -> Any:
        return create(self, name, {"managedDraining": "ENABLED", **(asg_details or {})}, tags)

    def update_capacity_provider(self: Any, name_or_arn: str, asg_provider: dict[str, Any]) -> Any:
        known(self, name_or_arn)
        return update(self, name_or_arn, asg_provider)

    def delete_capacity_provider(self: Any, name_or_arn: str) -> Any:
        known(self, name_or_arn)
        provider = self._get_provider(name_or_arn)
        for cluster in self.clusters.values():
            listed = set(cluster.capacity_providers or ())
            if cluster.status == "ACTIVE" and {provider.name, provider.capacity_provider_arn} & listed:
                raise EcsClientException(_IN_USE.format(cluster=cluster.name))
        return delete(self, name_or_arn)

    def update_provider(self: Any, asg_details: dict[str, Any]) -> None:
        if asg_details.get("managedDraining"):
            self.auto_scaling_group_provider["managedDraining"] = asg_details["managedDraining"]
        updated(self, asg_details)

    EC2ContainerServiceBackend.create_capacity_provider = create_capacity_provider  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_capacity_provider = update_capacity_provider  # type: ignore[method-assign]
    EC2ContainerServiceBackend.delete_capacity_provider = delete_capacity_provider  # type: ignore[method-assign]
    CapacityProvider.update = update_provider  # type: ignore[method-assign]
