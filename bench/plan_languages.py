"""The generated projects of bench/plan_scale.py, one Pulumi language each.

Every project is 10 files; its program reads the outputs of the project before it in its chain
through a StackReference written as that language's SDK documents it. `EDITED` names the two
files the benchmark's change edits (the program and one component). A mixed repository cycles
through Python, TypeScript, Go, C#, Java and Pulumi YAML, so the planner's dependency scan
parses every grammar.
"""

from __future__ import annotations

from collections.abc import Callable

Files = dict[str, str]


def _stack_configs(name: str) -> Files:
    environments = ("dev", "qa", "prod")
    return {f"Pulumi.{env}.yaml": f"config:\n  {name}:replicas: {n}\n" for n, env in enumerate(environments, 1)}


def python(name: str, upstream: str | None, revision: int) -> Files:
    edit = f"# revision {revision}\n" if revision else ""
    reference = (
        f'upstream = pulumi.StackReference(f"organization/{upstream}/{{pulumi.get_stack()}}")\n'
        'pulumi.export("upstream_queue", upstream.get_output("queue_url"))\n'
        if upstream
        else ""
    )
    return {
        "Pulumi.yaml": f"name: {name}\nruntime: python\ndescription: generated service {name}\n",
        "__main__.py": (
            "import pulumi\nimport pulumi_aws as aws\n\nfrom components import queue, storage\n\n"
            f"{edit}{reference}"
            f'bucket = storage.bucket("{name}")\n'
            f'events = queue.queue("{name}")\n'
            'pulumi.export("bucket_name", bucket.bucket)\n'
            'pulumi.export("queue_url", events.url)\n'
        ),
        **_stack_configs(name),
        "requirements.txt": "pulumi>=3.200,<4\npulumi-aws>=7,<8\n",
        "README.md": f"# {name}\n\nGenerated project for the plan benchmark.\n",
        "components/__init__.py": "",
        "components/storage.py": (
            "import pulumi_aws as aws\n\n\n"
            f"{edit}"
            "def bucket(name: str) -> aws.s3.Bucket:\n"
            '    return aws.s3.Bucket(f"{name}-data", force_destroy=True)\n'
        ),
        "components/queue.py": (
            "import pulumi_aws as aws\n\n\n"
            "def queue(name: str) -> aws.sqs.Queue:\n"
            '    return aws.sqs.Queue(f"{name}-events", visibility_timeout_seconds=60)\n'
        ),
    }


def typescript(name: str, upstream: str | None, revision: int) -> Files:
    edit = f"// revision {revision}\n" if revision else ""
    reference = (
        f"const upstream = new pulumi.StackReference(`organization/{upstream}/${{pulumi.getStack()}}`);\n"
        'export const upstreamQueue = upstream.getOutput("queueUrl");\n'
        if upstream
        else ""
    )
    return {
        "Pulumi.yaml": f"name: {name}\nruntime: nodejs\ndescription: generated service {name}\n",
        "index.ts": (
            'import * as pulumi from "@pulumi/pulumi";\nimport { bucket } from "./components/storage";\n'
            'import { queue } from "./components/queue";\n\n'
            f"{edit}{reference}"
            f'const data = bucket("{name}");\nconst events = queue("{name}");\n'
            "export const bucketName = data.bucket;\nexport const queueUrl = events.url;\n"
        ),
        **_stack_configs(name),
        "package.json": f'{{"name": "{name}", "main": "index.ts", "dependencies": {{"@pulumi/pulumi": "^3"}}}}\n',
        "tsconfig.json": '{"compilerOptions": {"strict": true, "target": "es2020"}}\n',
        "README.md": f"# {name}\n\nGenerated project for the plan benchmark.\n",
        "components/storage.ts": (
            f'import * as aws from "@pulumi/aws";\n\n{edit}'
            "export function bucket(name: string): aws.s3.Bucket {\n"
            "    return new aws.s3.Bucket(`${name}-data`, { forceDestroy: true });\n}\n"
        ),
        "components/queue.ts": (
            'import * as aws from "@pulumi/aws";\n\n'
            "export function queue(name: string): aws.sqs.Queue {\n"
            "    return new aws.sqs.Queue(`${name}-events`, { visibilityTimeoutSeconds: 60 });\n}\n"
        ),
    }


def go(name: str, upstream: str | None, revision: int) -> Files:
    edit = f"// revision {revision}\n" if revision else ""
    reference = (
        f'\t\tname := fmt.Sprintf("organization/{upstream}/%s", ctx.Stack())\n'
        "\t\tupstream, err := pulumi.NewStackReference(ctx, name, nil)\n"
        "\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n"
        '\t\tctx.Export("upstreamQueue", upstream.GetOutput(pulumi.String("queueUrl")))\n'
        if upstream
        else ""
    )
    return {
        "Pulumi.yaml": f"name: {name}\nruntime: go\ndescription: generated service {name}\n",
        "main.go": (
            'package main\n\nimport (\n\t"fmt"\n\n\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n)\n\n'
            f"{edit}func main() {{\n\tpulumi.Run(func(ctx *pulumi.Context) error {{\n"
            f'{reference}\t\tbucket, err := newBucket(ctx, "{name}")\n'
            "\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n"
            '\t\tctx.Export("bucketName", bucket.Bucket)\n\t\t_ = fmt.Sprint()\n\t\treturn nil\n\t})\n}\n'
        ),
        **_stack_configs(name),
        "go.mod": f"module {name}\n\ngo 1.22\n\nrequire github.com/pulumi/pulumi/sdk/v3 v3.140.0\n",
        "go.sum": "github.com/pulumi/pulumi/sdk/v3 v3.140.0 h1:generated\n",
        "README.md": f"# {name}\n\nGenerated project for the plan benchmark.\n",
        "storage.go": (
            f'package main\n\nimport (\n\t"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"\n'
            f'\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n)\n\n{edit}'
            "func newBucket(ctx *pulumi.Context, name string) (*s3.Bucket, error) {\n"
            '\treturn s3.NewBucket(ctx, name+"-data", &s3.BucketArgs{ForceDestroy: pulumi.Bool(true)})\n}\n'
        ),
        "queue.go": (
            'package main\n\nimport (\n\t"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"\n'
            '\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n)\n\n'
            "func newQueue(ctx *pulumi.Context, name string) (*sqs.Queue, error) {\n"
            '\treturn sqs.NewQueue(ctx, name+"-events", &sqs.QueueArgs{VisibilityTimeoutSeconds: pulumi.Int(60)})\n}\n'
        ),
    }


def csharp(name: str, upstream: str | None, revision: int) -> Files:
    edit = f"// revision {revision}\n" if revision else ""
    reference = (
        f'    var upstream = new StackReference($"organization/{upstream}/{{Deployment.Instance.StackName}}");\n'
        if upstream
        else ""
    )
    return {
        "Pulumi.yaml": f"name: {name}\nruntime: dotnet\ndescription: generated service {name}\n",
        "Program.cs": (
            "using System.Collections.Generic;\nusing Pulumi;\n\n"
            f"{edit}return await Deployment.RunAsync(() =>\n{{\n{reference}"
            f'    var bucket = Storage.Bucket("{name}");\n    var queue = Queue.Create("{name}");\n'
            '    return new Dictionary<string, object?> { ["bucketName"] = bucket.BucketName };\n});\n'
        ),
        **_stack_configs(name),
        f"{name}.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n  <ItemGroup>\n'
        '    <PackageReference Include="Pulumi" Version="3.*" />\n  </ItemGroup>\n</Project>\n',
        "global.json": '{"sdk": {"version": "8.0.100"}}\n',
        "README.md": f"# {name}\n\nGenerated project for the plan benchmark.\n",
        "Storage.cs": (
            f"using Pulumi;\n\n{edit}static class Storage\n{{\n"
            "    public static Pulumi.Aws.S3.Bucket Bucket(string name) =>\n"
            '        new($"{name}-data", new() { ForceDestroy = true });\n}\n'
        ),
        "Queue.cs": (
            "using Pulumi;\n\nstatic class Queue\n{\n"
            "    public static Pulumi.Aws.Sqs.Queue Create(string name) =>\n"
            '        new($"{name}-events", new() { VisibilityTimeoutSeconds = 60 });\n}\n'
        ),
    }


def java(name: str, upstream: str | None, revision: int) -> Files:
    edit = f"// revision {revision}\n" if revision else ""
    reference = (
        "            var upstream = new StackReference(\n"
        f'                String.format("organization/{upstream}/%s", ctx.stackName()));\n'
        '            ctx.export("upstreamQueue", upstream.output("queueUrl"));\n'
        if upstream
        else ""
    )
    source = "src/main/java/generated"
    return {
        "Pulumi.yaml": f"name: {name}\nruntime: java\ndescription: generated service {name}\n",
        f"{source}/App.java": (
            "package generated;\n\nimport com.pulumi.Pulumi;\nimport com.pulumi.resources.StackReference;\n\n"
            f"{edit}public class App {{\n    public static void main(String[] args) {{\n"
            f"        Pulumi.run(ctx -> {{\n{reference}"
            f'            var bucket = Storage.bucket("{name}");\n            var queue = Queues.create("{name}");\n'
            '            ctx.export("bucketName", bucket.bucket());\n        });\n    }\n}\n'
        ),
        **_stack_configs(name),
        "pom.xml": f"<project><modelVersion>4.0.0</modelVersion><artifactId>{name}</artifactId></project>\n",
        "README.md": f"# {name}\n\nGenerated project for the plan benchmark.\n",
        f"{source}/Storage.java": (
            f"package generated;\n\nimport com.pulumi.aws.s3.Bucket;\n\n{edit}class Storage {{\n"
            '    static Bucket bucket(String name) {\n        return new Bucket(name + "-data");\n    }\n}\n'
        ),
        f"{source}/Queues.java": (
            "package generated;\n\nimport com.pulumi.aws.sqs.Queue;\n\nclass Queues {\n"
            '    static Queue create(String name) {\n        return new Queue(name + "-events");\n    }\n}\n'
        ),
        ".gitignore": "/target/\n",
    }


def pulumi_yaml(name: str, upstream: str | None, revision: int) -> Files:
    edit = f"# revision {revision}\n" if revision else ""
    reference = (
        f"  upstream:\n    type: pulumi:pulumi:StackReference\n"
        f"    properties:\n      name: organization/{upstream}/${{pulumi.stack}}\n"
        if upstream
        else ""
    )
    return {
        "Pulumi.yaml": f"name: {name}\nruntime: yaml\ndescription: generated service {name}\n",
        "Main.yaml": (
            f"{edit}resources:\n{reference}"
            f"  data:\n    type: aws:s3:Bucket\n    properties:\n      bucket: {name}-data\n      forceDestroy: true\n"
            f"  events:\n    type: aws:sqs:Queue\n    properties:\n      visibilityTimeoutSeconds: 60\n"
            "outputs:\n  bucketName: ${data.bucket}\n  queueUrl: ${events.url}\n"
        ),
        **_stack_configs(name),
        "README.md": f"# {name}\n\nGenerated project for the plan benchmark.\n",
        "policies/bucket.json": f'{{"Version": "2012-10-17", "Statement": [], "Revision": {revision}}}\n',
        "policies/queue.json": '{"Version": "2012-10-17", "Statement": []}\n',
        "policies/README.md": "Policy documents the program attaches.\n",
        ".gitignore": "/.pulumi/\n",
    }


Generator = Callable[[str, "str | None", int], Files]
LANGUAGES: dict[str, Generator] = {
    "python": python,
    "typescript": typescript,
    "go": go,
    "csharp": csharp,
    "java": java,
    "yaml": pulumi_yaml,
}
EDITED: dict[str, tuple[str, str]] = {
    "python": ("__main__.py", "components/storage.py"),
    "typescript": ("index.ts", "components/storage.ts"),
    "go": ("main.go", "storage.go"),
    "csharp": ("Program.cs", "Storage.cs"),
    "java": ("src/main/java/generated/App.java", "src/main/java/generated/Storage.java"),
    "yaml": ("Main.yaml", "policies/bucket.json"),
}
MIXES: dict[str, tuple[str, ...]] = {
    "mixed": ("python", "typescript", "go", "csharp", "java", "yaml"),
    "python": ("python",),
}
