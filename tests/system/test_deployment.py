"""What can be checked of the image and the compose stack without a Docker engine."""
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.support import servers

ROOT = Path(__file__).parent.parent.parent


def tool(name):
    return servers.tool(name, "apt-get install docker-compose; hadolint comes with make install")


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = subprocess.run([tool("hadolint"), "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# What README.md tells a user to run before `docker compose up -d`, and nothing else.
README_SETUP = ["cp .env.example .env",
                'sed -i "s/^IDEMPOTENCY_SECRET=.*/IDEMPOTENCY_SECRET=$(openssl rand -hex 32)/" .env',
                'sed -i "s/^WEBHOOK_SECRETS_KEY=.*/WEBHOOK_SECRETS_KEY=$(openssl rand -hex 32)/" .env']


def test_the_compose_file_is_valid_with_only_what_the_readme_says_to_set(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert all(line in readme for line in README_SETUP)
    for name in ("docker-compose.yml", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    env = {key: value for key, value in os.environ.items()
           if key not in ("IDEMPOTENCY_SECRET", "WEBHOOK_SECRETS_KEY", "WEB_CONCURRENCY")}
    for line in README_SETUP:
        subprocess.run(line, shell=True, cwd=tmp_path, check=True, env=env)
    result = subprocess.run([tool("docker-compose"), "-f", "docker-compose.yml", "config", "-q"], cwd=tmp_path,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


def test_the_compose_file_says_what_is_missing_when_nothing_was_set(tmp_path):
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    env = {key: value for key, value in os.environ.items() if key != "IDEMPOTENCY_SECRET"}
    result = subprocess.run([tool("docker-compose"), "-f", "docker-compose.yml", "config", "-q"], cwd=tmp_path,
                            capture_output=True, text=True, env=env)
    assert result.returncode != 0 and ".env.example" in result.stderr


def test_the_indexes_are_made_before_the_service_starts_in_the_compose_stack():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["migrate"]["command"] == ["provisioning", "db", "upgrade"]
    assert services["provisioning"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_compose_stack_runs_the_events_relay_after_the_indexes_are_made():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["relay"]["command"] == ["provisioning", "events", "relay"]
    assert services["relay"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_compose_stack_reaches_the_service_only_through_the_shipped_nginx():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]
    assert "./deploy/nginx/templates:/etc/nginx/templates:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["environment"]["UPSTREAM"] == "provisioning:8080"
    assert services["provisioning"]["environment"]["TRUSTED_PROXIES"] == "1"


def test_the_compose_stack_serves_metrics_on_a_port_of_their_own_never_through_nginx():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    service = services["provisioning"]
    metrics_port = service["environment"]["METRICS_PORT"]
    assert metrics_port and metrics_port != "8080"
    assert metrics_port in service["expose"] and "ports" not in service
    # nginx answers everything outside /services/rest/ itself (tests/system/test_proxy.py), /metrics included.
    assert "location /services/rest/ {" in servers.TEMPLATE.read_text()
    assert services["nginx"]["ports"] == ["8080:8080"]


def test_health_in_the_compose_stack_is_answered_by_gunicorns_master_for_nginx_and_the_health_check():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    service = services["provisioning"]
    health_port = service["environment"]["HEALTH_PORT"]
    assert health_port in service["expose"]
    assert services["nginx"]["environment"]["HEALTH_UPSTREAM"] == f"provisioning:{health_port}"
    assert f"127.0.0.1:{health_port}/services/rest/health" in " ".join(service["healthcheck"]["test"])


def test_the_compose_stack_gives_nginx_the_rate_limit_defaults_the_template_states():
    environment = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["nginx"]["environment"]
    defaults = servers.template_defaults()
    assert set(defaults) == {"RATE_PER_ADDRESS", "BURST_PER_ADDRESS"}
    assert {name: environment[name] for name in defaults} == {name: f"${{{name}:-{value}}}" for name, value in
                                                              defaults.items()}


def test_the_image_runs_gunicorn_as_a_non_root_user_in_production_mode_with_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line and not line.startswith(("#", " "))]
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].strip() not in ("root", "0")
    assert "DEPLOYMENT=production" in dockerfile
    assert any(keyword == "HEALTHCHECK" for keyword, _ in instructions)
    assert '"gunicorn", "--config", "gunicorn.conf.py"' in dockerfile


def test_the_image_has_the_provisioning_command_and_the_compose_stack_uses_it():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --disable-pip-version-check --no-deps ." in dockerfile
    assert "pyproject.toml" in dockerfile


def test_the_image_installs_no_development_dependency():
    production = (ROOT / "requirements.txt").read_text().lower()
    assert "secantus" not in production and "pytest" not in production
    assert "requirements-dev" not in (ROOT / "Dockerfile").read_text()
