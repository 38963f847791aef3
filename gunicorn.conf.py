"""gunicorn settings for `make run` and the Docker image, from the same environment variables as the app."""
import glob
import os
import shutil
import sys
import tempfile

from config import WORKER_TIMEOUT_SECONDS, ConfigurationInvalid, from_environment

try:
    _settings = from_environment()
except ConfigurationInvalid as error:
    sys.exit(f"provisioning: configuration: {error}")

# Workers' heartbeat files, and the metrics folder, in memory where there is one: a disk-backed /tmp can stall them
# (gunicorn's documentation on worker_tmp_dir).
_shared_memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
worker_tmp_dir = _shared_memory

# A folder made for this start's metrics, removed when gunicorn exits; None when PROMETHEUS_MULTIPROC_DIR is given.
_own_metrics_dir = None
if _settings["METRICS"] == "on":
    # prometheus_client's multiprocess mode: each worker writes its metrics to files in this folder, and a
    # scrape sums them. It must be set before prometheus_client is first imported, here in the master.
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        _own_metrics_dir = tempfile.mkdtemp(prefix="provisioning-metrics-", dir=_shared_memory)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    for _stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(_stale)

# The database servers' state the workers logged last, so that a change is logged once, not once per worker.
_state_dir = tempfile.mkdtemp(prefix="provisioning-state-", dir=_shared_memory)
os.environ["DATABASE_STATE_FILE"] = os.path.join(_state_dir, "database-state.json")

import threading  # noqa: E402

from gunicorn import glogging  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from pymongo.errors import PyMongoError  # noqa: E402

from app import logs  # noqa: E402  (after the checks above)
from app.adapters import upgrade  # noqa: E402
from app.web import listeners, metrics  # noqa: E402

bind = f"{_settings['HOST']}:{_settings['PORT']}"
# Sync workers, as many as config.default_workers says (four per CPU: `make bench-workers`, docs/workers.md), against
# gthread 2x4 and 4x2 measured with `make bench` on 2 cores (docs/performance.md): gthread's p99 reached 4-10x its
# p50 at 32 clients, because keep-alive connections stay on the worker that accepted them and some workers queue
# while others idle; sync workers take each request from the shared
# listen queue, so p99 stayed within 1.1-1.8x p50. Each thread that hashes holds 19 MiB, so sync workers
# also need half the memory (59 against 117 MiB). Sync workers want a buffering proxy in front of slow clients:
# deploy/nginx, which docker-compose.yml puts in front.
workers = _settings["WEB_CONCURRENCY"]
threads = _settings["THREADS"]
# The kernel's queue of connections no worker has taken yet (gunicorn's default: 2048). A request waits there for
# every request ahead of it: 2048 of them at the slowest endpoints' 75 a second on 2 cores (argon2, docs/performance.md)
# is half a minute, long after clients gave up, and they would all be served anyway. 16 a worker holds a burst of 64
# for 4 workers (a reseller's batch, nginx's burst) and a wait under a second at that rate; when it is full, the
# kernel drops new connections until there is room again, and nginx answers them 503 status 98 once its
# proxy_connect_timeout passes (deploy/nginx), without a worker spending anything on them.
backlog = 16 * workers
# gunicorn's sync (or, with threads, gthread) worker, answering what gunicorn refuses itself in the contract's JSON.
worker_class = f"app.web.workers.{'JsonErrorThreadWorker' if threads > 1 else 'JsonErrorSyncWorker'}"
# No preload: each worker builds the app, and so its MongoClient, after the fork (pymongo is not fork-safe).
preload_app = False
timeout = WORKER_TIMEOUT_SECONDS
# SIGTERM lets requests in flight finish for up to this long.
graceful_timeout = WORKER_TIMEOUT_SECONDS
# The control socket's default path is shared by every gunicorn of the user; this service does not use it.
control_socket_disable = True
# The app writes the access log itself, as structured lines with the request id and contract status.
accesslog = None


class QuietAccessLogger(glogging.Logger):
    """gunicorn's logger without its access line: with logconfig_dict set, gunicorn would format one per request
    (and drop it, its logger being held at WARNING), a measurable part of each request's CPU."""

    def access(self, resp, req, environ, request_time):
        pass


logger_class = QuietAccessLogger
logconfig_dict = logs.logging_config(logs.chosen_format(_settings["LOG_FORMAT"], _settings["DEPLOYMENT"], sys.stderr),
                                     _settings["LOG_LEVEL"])


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
    shutil.rmtree(_state_dir, ignore_errors=True)


def child_exit(server, worker):
    if _settings["METRICS"] == "on":
        metrics.forget_process(worker.pid)


def when_ready(server):
    # Answered by the master itself, never behind the workers' queue: the scrape, and health for the proxy and the
    # orchestrator (which must learn that the service is up while every worker is busy).
    if _settings["METRICS"] == "on" and _settings["METRICS_PORT"]:
        listeners.serve(_settings["HOST"], _settings["METRICS_PORT"], listeners.metrics_routes(), "metrics")
    if _settings["HEALTH_PORT"]:
        routes = listeners.health_routes(listeners.DatabaseHealth(_settings["MONGODB_URI"]),
                                         trusted_proxies=_settings["TRUSTED_PROXIES"],
                                         retry_after=_settings["RETRY_AFTER_SECONDS"])
        listeners.serve(_settings["HOST"], _settings["HEALTH_PORT"], routes, "health")
    # Indexes are created and changed by `db upgrade`, never at start-up (a long build would outlast the workers'
    # timeout); the service only checks them, in the background, and logs what differs.
    threading.Thread(target=check_database, name="index-check", daemon=True).start()


def check_database():
    client = MongoClient(_settings["MONGODB_URI"], serverSelectionTimeoutMS=_settings["MONGODB_TIMEOUT_MS"])
    try:
        upgrade.check(client.get_default_database("provisioning"))
    except PyMongoError as error:
        logs.events.warning("could not check the database's indexes", extra={"error": str(error)[:200]})
    finally:
        client.close()


def post_worker_init(worker):
    logs.events.info("service started", extra={"deployment": _settings["DEPLOYMENT"]})
