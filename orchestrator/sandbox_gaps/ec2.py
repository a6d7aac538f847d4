"""EC2 in the sandbox."""

from __future__ import annotations

# Canonical's Ubuntu LTS images: (codename, version, build date).
_UBUNTU = (("bionic", "18.04", "20230607"), ("focal", "20.04", "20240614"), ("jammy", "22.04", "20240701"),
           ("noble", "24.04", "20240701"))


def close() -> None:
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
