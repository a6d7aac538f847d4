"""The web application on Kubernetes. Its configuration comes from the data stack's
outputs (bucket, table, role) so a change there rolls the pods."""

import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

# lib/ lives at the repository root, two levels above this project directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming, tags

project = pulumi.get_project()
env = pulumi.get_stack()
config = pulumi.Config()
aws_region = pulumi.Config("aws").get("region") or "us-east-1"

replicas = config.get_int("replicas") or 1
image = config.get("image") or "public.ecr.aws/nginx/nginx:1.27"
labels = tags.k8s_labels(project, env, "web")

data = pulumi.StackReference(f"organization/data/{env}")

namespace = k8s.core.v1.Namespace(
    naming.resource_name(project, env, "namespace"),
    metadata={"name": naming.namespace(project, env), "labels": labels},
)
ns_name = namespace.metadata.apply(lambda m: m.name)

settings = k8s.core.v1.ConfigMap(
    naming.resource_name(project, env, "settings"),
    metadata={"name": "web-settings", "namespace": ns_name, "labels": labels},
    data={
        "AWS_REGION": aws_region,
        "APP_ENV": env,
        "UPLOADS_BUCKET": data.require_output("bucket_name"),
        "RECORDS_TABLE": data.require_output("table_name"),
        "EVENTS_QUEUE_URL": data.require_output("queue_url"),
        "APP_ROLE_ARN": data.require_output("role_arn"),
    },
)

deployment = k8s.apps.v1.Deployment(
    naming.resource_name(project, env, "web"),
    metadata={"name": "web", "namespace": ns_name, "labels": labels},
    spec={
        "replicas": replicas,
        "selector": {"match_labels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": image,
                        "ports": [{"name": "http", "container_port": 80}],
                        "env_from": [{"config_map_ref": {"name": settings.metadata.apply(lambda m: m.name)}}],
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "128Mi"},
                            "limits": {"memory": "256Mi"},
                        },
                    }
                ]
            },
        },
    },
)

service = k8s.core.v1.Service(
    naming.resource_name(project, env, "web-service"),
    metadata={"name": "web", "namespace": ns_name, "labels": labels},
    spec={
        "type": "ClusterIP",
        "selector": labels,
        "ports": [{"name": "http", "port": 80, "target_port": "http"}],
    },
)

pulumi.export("namespace", ns_name)
pulumi.export("service_name", service.metadata.apply(lambda m: m.name))
pulumi.export("replicas", replicas)
