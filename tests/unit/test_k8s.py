"""deploy/k8s: the Kubernetes manifests, validated offline (never applied to a cluster here).

What is validated, and how:
- core kinds (Namespace, ConfigMap, Deployment, Service, PersistentVolumeClaim, Job,
  ServiceAccount, Role, RoleBinding) against the Kubernetes 1.37 OpenAPI schemas that
  kubernetes-validate ships, in strict mode (unknown fields refused);
- the operators' kinds (Strimzi Kafka/KafkaNodePool/KafkaUser, ECK Elasticsearch/Kibana,
  KEDA ScaledObject/TriggerAuthentication, prometheus-operator PodMonitor): no package here
  ships their CRDs' openAPIV3 schemas, so only structurally — the apiVersion each operator
  serves, and the fields the issue requires, asserted one by one below;
- the veille configuration in the ConfigMap validates as a VeilleConfig, every container's
  command parses with veille's CLI, and the scaling triggers name veille's real consumer
  groups and topics.
"""

from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from schemas.config import VeilleConfig
from schemas.topics import Topics
from veille import cli
from veille.runner import group_id

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
CORE = {"Namespace", "ConfigMap", "Deployment", "Service", "PersistentVolumeClaim", "Job",
        "ServiceAccount", "Role", "RoleBinding"}  # fmt: skip
OPERATOR_KINDS = {
    "Kafka": "kafka.strimzi.io/v1beta2",
    "KafkaNodePool": "kafka.strimzi.io/v1beta2",
    "KafkaUser": "kafka.strimzi.io/v1beta2",
    "Elasticsearch": "elasticsearch.k8s.elastic.co/v1",
    "Kibana": "kibana.k8s.elastic.co/v1",
    "ScaledObject": "keda.sh/v1alpha1",
    "TriggerAuthentication": "keda.sh/v1alpha1",
    "PodMonitor": "monitoring.coreos.com/v1",
}


def resources() -> list[dict[str, Any]]:
    docs = [d for path in sorted(K8S.glob("*.yaml")) for d in yaml.safe_load_all(path.read_text())]
    return [d for d in docs if d]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in resources() if d["kind"] == kind]


def veille_config() -> VeilleConfig:
    (config_map,) = of_kind("ConfigMap")
    return VeilleConfig.model_validate(yaml.safe_load(config_map["data"]["veille.yaml"]))


def test_core_kinds_match_the_kubernetes_schemas_strictly() -> None:
    core = [d for d in resources() if d["kind"] in CORE]
    assert {d["kind"] for d in core} == CORE
    for doc in core:
        kubernetes_validate.validate(doc, "1.37.0", strict=True)


def test_every_other_kind_is_an_operator_kind_at_the_version_it_serves() -> None:
    others = [d for d in resources() if d["kind"] not in CORE]
    assert {d["kind"] for d in others} == set(OPERATOR_KINDS)
    for doc in others:
        assert doc["apiVersion"] == OPERATOR_KINDS[doc["kind"]], doc["kind"]
        assert doc["metadata"]["name"] and doc["metadata"]["namespace"] == "veille"
        assert isinstance(doc["spec"], dict)


def test_kafka_has_three_brokers_replication_three_and_two_in_sync() -> None:
    (pool,) = of_kind("KafkaNodePool")
    (kafka,) = of_kind("Kafka")
    assert pool["spec"]["replicas"] == 3 and set(pool["spec"]["roles"]) == {"broker", "controller"}
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False
    assert veille_config().kafka.replication_factor == 3


def test_elasticsearch_has_three_nodes_tls_api_keys_and_kibana() -> None:
    (es,) = of_kind("Elasticsearch")
    (kibana,) = of_kind("Kibana")
    assert sum(n["count"] for n in es["spec"]["nodeSets"]) == 3
    assert "selfSignedCertificate" in es["spec"]["http"]["tls"]  # TLS on (ECK's CA)
    assert kibana["spec"]["elasticsearchRef"]["name"] == es["metadata"]["name"]
    settings = veille_config().elasticsearch
    assert all(h.startswith("https://") for h in settings.hosts) and settings.ca_certs
    for deployment in of_kind("Deployment"):
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        key = env["VEILLE__ELASTICSEARCH__API_KEY"]["valueFrom"]["secretKeyRef"]
        assert key["name"] == "veille-es-api-key"  # an API key, from a Secret, never in a file


def test_each_stage_is_a_deployment_with_probes_and_metrics_running_a_real_command() -> None:
    port = veille_config().metrics.port
    parser = cli.build_parser()
    commands = Counter()
    for deployment in of_kind("Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        args = parser.parse_args(container["args"])
        commands[args.func.__name__, getattr(args, "worker", None)] += 1
        assert args.log_format == "json"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == port
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    workers = {worker for (_, worker) in commands}
    assert workers == {"ingest", "push", "enrich", "stories", "index", "alerts", "notify"}


def test_inference_pods_go_to_gpu_nodes() -> None:
    (gpu,) = [d for d in of_kind("Deployment") if d["metadata"]["name"] == "veille-enrich-gpu"]
    spec = gpu["spec"]["template"]["spec"]
    assert spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert spec["nodeSelector"] and spec["tolerations"][0]["key"] == "nvidia.com/gpu"
    env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
    assert env["VEILLE__ENRICH__MODEL__DEVICE"] == "cuda"


def test_scaling_on_lag_names_veilles_groups_and_topics_within_the_partitions() -> None:
    config = veille_config()
    topics = Topics(config.kafka.topic_prefix)
    deployments = {d["metadata"]["name"] for d in of_kind("Deployment")}
    wanted = {"veille-enrich": ("enrich", topics.raw), "veille-index": ("index", topics.enriched)}
    scaled = of_kind("ScaledObject")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == set(wanted)
    for s in scaled:
        target = s["spec"]["scaleTargetRef"]["name"]
        assert target in deployments
        (trigger,) = s["spec"]["triggers"]
        worker, topic = wanted[target]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == group_id(config, worker)
        assert trigger["metadata"]["topic"] == topic
        assert s["spec"]["maxReplicaCount"] <= config.kafka.partitions


def test_the_validator_would_refuse_a_misspelt_field() -> None:
    deployment = of_kind("Deployment")[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    try:
        kubernetes_validate.validate(deployment, "1.37.0", strict=True)
    except kubernetes_validate.ValidationError:
        return
    raise AssertionError("a misspelt field passed the validator")
