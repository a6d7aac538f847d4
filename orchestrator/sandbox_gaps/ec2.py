"""EC2 in the sandbox."""

from __future__ import annotations

from typing import Any

# Canonical's Ubuntu LTS images: (codename, version, build date).
_UBUNTU = (("bionic", "18.04", "20230607"), ("focal", "20.04", "20240614"), ("jammy", "22.04", "20240701"),
           ("noble", "24.04", "20240701"))


def close() -> None:
    _add_ubuntu_images()
    _route_gateway_endpoints_on_modify()


def _route_gateway_endpoints_on_modify() -> None:
    """A gateway VPC endpoint (S3, DynamoDB) routes the service's prefix list through itself in
    each of its route tables: ModifyVpcEndpoint's AddRouteTableIds/RemoveRouteTableIds add and
    remove that route as AWS does (moto changed only the list, and deleting the endpoint then
    failed on the route it had never added)."""
    from moto.ec2.models.vpcs import VPCBackend

    original = VPCBackend.modify_vpc_endpoint

    def modify_vpc_endpoint(self: Any, vpc_id: str, policy_doc: str, add_subnets: Any, remove_subnets: Any,
                            remove_route_tables: Any, add_route_tables: Any, add_security_groups: Any,
                            remove_security_groups: Any) -> None:
        endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_id])[0]
        prefix_list = endpoint.destination_prefix_list_id
        had = set(endpoint.route_table_ids)
        original(self, vpc_id, policy_doc, add_subnets, remove_subnets, remove_route_tables, add_route_tables,
                 add_security_groups, remove_security_groups)
        if not prefix_list:
            return
        for table in set(endpoint.route_table_ids) - had:
            self.create_route(table, None, gateway_id=endpoint.id, destination_prefix_list_id=prefix_list)
        for table in had - set(endpoint.route_table_ids):
            self.delete_route(table, prefix_list)

    VPCBackend.modify_vpc_endpoint = modify_vpc_endpoint  # type: ignore[method-assign]


def _add_ubuntu_images() -> None:
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
