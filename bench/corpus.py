"""Run every Pulumi Python project under the given directories through the local engine.

    .venv/bin/python bench/corpus.py PATH... [--json OUT.json] [--markdown OUT.md] [--only NAME]

Each project is copied to a scratch directory and run as `pulumi new` would leave it: stack
`dev`, its template's config defaults, and placeholder values for the config keys the program
`require`s (listed in the table). A key named like a domain (`targetDomain`) gets a domain as a
person would type one, under the reserved test TLD (`www.corpus-site.test`), and the sandbox is
given what such a person already has: the public Route 53 hosted zone of its parent
(`corpus-site.test`), made before the run and named in the table's placeholder column. All
projects share one backend (so StackReferences between them resolve) and one sandbox (moto on
loopback, reset before the run). Every project is
previewed and updated in turn, then all are destroyed in reverse order.

The table gives each step's result and the first blocker by category:
  type      a resource type the engine lacks (aws, random, command: its own providers)
  function  a provider function the engine cannot answer
  package   a package the program needs that cannot be installed or imported
  outside   an outside dependency: another provider's plugin (docker, awsx, eks...),
            files or tools the program expects on this machine, config only a person can give
  engine    anything else: a provider refused by the sandbox, a bug, a crash
Then every missing type and function, ranked by the number of programs that use it: as the
engine reported it (a preview names every unsupported type its program declares) and, for
programs stopped earlier, as found in the sources (`aws.<module>.<Class>(`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OWN_PACKAGES = ("aws", "random", "command")
# What a person would type for a domain; `.test` is reserved for testing (RFC 2606), so it is no one's.
PLACEHOLDER_DOMAIN = "www.corpus-site.test"  # resource packages the engine brings its own providers for
_UNSUPPORTED = re.compile(r"^(resource type|provider function) (\S+) is not supported")
_REQUIRE = re.compile(r"(\w+)\.require(?:_secret|_int|_float|_bool|_object)?\(\s*['\"]([^'\"]+)['\"]")
_NAMESPACED = re.compile(r"(\w+)\s*=\s*(?:pulumi\.)?Config\(\s*['\"]([^'\"]+)['\"]\s*\)")
# Imports of packages whose resources only their own provider plugins make.
_OUTSIDE_IMPORTS = {
    "pulumi_awsx": "awsx", "pulumi_eks": "eks", "pulumi_aws_apigateway": "aws-apigateway",
    "pulumi_synced_folder": "synced-folder", "pulumi_docker": "docker", "pulumi_docker_build": "docker-build",
    "pulumi_mysql": "mysql", "pulumi_kubernetes": "kubernetes",
}
_ALIAS = re.compile(r"^\s*import pulumi_aws as (\w+)", re.M)
_FROM = re.compile(r"^\s*from pulumi_aws import ([\w ,()]+)", re.M)


@dataclass
class ProgramRun:
    name: str
    directory: Path
    steps: dict[str, str] = field(default_factory=dict)  # step -> ok | failed | skipped
    category: str = ""
    blocker: str = ""
    missing: set[str] = field(default_factory=set)  # tokens the engine reported unsupported
    seen: set[str] = field(default_factory=set)  # unsupported tokens found in the sources
    placeholders: list[str] = field(default_factory=list)
    prepared: list[str] = field(default_factory=list)  # what the sandbox was given before the run
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return all(self.steps.get(s) == "ok" for s in ("preview", "update", "destroy"))


# --------------------------------------------------------------------------- finding and preparing


def find_projects(paths: list[Path]) -> list[Path]:
    import yaml

    found = []
    for base in paths:
        for pulumi_yaml in sorted(base.rglob("Pulumi.yaml")):
            if any(part in (".git", "node_modules", "venv", ".venv") for part in pulumi_yaml.parts):
                continue
            try:
                raw = yaml.safe_load(pulumi_yaml.read_text()) or {}
            except yaml.YAMLError:
                continue
            runtime = raw.get("runtime")
            if (runtime.get("name") if isinstance(runtime, dict) else runtime) == "python":
                found.append(pulumi_yaml.parent)
    return found


def label(directory: Path, bases: list[Path]) -> str:
    """The project's path below what the given directories have in common."""
    common = Path(os.path.commonpath(bases)) if len(bases) > 1 else bases[0].parent
    return str(directory.relative_to(common)) if directory.is_relative_to(common) else directory.name


def sources(directory: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in directory.rglob("*.py") if "venv" not in p.parts)


def project_name(directory: Path) -> str:
    import yaml

    return str((yaml.safe_load((directory / "Pulumi.yaml").read_text()) or {}).get("name") or directory.name)


def rename_project(directory: Path, name: str) -> None:
    """Give a copied project a name of its own (templates say `${PROJECT}`; examples may share one)."""
    path = directory / "Pulumi.yaml"
    path.write_text(re.sub(r"(?m)^name:.*$", f"name: {name}", path.read_text(), count=1))


def stack_config(directory: Path, projects: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Template defaults plus placeholders for required keys (as `pulumi new` would prompt)."""
    import yaml

    raw = yaml.safe_load((directory / "Pulumi.yaml").read_text()) or {}
    config: dict[str, Any] = {}
    template = (raw.get("template") or {}).get("config") or {}
    for key, spec in template.items():
        if isinstance(spec, dict) and "default" in spec:
            config[key] = spec["default"]
    placeholders = []
    text = sources(directory)
    namespaces = dict(_NAMESPACED.findall(text))
    keys = {f"{namespaces[var]}:{key}" if var in namespaces else key for var, key in _REQUIRE.findall(text)}
    for key in sorted(keys):
        if key in config or key.startswith("aws:"):
            continue
        config[key] = _placeholder(key, projects)
        placeholders.append(key)
    config["aws:region"] = "us-east-1"  # the sandbox's region
    return config, placeholders


def _placeholder(key: str, projects: list[str]) -> Any:
    lowered = key.lower()
    if lowered.endswith("stack"):
        # A sibling project's stack (`companyStack` → the project named `...-company`), run before it.
        stem = lowered[: -len("stack")]
        sibling = next((p for p in projects if p == stem or p.endswith(f"-{stem}")), stem)
        return f"organization/{sibling}/dev"
    if any(word in lowered for word in ("size", "count", "port", "number")):
        return "2"
    if is_domain_key(key):
        return PLACEHOLDER_DOMAIN
    return f"corpus-{re.sub(r'[^a-z0-9]+', '-', lowered).strip('-')}"


def is_domain_key(key: str) -> bool:
    return "domain" in key.rsplit(":", 1)[-1].lower()


def parent_zone(domain: str) -> str:
    """The hosted zone a domain lives in: its parent (`www.corpus-site.test` → `corpus-site.test`),
    or the domain itself when it is already a zone apex (two labels)."""
    labels = domain.strip(".").split(".")
    return ".".join(labels[1:] if len(labels) > 2 else labels)


def prepare_zones(endpoint: str, domains: list[str]) -> list[str]:
    """Make the public hosted zone each placeholder domain needs (once per sandbox), as the
    person running such a program has it before `pulumi up`; returns what was made."""
    import boto3

    route53 = boto3.client("route53", region_name="us-east-1", endpoint_url=endpoint)
    have = {z["Name"].rstrip(".") for z in route53.list_hosted_zones()["HostedZones"]}
    made = []
    for zone in sorted({parent_zone(d) for d in domains}):
        if zone not in have:
            route53.create_hosted_zone(Name=zone, CallerReference=f"corpus-{zone}",
                                       HostedZoneConfig={"Comment": "made by bench/corpus.py", "PrivateZone": False})
        made.append(f"Route 53 zone {zone}")
    return made


def static_gaps(directory: Path) -> set[str]:
    """AWS types and functions the sources use that the engine does not have: `aws.ec2.Vpc(`,
    `pulumi_aws.ec2.get_ami(`, or `ec2.Vpc(` after `from pulumi_aws import ec2`."""
    from orchestrator.engines.local.providers.registry import aws_types, functions

    have = set(aws_types()) | set(functions())
    text = sources(directory)
    prefixes = {"aws", "pulumi_aws", *_ALIAS.findall(text)}
    modules = {m.strip() for names in _FROM.findall(text) for m in names.strip("()").split(",") if m.strip()}
    qualified = rf"\b(?:(?:{'|'.join(sorted(prefixes))})\.([a-z0-9_]+)|({'|'.join(sorted(modules)) or '$^'}))\."
    gaps = set()
    for prefixed, imported, cls in re.findall(qualified + r"([A-Z][A-Za-z0-9]+)\(", text):
        if not cls.endswith("Args"):
            module = (prefixed or imported).rstrip("_")
            gaps.add(f"aws:{module}/{cls[0].lower()}{cls[1:]}:{cls}")
    for prefixed, imported, function in re.findall(qualified + r"(get_[a-z0-9_]+?)(?:_output)?\(", text):
        name = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), function)
        gaps.add(f"aws:{(prefixed or imported).rstrip('_')}/{name}:{name}")
    for prefix_function in re.findall(rf"\b(?:{'|'.join(sorted(prefixes))})\.(get_[a-z0-9_]+?)(?:_output)?\(", text):
        name = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), prefix_function)
        gaps.add(f"aws:index/{name}:{name}")
    for module, package in _OUTSIDE_IMPORTS.items():
        if re.search(rf"^\s*(?:import|from) {module}\b", text, re.M):
            gaps.add(f"{package}:(its provider plugin)")
    if re.search(r"\bcommand\.remote\.", text):
        gaps.add("command:remote (SSH to a machine)")
    return gaps - have


# --------------------------------------------------------------------------- classifying


def classify(result: Any) -> tuple[str, str, set[str]]:
    """(category, first blocker, unsupported tokens) of a failed result."""
    missing: set[str] = set()
    first_type = ""
    for diagnostic in result.diagnostics:
        found = _UNSUPPORTED.match(diagnostic.message)
        if found:
            missing.add(found.group(2))
            first_type = first_type or f"{found.group(1)} {found.group(2)}"
    error = result.error or ""
    if missing:
        own = [t for t in missing if t.split(":", 1)[0] in OWN_PACKAGES]
        kind = "function" if first_type.startswith("provider function") else "type"
        if own:
            return kind, first_type, missing
        return "outside", f"{first_type} (its own provider plugin)", missing
    text = error.lower()
    last = error.strip().splitlines()[-1] if error.strip() else ""
    if any(words in text for words in ("cannot install", "modulenotfounderror", "no module named", "importerror")):
        return "package", last[:240], missing
    if "remote (multi-language) component" in text:
        return "outside", last[:240], missing
    if any(words in text for words in ("filenotfounderror", "no such file", "is missing configuration",
                                       "pulumi config set", "stack reference")):
        return "outside", last[:240], missing
    return "engine", last[:240], missing


# --------------------------------------------------------------------------- running


def run(paths: list[Path], only: str | None) -> list[ProgramRun]:
    from orchestrator.engines.local.engine import LocalEngine
    from orchestrator.models import AwsSettings, StackSpec
    from orchestrator.sandbox import InProcessSandbox

    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", "corpus")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    # As `orchestrator sandbox start` does: programs attach AWS-managed policies (arn:aws:iam::aws:policy/...).
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    bases = [p.resolve() for p in paths]
    work = Path(tempfile.mkdtemp(prefix="corpus-"))
    os.environ.setdefault("ORCHESTRATOR_VENV_DIR", str(Path(tempfile.gettempdir()) / "corpus-venvs"))
    runs: list[ProgramRun] = []
    specs: dict[str, Any] = {}
    engine = LocalEngine(timeout_s=900)
    with InProcessSandbox() as sandbox:
        aws = AwsSettings(region="us-east-1", endpoint=sandbox.endpoint)
        projects = [d for d in find_projects(bases) if not only or only in label(d, bases)]
        names: list[str] = []
        for directory in projects:
            name = label(directory, bases)
            copy = work / "projects" / name.replace("/", "__")
            shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("venv", ".venv", "node_modules", ".git"))
            pulumi_name = project_name(copy)
            if "${" in pulumi_name or pulumi_name in names:
                pulumi_name = copy.name
                rename_project(copy, pulumi_name)
            names.append(pulumi_name)
        for directory in projects:
            name = label(directory, bases)
            copy = work / "projects" / name.replace("/", "__")
            config, placeholders = stack_config(copy, names)
            item = ProgramRun(name=name, directory=directory, placeholders=placeholders)
            item.prepared = prepare_zones(sandbox.endpoint, [config[k] for k in placeholders if is_domain_key(k)])
            item.seen = static_gaps(copy)
            spec = StackSpec(project=copy.name, environment="dev", stack_name="dev", directory=copy,
                             backend=f"file://{work / 'backend'}", config=config, aws=aws)
            specs[name] = spec
            started = time.monotonic()
            for step in ("preview", "update"):
                result = engine.preview(spec) if step == "preview" else engine.update(spec)
                item.steps[step] = "ok" if result.ok else "failed"
                if not result.ok:
                    item.category, item.blocker, item.missing = classify(result)
                    item.blocker = item.blocker.replace(f"{copy}/", "")
                    break
            item.seconds = time.monotonic() - started
            print(f"  {name}: {item.steps} {item.category} {item.blocker}", file=sys.stderr, flush=True)
            runs.append(item)
        for item in reversed(runs):
            started = time.monotonic()
            result = engine.destroy(specs[item.name], preview_only=False)
            item.seconds += time.monotonic() - started
            item.steps["destroy"] = "ok" if result.ok else "failed"
            if not result.ok and not item.category:
                item.category, item.blocker, _ = classify(result)
    shutil.rmtree(work, ignore_errors=True)
    return runs


# --------------------------------------------------------------------------- reporting


def table(runs: list[ProgramRun]) -> str:
    lines = ["| program | preview | update | destroy | first blocker | placeholder config |",
             "|---|---|---|---|---|---|"]
    for item in runs:
        steps = [item.steps.get(s, "-") for s in ("preview", "update", "destroy")]
        blocker = f"{item.category}: {item.blocker}" if item.category else ""
        blocker = blocker.replace("|", "\\|")
        given = ", ".join([*item.placeholders, *(f"made first: {p}" for p in item.prepared)])
        lines.append(f"| {item.name} | {' | '.join(steps)} | {blocker} | {given} |")
    return "\n".join(lines)


def ranking(runs: list[ProgramRun]) -> list[tuple[str, int, int]]:
    """(token, programs the engine reported it for, programs using it in all) by use."""
    reported: Counter[str] = Counter()
    used: Counter[str] = Counter()
    for item in runs:
        for token in item.missing:
            reported[token] += 1
        for token in item.missing | item.seen:
            used[token] += 1
    return sorted(((t, reported[t], n) for t, n in used.items()), key=lambda r: (-r[2], -r[1], r[0]))


def ranked_by_service(runs: list[ProgramRun]) -> str:
    groups: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for token, reported, used in ranking(runs):
        package, rest = token.split(":", 1)
        service = rest.split("/", 1)[0] if package == "aws" else package
        groups[service].append((token, reported, used))
    order = sorted(groups, key=lambda s: (-sum(u for _, _, u in groups[s]), s))
    lines = ["| service | type or function | programs using it (engine-reported) |", "|---|---|---|"]
    for service in order:
        for token, reported, used in groups[service]:
            lines.append(f"| {service} | `{token}` | {used} ({reported}) |")
    return "\n".join(lines)


def summary(runs: list[ProgramRun]) -> str:
    clean = sum(item.clean for item in runs)
    categories = Counter(item.category for item in runs if item.category)
    parts = ", ".join(f"{n} {c}" for c, n in categories.most_common())
    return f"{clean} of {len(runs)} programs preview, update and destroy cleanly; first blockers: {parts or 'none'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown here")
    parser.add_argument("--only", help="run only the programs whose name contains this")
    args = parser.parse_args()
    started = time.monotonic()
    runs = run(args.paths, args.only)
    text = "\n\n".join([summary(runs), table(runs), "Missing types and functions, by service and use:",
                        ranked_by_service(runs)])
    print(text)
    print(f"\n({len(runs)} programs in {time.monotonic() - started:.0f} s)")
    if args.markdown:
        args.markdown.write_text(text + "\n")
    if args.json:
        args.json.write_text(json.dumps([{
            "program": r.name, "steps": r.steps, "category": r.category, "blocker": r.blocker,
            "missing": sorted(r.missing), "seen_in_sources": sorted(r.seen), "placeholders": r.placeholders,
            "prepared": r.prepared, "seconds": round(r.seconds, 1)} for r in runs], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
