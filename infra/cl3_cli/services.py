"""Local Redis and MongoDB wire-protocol server, without Docker.

Redis is Debian's `redis-server` (installed with apt-get when missing and we are root).
MongoDB is a `mongod` on PATH when there is one, else FerretDB 1.24.2 on SQLite, built once
with the Go toolchain and cached under the project's `.cl3/` folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

FERRETDB_VERSION = "v1.24.2"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
Log = Callable[[str], None]


class ServiceError(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalServices:
    home: Path
    redis_port: int = 6379
    mongo_port: int = 27017
    tools_dir: Path | None = None  # where the FerretDB build is cached (default: home/tools)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def mongodb_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    @classmethod
    def from_urls(cls, home: Path, redis_url: str | None, mongodb_uri: str | None) -> LocalServices:
        redis_port = urlparse(redis_url).port if redis_url else None
        mongo_port = urlparse(mongodb_uri).port if mongodb_uri else None
        return cls(home, redis_port or 6379, mongo_port or 27017)

    # -- lifecycle --------------------------------------------------------------------------
    def up(self, log: Log = print, which: tuple[str, ...] = ("redis", "mongo")) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if "redis" not in which:
            pass
        elif port_open(self.redis_port):
            log(f"redis: already answering on 127.0.0.1:{self.redis_port}")
        else:
            self._start_redis()
            log(f"redis: started on 127.0.0.1:{self.redis_port}")
        if "mongo" not in which:
            pass
        elif port_open(self.mongo_port):
            log(f"mongodb: already answering on 127.0.0.1:{self.mongo_port}")
        else:
            kind = self._start_mongo(log)
            log(f"mongodb: {kind} started on 127.0.0.1:{self.mongo_port}")

    def down(self, log: Log = print, which: tuple[str, ...] = ("redis", "mongo")) -> None:
        for name in which:
            pidfile = self.home / "run" / f"{name}.pid"
            if not pidfile.exists():
                continue
            pid = int(pidfile.read_text().strip() or 0)
            pidfile.unlink(missing_ok=True)
            port = self.redis_port if name == "redis" else self.mongo_port
            # A stale pidfile may name a recycled pid: only stop our server on our port.
            if not _is_our_server(pid, port):
                log(f"{name}: not running (stale pid {pid})")
                continue
            _terminate(pid)
            log(f"{name}: stopped (pid {pid})")

    def status(self) -> dict[str, bool]:
        return {"redis": port_open(self.redis_port), "mongo": port_open(self.mongo_port)}

    # -- redis ------------------------------------------------------------------------------
    def _start_redis(self) -> None:
        binary = shutil.which("redis-server") or _apt_install("redis-server", "redis-server")
        data = self.home / "redis"
        data.mkdir(parents=True, exist_ok=True)
        proc = _spawn(
            [
                binary, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--dir", str(data), "--save", "", "--appendonly", "no",
                "--protected-mode", "yes", "--daemonize", "no",
            ],
            self.home / "logs" / "redis.log",
        )  # fmt: skip
        self._record("redis", proc.pid)
        _wait_for_port(self.redis_port, "redis", proc)

    # -- mongodb ----------------------------------------------------------------------------
    def _start_mongo(self, log: Log) -> str:
        mongod = shutil.which("mongod")
        data = self.home / "mongo"
        data.mkdir(parents=True, exist_ok=True)
        if mongod:
            cmd = [mongod, "--dbpath", str(data), "--port", str(self.mongo_port),
                   "--bind_ip", "127.0.0.1"]  # fmt: skip
            kind = "mongod"
        else:
            ferretdb = ensure_ferretdb(self.tools_dir or self.home / "tools", log)
            cmd = [
                str(ferretdb), "--handler=sqlite", f"--sqlite-url=file:{data}/",
                f"--listen-addr=127.0.0.1:{self.mongo_port}", f"--state-dir={data}",
                "--telemetry=disable", "--debug-addr=-", "--log-level=warn",
            ]  # fmt: skip
            kind = f"FerretDB {FERRETDB_VERSION} (SQLite)"
        proc = _spawn(cmd, self.home / "logs" / "mongo.log")
        self._record("mongo", proc.pid)
        _wait_for_port(self.mongo_port, "mongodb", proc)
        return kind

    def _record(self, name: str, pid: int) -> None:
        run = self.home / "run"
        run.mkdir(parents=True, exist_ok=True)
        (run / f"{name}.pid").write_text(str(pid))


def ensure_ferretdb(tools: Path, log: Log = print) -> Path:
    """Build FerretDB once with `go` (module proxy only) and cache the binary."""
    binary = tools / "bin" / "ferretdb"
    if binary.exists():
        return binary
    go = shutil.which("go") or (
        "/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None
    )
    if not go:
        raise ServiceError("no mongod on PATH and no Go toolchain to build FerretDB")
    log(f"mongodb: building FerretDB {FERRETDB_VERSION} with Go (once, ~3 minutes)...")
    build = tools / "ferretdb-build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}

    def go_run(*args: str) -> str:
        done = subprocess.run([go, *args], cwd=build, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ServiceError(f"go {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    go_run("mod", "init", "cl3.local/ferretdb-build")
    go_run("get", "-tool", f"{FERRETDB_MODULE}/cmd/ferretdb@{FERRETDB_VERSION}")
    # The module zip lacks build/version/version.txt (generated in FerretDB's own repo), and
    # the binary refuses to start without it: build from a copy that has it.
    module_dir = go_run("list", "-m", "-f", "{{.Dir}}", FERRETDB_MODULE).strip()
    source = build / "ferretdb-src"
    shutil.copytree(module_dir, source)
    for path in source.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)
    (source / "build" / "version" / "version.txt").write_text(FERRETDB_VERSION + "\n")
    go_run("mod", "edit", f"-replace={FERRETDB_MODULE}=./ferretdb-src")
    binary.parent.mkdir(parents=True, exist_ok=True)
    go_run("build", "-o", str(binary), f"{FERRETDB_MODULE}/cmd/ferretdb")
    shutil.rmtree(source, ignore_errors=True)
    return binary


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _apt_install(package: str, binary: str) -> str:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ServiceError(f"{binary} is not installed; install the {package} package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    found = shutil.which(binary)
    if not found:
        raise ServiceError(f"apt-get installed {package} but {binary} is not on PATH")
    return found


def _spawn(cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log_file:
        return subprocess.Popen(
            cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the `cl3 services up` command itself
        )  # fmt: skip


def _wait_for_port(
    port: int, name: str, proc: subprocess.Popen[bytes], timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if proc.poll() is not None:
            raise ServiceError(f"{name} exited with code {proc.returncode}; see its log")
        time.sleep(0.1)
    raise ServiceError(f"{name} did not open port {port} within {timeout_s:.0f}s")


def _is_our_server(pid: int, port: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    servers = ("redis-server", "ferretdb", "mongod")
    return any(name in cmdline for name in servers) and str(port) in cmdline


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
