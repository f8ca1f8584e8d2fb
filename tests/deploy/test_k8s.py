"""The Kubernetes manifests are valid against the API schema and agree with the service."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from app.core.config import Settings
from tests.harness import REPO

K8S = REPO / "deploy" / "k8s"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_manifest_is_valid_against_the_kubernetes_schema(path: Path) -> None:
    kubernetes_validate.validate(load(path), kubernetes_validate.latest_version(), strict=True)


def test_validation_catches_a_broken_manifest() -> None:
    deployment = load(K8S / "deployment.yaml")
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


def test_kustomization_lists_every_manifest() -> None:
    assert sorted(load(K8S / "kustomization.yaml")["resources"]) == [p.name for p in MANIFESTS]


def test_probes_and_config_match_the_service(client) -> None:
    container = load(K8S / "deployment.yaml")["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        path = container[probe]["httpGet"]["path"]
        assert client.get(path).status_code == 200, f"{probe} {path}"
    known = {f"DIGITS_{name.upper()}" for name in Settings.model_fields} | {"WORKERS"}
    assert set(load(K8S / "configmap.yaml")["data"]) <= known


def test_a_pod_leaving_drains_before_it_is_killed() -> None:
    """Routing stops (preStop) and uvicorn drains within the grace period; a disruption budget
    keeps a ready replica; a rolling update never goes below the replicas asked for."""
    deployment = load(K8S / "deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert 0 < pre_stop < pod["terminationGracePeriodSeconds"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    budget = load(K8S / "pdb.yaml")
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert budget["spec"]["maxUnavailable"] < deployment["spec"]["replicas"]


def test_the_feedback_database_and_operator_key_come_from_the_secret() -> None:
    """Credentials never sit in the ConfigMap; the SQLite fallback has a writable volume under
    the read-only root."""
    pod = load(K8S / "deployment.yaml")["spec"]["template"]["spec"]
    [container] = pod["containers"]
    secrets = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert secrets["DIGITS_DATABASE_URL"] == "database-url"
    assert secrets["DIGITS_OPERATOR_KEY"] == "operator-key"
    assert not {"DIGITS_DATABASE_URL", "DIGITS_OPERATOR_KEY"} & set(
        load(K8S / "configmap.yaml")["data"]
    )
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/srv/var" in mounts and container["securityContext"]["readOnlyRootFilesystem"]
