"""The deployment files parse and say what docs/deployment.md says they do.

Kubernetes manifests are checked against the API schemas shipped by `kubernetes-validate`
(strict: an unknown field fails). No Docker engine runs here, so the compose file and the
Dockerfile get structural checks of what matters: the services, the roles, the WebSocket
pass-through, the non-root user.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml  # type: ignore[import-untyped]  # no stubs in the dev extra

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30.0"


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append((f"{path.name}:{document['kind']}", document))
    return documents


@pytest.mark.parametrize(
    ("name", "document"), k8s_documents(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_kubernetes_manifest_is_valid(name: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_a_wrong_manifest_is_caught() -> None:
    """The validator is not a rubber stamp."""
    _, deployment = next(d for d in k8s_documents() if d[1]["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_kubernetes_deployments_probe_drain_and_keep_a_replica() -> None:
    documents = [d for _, d in k8s_documents()]
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == {"parley-api", "parley-gateway"}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        role = name.removeprefix("parley-")
        assert container["args"] == ["serve", "--role", role]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["terminationGracePeriodSeconds"] > 20  # PARLEY_SHUTDOWN_GRACE_SECONDS
        refs = {next(iter(r.values()))["name"] for r in container["envFrom"]}
        assert refs == {"parley-config", "parley-secrets"}
    budgets = {d["metadata"]["name"] for d in documents if d["kind"] == "PodDisruptionBudget"}
    assert budgets == {"parley-api", "parley-gateway"}
    config = next(d for d in documents if d["kind"] == "ConfigMap")
    assert int(config["data"]["PARLEY_SHUTDOWN_GRACE_SECONDS"]) < 30
    assert any(d["kind"] == "Secret" for d in documents)
    assert any(
        d["kind"] == "Job" and d["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
        for d in documents
    )


def test_the_compose_file_runs_the_scaled_out_shape() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services: dict[str, dict[str, Any]] = compose["services"]
    assert {"postgres", "redis", "kafka", "migrate", "nginx"} <= set(services)
    kafka = services["kafka"]["environment"]
    assert "broker" in kafka["KAFKA_PROCESS_ROLES"] and "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert "ZOOKEEPER" not in " ".join(kafka)  # KRaft
    roles = {
        name: service["command"][-1]
        for name, service in services.items()
        if service.get("command", [None])[0] == "serve"
    }
    assert sorted(roles.values()) == ["api", "api", "gateway", "gateway"]
    for name in roles:
        service = services[name]
        env = service["environment"]
        assert env["PARLEY_BUS"] == "kafka" and env["PARLEY_REDIS_URL"].startswith("redis://")
        assert env["PARLEY_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["migrate"]
    for service in services.values():  # every key is one the compose spec knows
        assert set(service) <= COMPOSE_SERVICE_KEYS, set(service) - COMPOSE_SERVICE_KEYS


COMPOSE_SERVICE_KEYS = {
    "image", "build", "command", "environment", "depends_on", "volumes", "ports", "healthcheck",
    "restart", "stop_grace_period", "networks",
}  # fmt: skip


def test_nginx_passes_websockets_to_the_gateways_and_http_to_the_api() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    ws = re.search(r"location = /ws \{(.*?)\}", conf, re.S)
    assert ws is not None
    block = ws.group(1)
    assert "proxy_pass http://parley_gateway;" in block
    assert "proxy_http_version 1.1;" in block
    assert "proxy_set_header Upgrade $http_upgrade;" in block
    assert "proxy_set_header Connection $connection_upgrade;" in block
    assert re.search(r"upstream parley_gateway \{[^}]*gateway-1:8000[^}]*gateway-2:8000", conf)
    assert re.search(r"upstream parley_api \{[^}]*api-1:8000[^}]*api-2:8000", conf)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) >= {"api-1", "api-2", "gateway-1", "gateway-2"}


def test_the_image_runs_parley_serve_as_a_non_root_user() -> None:
    lines = [
        line.strip()
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0].startswith("FROM python:") and "slim" in lines[0]
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["parley"]' in final and 'CMD ["serve"]' in final
