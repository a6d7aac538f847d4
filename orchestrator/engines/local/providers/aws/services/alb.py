"""`aws.alb`: pulumi-aws's older names for the ELBv2 types of `aws.lb`, the same objects."""

from __future__ import annotations

from dataclasses import replace

from orchestrator.engines.local.providers.aws.services import lb

TYPES = tuple(replace(t, token=t.token.replace("aws:lb/", "aws:alb/", 1)) for t in lb.TYPES)
