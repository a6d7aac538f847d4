"""bench/corpus.py gives a config key named like a domain a domain a person would type, and
gives the sandbox that domain's parent hosted zone first, once, as the person running such a
program already has it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.aws.harness import boto_clients

CORPUS = Path(__file__).resolve().parents[2] / "bench" / "corpus.py"


def _corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_script", CORPUS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_domain_key_gets_a_test_domain_and_its_parent_zone(endpoint: str) -> None:
    corpus = _corpus()
    domain = corpus._placeholder("site:targetDomain", [])
    assert domain == "www.corpus-site.test" and corpus._placeholder("bucketName", []) == "corpus-bucketname"
    assert corpus.parent_zone(domain) == "corpus-site.test"
    assert corpus.parent_zone("corpus-site.test") == "corpus-site.test"  # already a zone apex
    assert corpus.prepare_zones(endpoint, [domain]) == ["Route 53 zone corpus-site.test"]
    assert corpus.prepare_zones(endpoint, [domain, "api.corpus-site.test"]) == ["Route 53 zone corpus-site.test"]
    zones = boto_clients(endpoint)("route53").list_hosted_zones()["HostedZones"]
    made = [z for z in zones if z["Name"] == "corpus-site.test."]
    assert len(made) == 1 and not made[0]["Config"]["PrivateZone"]
