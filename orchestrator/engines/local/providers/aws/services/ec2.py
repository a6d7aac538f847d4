"""EC2: networking (VPCs, subnets, gateways, addresses, routing), security groups, VPC endpoints,
key pairs and instances, and the lookups programs make of them. Each area lives in `_ec2/`."""

from __future__ import annotations

from orchestrator.engines.local.providers.aws.services._ec2 import (
    compute,
    endpoints,
    launch,
    launch_template,
    routing,
    security,
    vpc,
)
from orchestrator.engines.local.providers.aws.services._ec2.functions import FUNCTIONS

TYPES = (*vpc.TYPES, *routing.TYPES, *security.TYPES, *compute.TYPES, *launch.TYPES, *launch_template.TYPES,
         *endpoints.TYPES)

__all__ = ["FUNCTIONS", "TYPES"]
