"""CloudFront in the sandbox.

CloudFront versions every configuration: each answer carries an ETag, an update or delete must
name the current one in `If-Match` (else `PreconditionFailed`), and an update makes a new one.
A distribution must be disabled before it is deleted (`DistributionNotDisabled`), and an origin
access control or identity that a distribution still uses cannot be deleted (`...InUse`).
moto 5.2 accepts any If-Match, keeps one ETag for life, deletes enabled distributions, and
answers the delete of a missing origin access control with a server error; the sandbox behaves
as AWS documents it, so a provider that skips a step fails here as it would on AWS.

Origin access identities (CreateCloudFrontOriginAccessIdentity and its Get, GetConfig, Update,
Delete and List) are missing from moto: a stand-in for them, with AWS's ids, ETags, S3 canonical
user ids and errors, is added below.
"""

from __future__ import annotations

import hashlib
from typing import Any

_OAI_PREFIX = "origin-access-identity/cloudfront/"


def close() -> None:
    from moto.cloudfront.models import CloudFrontBackend
    from moto.cloudfront.responses import CloudFrontResponse

    _versioned_distributions(CloudFrontBackend)
    _versioned_access_controls(CloudFrontResponse, CloudFrontBackend)
    for name, method in _IDENTITY_ACTIONS.items():
        setattr(CloudFrontResponse, name, method)


def _error(code: str, message: str) -> Exception:
    from moto.cloudfront.exceptions import CloudFrontException

    return CloudFrontException(code, message)


def _precondition(if_match: Any, etag: str) -> None:
    if not if_match:
        raise _error("InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
    if if_match != etag:
        raise _error("PreconditionFailed",
                     "The precondition given in one or more of the request-header fields evaluated to false.")


def _new_etag() -> str:
    from moto.cloudfront.models import random_id

    return random_id()


def _versioned_distributions(backend: Any) -> None:
    update, delete = backend.update_distribution, backend.delete_distribution

    def update_distribution(self: Any, dist_config: dict[str, Any], _id: str, if_match: Any) -> Any:
        if _id in self.distributions:
            _precondition(if_match, self.distributions[_id].etag)
        dist, location, _ = update(self, dist_config, _id, if_match)
        dist.etag = _new_etag()
        return dist, location, dist.etag

    def delete_distribution(self: Any, distribution_id: str, if_match: Any) -> None:
        dist = self.distributions.get(distribution_id)
        if dist is not None:
            _precondition(if_match, dist.etag)
            if str(dist.distribution_config.Enabled).lower() == "true":
                raise _error("DistributionNotDisabled",
                             "The distribution you are trying to delete has not been disabled.")
        delete(self, distribution_id, if_match)

    backend.update_distribution = update_distribution
    backend.delete_distribution = delete_distribution


def _origins(backend: Any) -> list[Any]:
    return [o for d in backend.distributions.values() for o in d.distribution_config.Origins["Items"]]


def _versioned_access_controls(response: Any, backend: Any) -> None:
    update = response.update_origin_access_control

    def update_origin_access_control(self: Any) -> Any:
        control = self.backend.get_origin_access_control(self._get_param("Id"))
        _precondition(self._get_param("IfMatch"), control.etag)
        result = update(self)
        control.etag = result.result["ETag"] = _new_etag()
        return result

    def delete_origin_access_control(self: Any) -> Any:
        from moto.core.responses import EmptyResult

        control = self.backend.get_origin_access_control(self._get_param("Id"))  # NoSuchOriginAccessControl
        _precondition(self._get_param("IfMatch"), control.etag)
        if any(o.origin_access_control_id == control.id for o in _origins(self.backend)):
            raise _error("OriginAccessControlInUse", "Cannot delete, this origin access control is in use.")
        self.backend.origin_access_controls.pop(control.id)
        return EmptyResult()

    response.update_origin_access_control = update_origin_access_control
    response.delete_origin_access_control = delete_origin_access_control


# ------------------------------------------------------------------ origin access identities (stand-in)


def _identities(backend: Any) -> dict[str, dict[str, Any]]:
    """Identity id -> {"Id", "S3CanonicalUserId", "Config", "ETag"}, kept on moto's backend."""
    found: dict[str, dict[str, Any]] | None = getattr(backend, "_origin_access_identities", None)
    if found is None:
        found = {}
        backend._origin_access_identities = found
    return found


def _identity(self: Any) -> dict[str, Any]:
    found = _identities(self.backend).get(self._get_param("Id"))
    if found is None:
        raise _error("NoSuchCloudFrontOriginAccessIdentity", "The specified origin access identity does not exist.")
    return found


def _identity_answer(identity: dict[str, Any], location: bool = False) -> Any:
    from moto.core.responses import ActionResult

    body = {"Id": identity["Id"], "S3CanonicalUserId": identity["S3CanonicalUserId"],
            "CloudFrontOriginAccessIdentityConfig": identity["Config"]}
    result: dict[str, Any] = {"CloudFrontOriginAccessIdentity": body, "ETag": identity["ETag"]}
    if location:
        result["Location"] = f"https://cloudfront.amazonaws.com/2020-05-31/origin-access-identity/cloudfront/{identity['Id']}"
    return ActionResult(result)


def create_cloud_front_origin_access_identity(self: Any) -> Any:
    from moto.cloudfront.models import random_id

    config = dict(self._get_param("CloudFrontOriginAccessIdentityConfig") or {})
    identities = _identities(self.backend)
    if any(i["Config"].get("CallerReference") == config.get("CallerReference") for i in identities.values()):
        raise _error("CloudFrontOriginAccessIdentityAlreadyExists",
                     "The caller reference is already associated with another origin access identity.")
    id_ = "E" + random_id(length=13)
    identity = {"Id": id_, "S3CanonicalUserId": hashlib.sha384(id_.encode()).hexdigest()[:96],
                "Config": {"CallerReference": config.get("CallerReference"), "Comment": config.get("Comment") or ""},
                "ETag": _new_etag()}
    identities[id_] = identity
    return _identity_answer(identity, location=True)


def get_cloud_front_origin_access_identity(self: Any) -> Any:
    return _identity_answer(_identity(self))


def get_cloud_front_origin_access_identity_config(self: Any) -> Any:
    from moto.core.responses import ActionResult

    identity = _identity(self)
    return ActionResult({"CloudFrontOriginAccessIdentityConfig": identity["Config"], "ETag": identity["ETag"]})


def update_cloud_front_origin_access_identity(self: Any) -> Any:
    identity = _identity(self)
    _precondition(self._get_param("IfMatch"), identity["ETag"])
    config = self._get_param("CloudFrontOriginAccessIdentityConfig") or {}
    if config.get("CallerReference") != identity["Config"]["CallerReference"]:
        raise _error("IllegalUpdate", "The update contains modifications that are not allowed: CallerReference.")
    identity["Config"] = {**identity["Config"], "Comment": config.get("Comment") or ""}
    identity["ETag"] = _new_etag()
    return _identity_answer(identity)


def delete_cloud_front_origin_access_identity(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    identity = _identity(self)
    _precondition(self._get_param("IfMatch"), identity["ETag"])
    path = _OAI_PREFIX + identity["Id"]
    if any(getattr(o, "s3_access_identity", "") == path for o in _origins(self.backend)):
        raise _error("CloudFrontOriginAccessIdentityInUse", "The origin access identity is still being used.")
    del _identities(self.backend)[identity["Id"]]
    return EmptyResult()


def list_cloud_front_origin_access_identities(self: Any) -> Any:
    from moto.core.responses import ActionResult

    items = [{"Id": i["Id"], "S3CanonicalUserId": i["S3CanonicalUserId"], "Comment": i["Config"]["Comment"]}
             for i in _identities(self.backend).values()]
    return ActionResult({"CloudFrontOriginAccessIdentityList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": len(items), "Items": items}})


_IDENTITY_ACTIONS = {
    "create_cloud_front_origin_access_identity": create_cloud_front_origin_access_identity,
    "get_cloud_front_origin_access_identity": get_cloud_front_origin_access_identity,
    "get_cloud_front_origin_access_identity_config": get_cloud_front_origin_access_identity_config,
    "update_cloud_front_origin_access_identity": update_cloud_front_origin_access_identity,
    "delete_cloud_front_origin_access_identity": delete_cloud_front_origin_access_identity,
    "list_cloud_front_origin_access_identities": list_cloud_front_origin_access_identities,
}
