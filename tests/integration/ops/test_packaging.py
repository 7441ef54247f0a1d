"""`cl3 package`: the layer zip and Chalice's Terraform with the API, the schedule, the layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cl3_cli.package import layer_requirements

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("package")
    env = {**os.environ, "REFRESH_INTERVAL_MINUTES": "15", "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(
        [sys.executable, "-m", "cl3_cli", "package", "--out", str(out), "--no-deps"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out, json.loads((out / "terraform" / "chalice.tf.json").read_text())


def test_the_layer_zip_has_the_python_prefix(packaged):
    out, _ = packaged
    names = zipfile.ZipFile(out / "layer-common.zip").namelist()
    assert "python/cl3_common/__init__.py" in names
    assert "python/cl3_common/refresh.py" in names and "python/cl3_common/ssm.py" in names
    assert all(n.startswith("python/") for n in names)
    assert not any("__pycache__" in n for n in names)


def test_terraform_has_the_api_the_schedule_rule_and_the_layer(packaged):
    out, tf = packaged
    resources = tf["resource"]
    assert "rest_api" in resources["aws_api_gateway_rest_api"]
    swagger = json.loads(tf["locals"]["chalice_api_swagger"])
    assert {"/health", "/api/market-data/fetch", "/api/market-data/export"} <= set(swagger["paths"])

    rule = resources["aws_cloudwatch_event_rule"]["refresh_tracked_series-event"]
    assert rule["schedule_expression"] == "rate(15 minutes)"
    functions = resources["aws_lambda_function"]
    assert functions["refresh_tracked_series"]["handler"] == (
        "chalicelib.scheduled.refresh_tracked_series"
    )
    assert functions["api_handler"]["handler"] == "app.app"

    layer = resources["aws_lambda_layer_version"]["cl3_common"]
    assert layer["filename"] == "${path.module}/layer-common.zip"
    assert (out / "terraform" / "layer-common.zip").is_file()
    assert layer["compatible_runtimes"] == ["python3.11"]
    for fn in functions.values():
        assert "${aws_lambda_layer_version.cl3_common.arn}" in fn["layers"]
        assert fn["environment"]["variables"]["SSM_PREFIX"] == "${var.ssm_prefix}"
    assert "redis_url" in tf["variable"]
    assert any(k.endswith("-ssm") for k in resources["aws_iam_role_policy"])


def test_the_function_zip_holds_no_pandas_and_no_shared_code(packaged):
    out, _ = packaged
    names = zipfile.ZipFile(out / "terraform" / "deployment.zip").namelist()
    assert "app.py" in names and "chalicelib/scheduled.py" in names
    assert not any(n.startswith(("pandas/", "numpy/", "cl3_common/")) for n in names)


def test_layer_dependencies_come_from_pyproject():
    reqs = {r.split("[")[0].split("=")[0].split(">")[0].split("<")[0] for r in
            layer_requirements(ROOT)}  # fmt: skip
    assert {"rq", "redis", "pymongo", "pydantic", "pydantic-settings"} <= reqs
    assert not reqs & {"chalice", "boto3", "pandas", "waitress", "rich"}
