"""The shipped nginx site (deploy/nginx) served by a local nginx on loopback, in the foreground, with every file it
writes in one folder: for the tests and the benchmark."""
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

from scripts.embedded_db import answers, free_port

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "templates" / "default.conf.template"

# What the nginx image's own nginx.conf provides around the rendered site (its worker_connections among it), with every
# path in the folder, and a status page of its own to see the requests nginx holds.
MAIN_CONFIG = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr warn;
{user}
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/default.conf;
    server {{
        listen 127.0.0.1:{status_port};
        location / {{
            stub_status;
        }}
    }}
}}
"""


def rendered(template, **values):
    """The template as the nginx image renders it: each ${NAME} given a value replaced by it, the rest left alone."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values.get(match.group(1), match.group(0)), template)


def template_defaults():
    """The defaults the template's header comment gives its variables ("NAME  what it is (default N)")."""
    return dict(re.findall(r"^#\s+([A-Z_]+)\s.*\(default (\w+)\)$", TEMPLATE.read_text(), re.MULTILINE))


class LocalNginx:
    """nginx with the shipped site on a port of its own, passing to upstream_port on loopback and health to
    health_port; the template's defaults unless values say otherwise; everything it writes stays in folder."""

    def __init__(self, binary, folder, upstream_port, health_port=None, **values):
        self.binary = binary
        self.folder = Path(folder)
        self.upstream_port = upstream_port
        self.health_port = health_port or free_port()
        self.values = {**template_defaults(), **{name: str(value) for name, value in values.items()}}
        self.port = free_port()
        self.status_port = free_port()
        self.process = None

    def start(self, timeout=30):
        """Start nginx and return self once it answers; RuntimeError with its log when it does not."""
        # The resolver is never asked: the upstreams are addresses.
        site = rendered(TEMPLATE.read_text(), LISTEN=f"127.0.0.1:{self.port}",
                        UPSTREAM=f"127.0.0.1:{self.upstream_port}", HEALTH_UPSTREAM=f"127.0.0.1:{self.health_port}",
                        NGINX_LOCAL_RESOLVERS="127.0.0.1", **self.values)
        (self.folder / "default.conf").write_text(site)
        # Workers of a master started by root become nobody, who may not enter the folder.
        user = "user root;" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(
            MAIN_CONFIG.format(folder=self.folder, user=user, status_port=self.status_port))
        self.log_path = self.folder / "nginx.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "-p", f"{self.folder}/", "-c", str(self.folder / "nginx.conf"), "-e", "stderr"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not (answers("127.0.0.1", self.port) and answers("127.0.0.1", self.status_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"nginx did not start: {self.log()}")
            time.sleep(0.05)
        return self

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def log(self):
        return self.log_path.read_text()

    def writing(self):
        """The requests nginx has read the head of and not answered yet, its status page's own included."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.status_port}/", timeout=10) as response:
            return int(re.search(rb"Writing: (\d+)", response.read()).group(1))
