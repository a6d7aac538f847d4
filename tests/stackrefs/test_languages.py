"""StackReference discovery per language, with the real tree-sitter grammars: what a program
writes decides the dependency; comments, docstrings and unrelated strings never do."""

from __future__ import annotations

import pytest

from orchestrator.stackrefs import sites_in


def projects(path: str, source: str) -> list[str | None]:
    return [site.project for site in sites_in(path, source.encode())]


PYTHON = [
    ('pulumi.StackReference("org/network/dev")', ["network"]),
    ("StackReference('org/network/dev')", ["network"]),
    ('pulumi.StackReference(f"org/network/{env}")', ["network"]),
    ('pulumi.StackReference(f"{org}/network/{env}")', ["network"]),
    ('pulumi.StackReference(name="org/network/dev")', ["network"]),
    ('pulumi.StackReference("ref", stack_name=f"org/network/{env}")', ["network"]),
    ('pulumi.StackReference("ref", "org/network/dev")', ["network"]),
    ('pulumi.StackReference("network/" + pulumi.get_stack())', ["network"]),  # org-less project/stack
    ('pulumi.StackReference("org/network/%s" % env)', ["network"]),
    ('pulumi.StackReference("{}/network/{}".format(org, env))', ["network"]),
    ('pulumi.StackReference("org" "/network/dev")', ["network"]),
    ('name = f"org/network/{env}"\npulumi.StackReference(name)', ["network"]),
    ('pulumi.StackReference(f"org/{project}/{env}")', [None]),
    ('pulumi.StackReference(f"org/net{suffix}/{env}")', [None]),
    ("pulumi.StackReference(stack_name)", [None]),
    ('pulumi.StackReference(config.require("networkStack"))', [None]),
    ('a = "org/x/dev"\na = "org/y/dev"\npulumi.StackReference(a)', [None]),  # bound twice: unknown
    ('pulumi.StackReference("dev")', []),  # a stack of the program's own project
    ('pulumi.StackReference(\n    f"org/network/{env}",\n)', ["network"]),
    ('pulumi.StackReference(fr"org/network/{env}")', ["network"]),
    ('pulumi.StackReference(Rf"org/{p}/{env}")', [None]),
    ('# old = pulumi.StackReference("org/network/dev")', []),
    ('x = 1  # pulumi.StackReference("org/network/dev")', []),
    ('"""Reads pulumi.StackReference("org/network/dev")."""', []),
    ('print("pulumi.StackReference(\'org/network/dev\')")', []),
    ('a = "#"; b = pulumi.StackReference("org/network/dev")', ["network"]),
]

TYPESCRIPT = [
    ('new pulumi.StackReference("acme/network/dev");', ["network"]),
    ("new pulumi.StackReference(`acme/network/${pulumi.getStack()}`);", ["network"]),
    ("const env = pulumi.getStack();\nnew StackReference(`acme/eks/${env}`);", ["eks"]),
    ('new pulumi.StackReference("ref", { name: `acme/network/${env}` });', ["network"]),
    ("new pulumi.StackReference(`network/${env}` as string);", ["network"]),
    ('const org = "acme";\nnew pulumi.StackReference(`${org}/network/${env}`);', ["network"]),
    ('new pulumi.StackReference(config.require("networkStack"));', [None]),
    ('// new pulumi.StackReference("acme/network/dev");', []),
    ('/* new pulumi.StackReference("acme/network/dev"); */', []),
    ("const help = `use new pulumi.StackReference('acme/network/dev')`;", []),
    ('pulumi.StackReference("acme/network/dev");', []),  # not a construction
]

GO = [
    ('pulumi.NewStackReference(ctx, "acme/network/dev", nil)', ["network"]),
    ('pulumi.NewStackReference(ctx, fmt.Sprintf("acme/network/%s", ctx.Stack()), nil)', ["network"]),
    ('pulumi.NewStackReference(ctx, "acme/network/"+ctx.Stack(), nil)', ["network"]),
    (
        'pulumi.NewStackReference(ctx, "net", &pulumi.StackReferenceArgs{Name: pulumi.String("acme/network/dev")})',
        ["network"],
    ),
    ('pulumi.NewStackReference(ctx, fmt.Sprintf("%s/%s/%s", org, project, ctx.Stack()), nil)', [None]),
    ('// pulumi.NewStackReference(ctx, "acme/network/dev", nil)', []),
    ('fmt.Println("pulumi.NewStackReference(ctx, \\"acme/network/dev\\", nil)")', []),
]

CSHARP = [
    ('new StackReference("acme/network/dev");', ["network"]),
    ('new StackReference($"acme/network/{Deployment.Instance.StackName}");', ["network"]),
    ('new Pulumi.StackReference("net", new StackReferenceArgs { Name = "acme/network/" + stack });', ["network"]),
    ('new StackReference(name: "acme/network/dev");', ["network"]),
    ('new StackReference(@"acme/network/dev");', ["network"]),
    ('new StackReference(string.Format("acme/network/{0}", stack));', ["network"]),
    ('// new StackReference("acme/network/dev");', []),
    ('var s = "new StackReference(\\"acme/network/dev\\")";', []),
]

JAVA = [
    ('new StackReference("acme/network/dev");', ["network"]),
    ('new StackReference(String.format("acme/network/%s", ctx.stackName()));', ["network"]),
    (
        'new StackReference("net", StackReferenceArgs.builder().name("acme/network/" + ctx.stackName()).build());',
        ["network"],
    ),
    ('new com.pulumi.resources.StackReference("acme/network/dev");', ["network"]),
    ('// new StackReference("acme/network/dev");', []),
]


def _wrap_go(body: str) -> str:
    run = f"pulumi.Run(func(ctx *pulumi.Context) error {{\n\t\t{body}\n\t\treturn nil\n\t}})"
    return f"package main\n\nfunc main() {{\n\t{run}\n}}\n"


def _wrap_csharp(body: str) -> str:
    return f"using Pulumi;\n\nreturn await Deployment.RunAsync(() =>\n{{\n    {body}\n}});\n"


def _wrap_java(body: str) -> str:
    main = f"public static void main(String[] args) {{\n    Pulumi.run(ctx -> {{ {body} }});\n  }}"
    return f"public class App {{\n  {main}\n}}\n"


@pytest.mark.parametrize(("source", "expected"), PYTHON)
def test_python(source: str, expected: list[str | None]) -> None:
    assert projects("stacks/app/__main__.py", "import pulumi\n" + source + "\n") == expected


@pytest.mark.parametrize(("source", "expected"), TYPESCRIPT)
@pytest.mark.parametrize("path", ["stacks/app/index.ts", "stacks/app/index.js", "stacks/app/index.tsx"])
def test_typescript_and_javascript(path: str, source: str, expected: list[str | None]) -> None:
    if " as string" in source and path.endswith(".js"):
        pytest.skip("`as` is TypeScript syntax")
    assert projects(path, 'import * as pulumi from "@pulumi/pulumi";\n' + source + "\n") == expected


@pytest.mark.parametrize(("source", "expected"), GO)
def test_go(source: str, expected: list[str | None]) -> None:
    assert projects("stacks/app/main.go", _wrap_go(source)) == expected


@pytest.mark.parametrize(("source", "expected"), CSHARP)
def test_csharp(source: str, expected: list[str | None]) -> None:
    assert projects("stacks/app/Program.cs", _wrap_csharp(source)) == expected


@pytest.mark.parametrize(("source", "expected"), JAVA)
def test_java(source: str, expected: list[str | None]) -> None:
    assert projects("stacks/app/src/main/java/myproject/App.java", _wrap_java(source)) == expected


YAML_PROGRAM = """\
name: app
runtime: yaml
# resources:
#   old: {type: pulumi:pulumi:StackReference}
resources:
  network:
    type: pulumi:pulumi:StackReference
    properties:
      name: acme/network/${pulumi.stack}
  data/prod:
    type: pulumi:pulumi:StackReference
  any:
    type: pulumi:pulumi:StackReference
    properties:
      name: ${other}
  bucket:
    type: aws:s3:BucketV2
    properties:
      bucket: pulumi:pulumi:StackReference
"""


def test_pulumi_yaml_resources_through_the_yaml_loader() -> None:
    sites = sites_in("stacks/app/Pulumi.yaml", YAML_PROGRAM.encode())
    assert [(s.project, s.line, s.language) for s in sites] == [
        ("network", 6, "Pulumi YAML"),
        ("data", 10, "Pulumi YAML"),  # no properties.name: the resource name is the stack name
        (None, 12, "Pulumi YAML"),
    ]
    assert sites[0].name == "acme/network/{…}"


def test_yaml_that_is_not_a_program_has_no_references() -> None:
    assert sites_in("stacks/app/values.yaml", b"kind: StackReference\nitems: [a, b]\n") == []
    assert sites_in("stacks/app/broken.yaml", b"resources: [StackReference\n") == []


def test_lines_and_names_as_written_are_reported() -> None:
    source = (
        "import * as pulumi from '@pulumi/pulumi';\n\n"
        "const net = new pulumi.StackReference(`acme/network/${pulumi.getStack()}`);\n"
        "const other = new pulumi.StackReference(config.require('otherStack'));\n"
    )
    net, other = sites_in("stacks/app/index.ts", source.encode())
    assert (net.where, net.name, net.project, net.language) == (
        "stacks/app/index.ts:3",
        "acme/network/{…}",
        "network",
        "TypeScript",
    )
    assert (other.where, other.project) == ("stacks/app/index.ts:4", None)
    assert other.written == "config.require('otherStack')"


def test_files_of_other_languages_are_not_read() -> None:
    assert sites_in("stacks/app/README.md", b'new pulumi.StackReference("acme/network/dev")') == []
    assert sites_in("stacks/app/Makefile", b'new pulumi.StackReference("acme/network/dev")') == []
