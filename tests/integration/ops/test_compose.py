"""docker-compose.yml, the Dockerfiles and the LocalStack bootstrap, checked by parsing them
(Docker itself cannot run here)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SERVICES = {"api", "worker", "scheduler", "rq-dashboard", "redis", "mongo", "localstack",
            "prometheus", "grafana"}  # fmt: skip
PINNED = {"redis": "redis:7", "mongo": "mongo:7", "localstack": "localstack/localstack:4.14.0",
          "prometheus": "prom/prometheus:v2.53.0", "grafana": "grafana/grafana:11.1.0"}  # fmt: skip
WORKER_METRICS_PORT = "9102"
BUILT = {"api", "worker", "scheduler", "rq-dashboard"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _host_ports(service: dict) -> list[str]:
    return [str(p) for p in service.get("ports", [])]


def test_every_service_is_there_with_its_image(compose):
    services = compose["services"]
    assert set(services) == SERVICES
    for name, image in PINNED.items():
        assert services[name]["image"] == image
        assert "build" not in services[name]
    for name in BUILT:
        assert services[name]["build"]["context"] == "."
        dockerfile = ROOT / services[name]["build"]["dockerfile"]
        assert dockerfile.is_file(), dockerfile
        assert re.fullmatch(r"cl3-(api|worker):local", services[name]["image"])


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert check.get("interval") and check.get("retries"), name


def test_dependencies_wait_for_health(compose):
    services = compose["services"]
    for name in ("api", "worker", "scheduler"):
        deps = services[name]["depends_on"]
        for backing in ("redis", "mongo", "localstack"):
            assert deps[backing]["condition"] == "service_healthy", (name, backing)
    assert services["rq-dashboard"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_dashboard_and_every_port_are_bound_to_localhost(compose):
    services = compose["services"]
    assert _host_ports(services["rq-dashboard"]) == ["127.0.0.1:9181:9181"]
    assert "--redis-url" in services["rq-dashboard"]["command"]
    for name, service in services.items():
        for port in _host_ports(service):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_workers_scale(compose):
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    # Every replica serves /metrics inside the network only (no published port).
    assert worker["command"] == ["cl3", "worker", "--metrics-port", WORKER_METRICS_PORT,
                                 "--metrics-host", "0.0.0.0"]  # fmt: skip
    assert compose["services"]["scheduler"]["command"] == ["cl3", "scheduler"]


def test_services_read_secrets_from_localstack_ssm(compose):
    services = compose["services"]
    for name in ("api", "worker", "scheduler"):
        env = services[name]["environment"]
        assert env["SSM_PREFIX"] == "/cl3/local" and "localstack" in env["AWS_ENDPOINT_URL"]
        assert "SUPABASE_JWT_SECRET" not in env and "MONGODB_URI" not in env
        assert env["STORE_BACKEND"] == "mongodb"  # deployments keep their data in MongoDB
    localstack = services["localstack"]
    assert any(v.endswith(":/etc/localstack/init/ready.d:ro") for v in localstack["volumes"])
    assert "localhost.localstack.cloud" in localstack["networks"]["default"]["aliases"]
    assert set(localstack["environment"]["SERVICES"].split(",")) >= {"s3", "ssm"}


def test_dockerfiles():
    functions = (ROOT / "infra/docker/Dockerfile.functions").read_text()
    assert re.search(r"^FROM public\.ecr\.aws/lambda/python:3\.11$", functions, re.M)
    assert re.search(r'^CMD \["app\.app"\]$', functions, re.M)
    assert "layers/common/cl3_common /opt/python/cl3_common" in functions
    worker = (ROOT / "infra/docker/Dockerfile.worker").read_text()
    assert re.search(r"^FROM python:3\.11-slim", worker, re.M)
    assert "COPY layers/common" in worker and '".[worker]"' in worker
    api = (ROOT / "infra/docker/Dockerfile.api").read_text()
    assert re.search(r"^RUN pip install \. ", api, re.M) and "[worker]" not in api  # no pandas
    for text in (functions, worker, api):
        assert re.search(r"^\s+STORE_BACKEND=mongodb \\$", text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".cl3", "infra/out"} <= set(ignored)


def test_the_chalice_stage_uses_the_mongodb_backend():
    config = json.loads((ROOT / "functions/.chalice/config.json").read_text())
    for stage in config["stages"].values():
        assert stage["environment_variables"]["STORE_BACKEND"] == "mongodb"


def test_localstack_bootstrap_script():
    script = ROOT / "infra/localstack/init/ready.d/10-bootstrap.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert "create-bucket" in text and "EXPORT_BUCKET" in text
    for name in ("SUPABASE_JWT_SECRET", "SUPABASE_SERVICE_KEY", "MONGODB_URI"):
        assert f"put_secret {name}" in text


def _mounts(service: dict) -> dict[str, str]:
    """Container path -> host path of the service's bind mounts (read-only ones only)."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        if source.startswith("./"):
            assert mode == ["ro"], volume
            mounts[target] = source
    return mounts


def test_prometheus_scrapes_the_api_and_every_worker(compose):
    services = compose["services"]
    prometheus = services["prometheus"]
    assert _host_ports(prometheus) == ["127.0.0.1:9090:9090"]
    mounts = _mounts(prometheus)
    config_dir = ROOT / mounts["/etc/prometheus"]
    config = yaml.safe_load((config_dir / "prometheus.yml").read_text())
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    for rule_file in config["rule_files"]:  # mounted with the config
        assert rule_file.startswith("/etc/prometheus/")
        rules = yaml.safe_load(
            (config_dir / rule_file.removeprefix("/etc/prometheus/")).read_text()
        )
        assert rules["groups"] and all(group["rules"] for group in rules["groups"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api_port = services["api"]["ports"][0].rsplit(":", 1)[1]
    assert jobs["cl3-api"]["static_configs"] == [{"targets": [f"api:{api_port}"]}]
    assert jobs["cl3-api"]["metrics_path"] == "/metrics"
    # Scaled workers: the service name resolves to every replica.
    assert jobs["cl3-worker"]["dns_sd_configs"] == [
        {"names": ["worker"], "type": "A", "port": int(WORKER_METRICS_PORT),
         "refresh_interval": "30s"}
    ]  # fmt: skip
    assert "prometheus-data" in compose["volumes"]


def test_grafana_is_provisioned_with_the_dashboard(compose):
    grafana = compose["services"]["grafana"]
    assert _host_ports(grafana) == ["127.0.0.1:3000:3000"]
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"
    assert grafana["environment"]["GF_USERS_ALLOW_SIGN_UP"] == "false"
    mounts = _mounts(grafana)
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    sources = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())
    (source,) = sources["datasources"]
    assert source["url"] == "http://prometheus:9090" and source["uid"] == "cl3-prometheus"
    (provider,) = yaml.safe_load((provisioning / "dashboards/cl3.yml").read_text())["providers"]
    dashboards = ROOT / mounts[provider["options"]["path"]]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(provider["options"]["path"] + "/")
    dashboard = json.loads((dashboards / home.rsplit("/", 1)[1]).read_text())
    assert dashboard["uid"] == "cl3-overview"
    used = {target["datasource"]["uid"] for panel in dashboard["panels"]
            for target in panel.get("targets", [])}  # fmt: skip
    assert used == {source["uid"]}
