"""Where moto, the embedded AWS, refuses what AWS accepts: each gap closed the way AWS behaves.

Applied once per process before the sandbox's moto server starts (it patches moto's backends,
which are global to the process). Each entry names the AWS behaviour it restores; the rest of
moto is used as it is.
"""

from __future__ import annotations

import threading
from typing import Any

_APPLIED = threading.Event()
_LOCK = threading.Lock()


def close_gaps() -> None:
    """Patch moto once per process (idempotent, thread-safe)."""
    with _LOCK:
        if _APPLIED.is_set():
            return
        _swagger_imports()
        _certificates_issued()
        _ubuntu_images()
        _APPLIED.set()


def _certificates_issued() -> None:
    """ACM issues a requested certificate once its DNS or e-mail validation is answered, which
    nothing can do offline; the sandbox issues it a second after the request (moto: a minute)."""
    from moto import settings

    settings.ACM_VALIDATION_WAIT = 1


# Canonical's Ubuntu LTS images: (codename, version, build date).
_UBUNTU = (("bionic", "18.04", "20230607"), ("focal", "20.04", "20240614"), ("jammy", "22.04", "20240701"),
           ("noble", "24.04", "20240701"))


def _ubuntu_images() -> None:
    """Programs look up Canonical's Ubuntu LTS images by name (`aws.ec2.get_ami` with owner
    099720109477), which every AWS region lists; moto's catalogue stops at 16.04. Added to the
    images moto lists in every region."""
    from moto.ec2.models import amis

    known = {a["ami_id"] for a in amis.AMIS}
    for index, (codename, version, built) in enumerate(_UBUNTU):
        ami_id = f"ami-0ca0{index:02d}{codename.encode().hex()[:11]}"  # 17 hex digits, as AWS makes them
        if ami_id not in known:
            amis.AMIS.append({
                "ami_id": ami_id, "state": "available", "public": True, "owner_id": "099720109477",
                "image_location": "amazon/getting-started", "root_device_type": "ebs",
                "root_device_name": "/dev/sda1", "image_type": "machine", "platform": None,
                "architecture": "x86_64", "virtualization_type": "hvm", "hypervisor": "xen", "sriov": "simple",
                "name": f"ubuntu/images/hvm-ssd/ubuntu-{codename}-{version}-amd64-server-{built}",
                "description": f"Canonical, Ubuntu, {version} LTS, amd64 {codename} image",
                "creation_date": f"{built[:4]}-{built[4:6]}-{built[6:]}T00:00:00.000Z",
            })


def _swagger_imports() -> None:
    """API Gateway imports Swagger 2.0 definitions (PutRestApi and a RestApi's `body`) as well as
    OpenAPI 3; moto refuses Swagger 2.0 ("Only OpenAPI 3.x.x are currently supported") though
    its importer reads both the same way: `paths`, their methods, responses and
    `x-amazon-apigateway-integration`. A Swagger 2.0 document goes through that importer.
    AWS also reads the `x-amazon-apigateway-any-method` key as the method ANY (moto made a
    method of that name)."""
    from moto.apigateway.models import APIGatewayBackend

    original = APIGatewayBackend.put_rest_api

    def put_rest_api(self: Any, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool,
                     mode: str = "merge") -> Any:
        if str(api_doc.get("swagger", "")).startswith("2"):
            # moto's validator knows OpenAPI 3 only, so the warnings check cannot judge Swagger 2.0.
            api_doc = {**{k: v for k, v in api_doc.items() if k != "swagger"}, "openapi": "3.0.1"}
            fail_on_warnings = False
        if isinstance(api_doc.get("paths"), dict):
            api_doc = {**api_doc, "paths": {path: _any_method(methods) for path, methods in api_doc["paths"].items()}}
        return original(self, function_id, api_doc, fail_on_warnings, mode)

    APIGatewayBackend.put_rest_api = put_rest_api  # type: ignore[method-assign]


def _any_method(methods: Any) -> Any:
    if not isinstance(methods, dict) or _ANY_METHOD not in methods:
        return methods
    return {("ANY" if key == _ANY_METHOD else key): value for key, value in methods.items()}


_ANY_METHOD = "x-amazon-apigateway-any-method"
