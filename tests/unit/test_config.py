"""Configuration from the environment."""
import os
from pathlib import Path

import pytest

import config
from app import create_app


def test_the_production_argon2_defaults_meet_owasps_minimum():
    settings = config.from_environment({})
    assert settings["ARGON2_MEMORY_KIB"] >= 19 * 1024
    assert settings["ARGON2_TIME_COST"] >= 2
    assert settings["ARGON2_PARALLELISM"] >= 1


def test_the_hashes_made_with_the_defaults_are_argon2id_with_those_parameters():
    from app.adapters.passwords import Hasher

    settings = config.from_environment({})
    hasher = Hasher(
        time_cost=settings["ARGON2_TIME_COST"],
        memory_kib=settings["ARGON2_MEMORY_KIB"],
        parallelism=settings["ARGON2_PARALLELISM"],
    )
    assert hasher.hash("x").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_default_database_is_provisioning_on_loopback_without_retryable_writes():
    assert config.from_environment({})["MONGODB_URI"] == "mongodb://127.0.0.1:27017/provisioning?retryWrites=false"


def test_an_empty_variable_takes_the_default():
    assert config.from_environment({"PORT": ""})["PORT"] == 8080


@pytest.mark.parametrize("name", ["PORT", "MONGODB_TIMEOUT_MS", "ARGON2_TIME_COST", "DEFAULT_FREE_CREDITS"])
def test_a_number_that_is_not_one_names_its_variable(name):
    with pytest.raises(config.ConfigurationInvalid, match=name):
        config.from_environment({name: "lots"})


def test_an_unparseable_mongodb_uri_stops_the_app_with_one_line_naming_it():
    with pytest.raises(SystemExit, match=r"^provisioning: configuration: MONGODB_URI="):
        create_app({"MONGODB_URI": "http://not-mongodb"})


def test_every_bad_variable_is_reported_at_once():
    with pytest.raises(config.ConfigurationInvalid) as refused:
        config.from_environment({"PORT": "eighty", "LOG_FORMAT": "xml", "THREADS": "-1"})
    assert all(name in str(refused.value) for name in ("PORT", "LOG_FORMAT", "THREADS"))


def test_production_refuses_a_uri_that_turns_retryable_writes_off():
    environment = {"DEPLOYMENT": "production", "IDEMPOTENCY_SECRET": "s" * 32, "WEBHOOK_SECRETS_KEY": "w" * 32,
                   "MONGODB_URI": "mongodb://db1,db2/provisioning?replicaSet=rs0&retryWrites=false"}
    with pytest.raises(config.ConfigurationInvalid, match="retryWrites=false"):
        config.from_environment(environment)
    assert config.from_environment({**environment, "MONGODB_URI": "mongodb://db1,db2/provisioning?replicaSet=rs0"})


def test_production_requires_a_key_for_webhook_secrets_of_32_characters_or_more():
    environment = {"DEPLOYMENT": "production", "IDEMPOTENCY_SECRET": "s" * 32,
                   "MONGODB_URI": "mongodb://db1,db2/provisioning?replicaSet=rs0"}
    with pytest.raises(config.ConfigurationInvalid, match="WEBHOOK_SECRETS_KEY"):
        config.from_environment({**environment, "WEBHOOK_SECRETS_KEY": "w" * 31})
    assert config.from_environment({**environment, "WEBHOOK_SECRETS_KEY": "w" * 32})


def test_the_readme_lists_every_variable_with_its_default():
    with open(Path(__file__).parent.parent.parent / "README.md", encoding="utf-8") as readme:
        text = readme.read()
    for name, (default, _, _) in config.VARIABLES.items():
        shown = {"WEB_CONCURRENCY": "4 per usable CPU", "METRICS_PORT": "none", "HEALTH_PORT": "none",
                 "RELAY_METRICS_PORT": "none"}
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} has no row in README.md's table"
        assert row.split("|")[2].strip().strip("`") == shown.get(name, default), name


@pytest.mark.parametrize("ports", [{"PORT": "8080", "HEALTH_PORT": "8080"}, {"METRICS_PORT": "9100", "HEALTH_PORT": "9100"}])
def test_the_service_health_and_metrics_ports_must_differ(ports):
    with pytest.raises(config.ConfigurationInvalid, match="must differ"):
        config.from_environment(ports)


def test_a_per_address_limit_above_the_per_reseller_limit_is_refused():
    with pytest.raises(config.ConfigurationInvalid, match="THROTTLE_FAILURES"):
        config.from_environment({"THROTTLE_FAILURES": "200", "THROTTLE_RESELLER_FAILURES": "100"})


@pytest.mark.parametrize("timeout_ms, accepted", [("24999", True), ("25000", False), ("30000", False)])
def test_a_database_deadline_that_would_outlast_the_worker_timeout_is_refused(timeout_ms, accepted):
    if accepted:
        assert config.from_environment({"MONGODB_TIMEOUT_MS": timeout_ms})["MONGODB_TIMEOUT_MS"] == int(timeout_ms)
    else:
        with pytest.raises(config.ConfigurationInvalid, match="MONGODB_TIMEOUT_MS must be below 25000"):
            config.from_environment({"MONGODB_TIMEOUT_MS": timeout_ms})


@pytest.mark.parametrize("files, expected", [
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu.max": "150000 100000\n"}, 2),
    ({"cpu.max": "50000 100000\n"}, 1),
    ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_workers_are_counted_from_the_cpus_the_process_may_use_its_containers_quota_included(tmp_path, monkeypatch,
                                                                                          files, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    assert config.usable_cpus(str(tmp_path)) == (expected or 4)


@pytest.mark.parametrize("files, expected", [
    ({"memory.max": "max\n"}, None),
    ({"memory.max": "1073741824\n"}, 1024),
    ({"memory/memory.limit_in_bytes": "536870912\n"}, 512),
    ({"memory/memory.limit_in_bytes": "9223372036854771712\n"}, None),
    ({}, None),
])
def test_memory_is_the_containers_limit_else_the_machines(tmp_path, files, expected):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24576000 kB\nMemFree:        1000 kB\n")
    assert config.usable_memory_mib(str(tmp_path), str(meminfo)) == (expected or 24000)


@pytest.mark.parametrize("cpus, memory_mib, expected", [(2, 24000, 8), (1, 24000, 4), (8, 1024, 5), (2, 100, 1)])
def test_the_default_worker_count_is_per_cpu_bounded_by_memory(monkeypatch, cpus, memory_mib, expected):
    monkeypatch.setattr(config, "usable_cpus", lambda: cpus)
    monkeypatch.setattr(config, "usable_memory_mib", lambda: memory_mib)
    assert config.default_workers() == expected
