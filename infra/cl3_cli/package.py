"""`cl3 package`: the Lambda layer zip and the Chalice app as Terraform, ready to deploy.

Output (default `infra/out/`):

* `layer-common.zip`: a Lambda layer (`python/` prefix) with `cl3_common` and the handler
  side's dependencies from `pyproject.toml`, installed with `pip install --target` for the
  Lambda platform (manylinux2014 x86_64, CPython 3.11, wheels only). Left out: `chalice`
  (Chalice puts its runtime into the function zip itself), `boto3` (in the Lambda runtime),
  `rich` and `waitress` (the `cl3` CLI and `cl3 api` only). `--no-deps` packs `cl3_common`
  alone (offline builds, a separate dependencies layer).
* `terraform/`: `chalice package --pkg-format terraform` of `functions/` (the REST API, the
  API handler, the scheduled refresh function and its EventBridge rule), with the layer added
  as `aws_lambda_layer_version.cl3_common` and attached to every function, the variables
  `redis_url`, `ssm_prefix`, `supabase_url` wired into the functions' environment, and a
  policy letting the functions read the SSM parameters under `ssm_prefix`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

LAYER_EXCLUDES = frozenset({"chalice", "boto3", "botocore", "rich", "waitress"})
LAMBDA_PYTHON = "3.11"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
LAYER_RESOURCE = "cl3_common"
# Fixed timestamp for zip entries so identical inputs give an identical layer (and hash).
_ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


class PackageError(RuntimeError):
    pass


def find_root(start: Path | None = None) -> Path:
    """The project root: the nearest directory holding functions/app.py and layers/common."""
    candidates = [start or Path.cwd(), Path(__file__).resolve().parents[2]]
    for base in candidates:
        for d in (base, *base.parents):
            if (d / "functions" / "app.py").is_file() and (d / "layers" / "common").is_dir():
                return d
    raise PackageError("cannot find the project root (functions/app.py, layers/common)")


def layer_requirements(root: Path) -> list[str]:
    """The handler-side dependencies of pyproject.toml, minus what the layer leaves out."""
    with open(root / "pyproject.toml", "rb") as f:
        deps: list[str] = tomllib.load(f)["project"]["dependencies"]
    out = []
    for dep in deps:
        name = re.split(r"[\s\[<>=!~;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        if name not in LAYER_EXCLUDES:
            out.append(dep)
    return out


def build_layer(root: Path, out_dir: Path, *, with_deps: bool = True) -> Path:
    staging = out_dir / "layer-build"
    shutil.rmtree(staging, ignore_errors=True)
    python_dir = staging / "python"
    python_dir.mkdir(parents=True)
    shutil.copytree(
        root / "layers" / "common" / "cl3_common",
        python_dir / "cl3_common",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    if with_deps:
        cmd = [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "--target", str(python_dir),
            "--platform", LAMBDA_PLATFORM, "--implementation", "cp",
            "--python-version", LAMBDA_PYTHON, "--only-binary=:all:",
            *layer_requirements(root),
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise PackageError(
                "pip could not install the layer's dependencies for the Lambda platform "
                f"(use --no-deps to pack cl3_common alone):\n{done.stderr.strip()}"
            )
        shutil.rmtree(python_dir / "bin", ignore_errors=True)
    zip_path = out_dir / "layer-common.zip"
    _zip_dir(staging, zip_path)
    shutil.rmtree(staging, ignore_errors=True)
    return zip_path


def _zip_dir(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(src).as_posix(), date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def chalice_terraform(root: Path, tf_dir: Path, *, stage: str) -> Path:
    shutil.rmtree(tf_dir, ignore_errors=True)
    tf_dir.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION") or "us-east-1")
    cmd = [
        sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
        "package", "--pkg-format", "terraform", "--stage", stage, str(tf_dir),
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=root / "functions", env=env, capture_output=True, text=True)
    tf_json = tf_dir / "chalice.tf.json"
    if done.returncode != 0 or not tf_json.is_file():
        raise PackageError(f"chalice package failed:\n{(done.stderr or done.stdout).strip()}")
    return tf_json


def add_layer(tf: dict[str, Any], layer_file: str, *, stage: str) -> dict[str, Any]:
    """Adds the layer, the variables and the SSM read policy to Chalice's Terraform JSON."""
    resources = tf.setdefault("resource", {})
    functions: dict[str, Any] = resources.get("aws_lambda_function", {})
    runtimes = sorted({str(f.get("runtime", f"python{LAMBDA_PYTHON}")) for f in functions.values()})
    path = f"${{path.module}}/{layer_file}"
    resources.setdefault("aws_lambda_layer_version", {})[LAYER_RESOURCE] = {
        "layer_name": f"cl3-{stage}-common",
        "description": "cl3_common and the handler-side dependencies",
        "filename": path,
        "source_code_hash": f'${{filebase64sha256("{path}")}}',
        "compatible_runtimes": runtimes,
        "compatible_architectures": ["x86_64"],
    }
    tf.setdefault("variable", {}).update(
        {
            "redis_url": {"type": "string", "description": "REDIS_URL of the functions"},
            "ssm_prefix": {
                "type": "string",
                "default": f"/cl3/{stage}",
                "description": "SSM path holding SUPABASE_JWT_SECRET, SUPABASE_SERVICE_KEY, "
                "MONGODB_URI",
            },
            "supabase_url": {"type": "string", "default": ""},
        }
    )
    for fn in functions.values():
        _use_layer(fn)
    _allow_ssm_reads(resources, functions)
    return tf


def _use_layer(fn: dict[str, Any]) -> None:
    """A function with the layer and the environment it reads its settings from."""
    fn["layers"] = [
        *fn.get("layers", []),
        f"${{aws_lambda_layer_version.{LAYER_RESOURCE}.arn}}",
    ]
    variables = fn.setdefault("environment", {}).setdefault("variables", {})
    variables.update(
        REDIS_URL="${var.redis_url}",
        SSM_PREFIX="${var.ssm_prefix}",
        SUPABASE_URL="${var.supabase_url}",
    )


def _allow_ssm_reads(resources: dict[str, Any], functions: dict[str, Any]) -> None:
    """Every function's role may read (and decrypt) the parameters under the SSM prefix."""
    roles = sorted(
        {
            m.group(1)
            for f in functions.values()
            if (m := re.match(r"\$\{aws_iam_role\.([^.]+)\.arn\}", str(f.get("role", ""))))
        }
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": "arn:*:ssm:*:*:parameter${var.ssm_prefix}/*",
            },
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"},
        ],
    }
    policies = resources.setdefault("aws_iam_role_policy", {})
    for role in roles:
        policies[f"{role}-ssm"] = {
            "name": f"{role}-ssm-read",
            "role": f"${{aws_iam_role.{role}.id}}",
            "policy": json.dumps(policy),
        }


def package(
    root: Path, out_dir: Path, *, with_deps: bool = True, stage: str = "dev"
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    layer = build_layer(root, out_dir, with_deps=with_deps)
    tf_dir = out_dir / "terraform"
    tf_json = chalice_terraform(root, tf_dir, stage=stage)
    shutil.copy2(layer, tf_dir / layer.name)  # the terraform directory is self-contained
    tf = add_layer(json.loads(tf_json.read_text()), layer.name, stage=stage)
    tf_json.write_text(json.dumps(tf, indent=2) + "\n")
    return {"layer": layer, "terraform": tf_json}


def cmd_package(args: argparse.Namespace) -> int:
    root = find_root()
    out_dir = Path(args.out).resolve() if args.out else root / "infra" / "out"
    try:
        built = package(root, out_dir, with_deps=not args.no_deps, stage=args.stage)
    except PackageError as e:
        print(f"cl3 package: {e}", file=sys.stderr)
        return 1
    for what, path in built.items():
        print(f"{what}: {path}")
    return 0
