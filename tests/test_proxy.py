"""A real nginx with deploy/nginx/meihao.conf in front of two real web nodes: TLS, both nodes answer,
/metrics kept inside, the client's address reaches the node, a killed node is passed over.

The proxy's configuration is the shipped file with only what must differ on a test machine
replaced (upstream ports, listen ports, certificate paths); every header, location and retry
rule is the one operators install, so this test fails when the shipped proxy behaviour breaks.
deploy/nginx/compose.conf gets the same /metrics checks.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

from meihao.testing import _TEST_DATA_KEY
from tests.cluster.local import MEIHAO, ROOT, LocalCluster, Node, free_port

pytestmark = pytest.mark.meihao_db("postgresql")

NGINX_DIR = ROOT / "deploy" / "nginx"
#: The address the shipped systemd unit tells the web nodes to trust X-Forwarded-For from.
TRUSTED_PROXIES = re.search(
    r"^Environment=MEIHAO_TRUSTED_PROXIES=(\S+)$", (ROOT / "deploy" / "systemd" / "meihao-web@.service").read_text(), re.MULTILINE
).group(1)
#: The test client connects from a second loopback address, so the proxy (127.0.0.1) and the client differ.
CLIENT = "127.0.0.2"
#: /metrics as a client may spell it: the nodes answer a trailing slash, an encoded one, doubled slashes.
METRICS_PATHS = ("/metrics", "/metrics?name=meihao_info", "/metrics/", "/metrics%2F", "/metrics%2F%2F", "//metrics", "/metrics//", "/metrics/.")
PASSWORD = "correct horse battery"


def _nginx() -> str:
    """The nginx command; without one the test skips, or under CI=true fails (as a missing PostgreSQL does)."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found:
        return found
    message = "nginx is not installed (apt-get install nginx-light; .ci/run does it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true: the proxy test must run, but {message}", pytrace=False)
    pytest.skip(message)


def _certificate(directory: Path, server_name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``server_name`` and 127.0.0.1, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name), x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def _replace(text: str, pattern: str, replacement: Any, count: int) -> str:
    """re.subn that insists the shipped file still has exactly ``count`` of what the test replaces."""
    replaced, found = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert found == count, f"expected {count} match(es) of {pattern!r} in the shipped proxy configuration, found {found}"
    return replaced


def _test_config(shipped: str, upstreams: list[int], listens: dict[str, int], certificate: tuple[Path, Path] | None = None) -> str:
    """The shipped server configuration with the upstream's servers on ``upstreams`` and each
    ``listen <port>`` on 127.0.0.1:``listens[port]``; nothing else changes."""
    ports = iter(upstreams)
    text = _replace(shipped, r"^(\s*server )\S+(?= )", lambda m: f"{m.group(1)}127.0.0.1:{next(ports)}", len(upstreams))
    for shipped_port, port in listens.items():
        text = _replace(text, rf"^(\s*listen ){shipped_port}\b", rf"\g<1>127.0.0.1:{port}", 1)
    if certificate:
        text = _replace(text, r"^(\s*ssl_certificate\s+)\S+;", rf"\g<1>{certificate[0]};", 1)
        text = _replace(text, r"^(\s*ssl_certificate_key\s+)\S+;", rf"\g<1>{certificate[1]};", 1)
    return text


@contextmanager
def _running_nginx(directory: Path, site: str, ports: list[int]) -> Iterator[Path]:
    """nginx in the foreground as a process of the test's own, with ``site`` as its only server
    configuration (included in ``http {}`` like /etc/nginx/conf.d/*.conf); stopped on leaving."""
    nginx = _nginx()
    directory.mkdir(parents=True)
    (directory / "site.conf").write_text(site)
    temp = "\n".join(f"    {kind}_temp_path {directory}/{kind}_temp;" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (directory / "nginx.conf").write_text(
        f"worker_processes 1;\nerror_log {directory}/error.log;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    access_log {directory}/access.log;\n{temp}\n    include {directory}/site.conf;\n}}\n"
    )
    command = [nginx, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", "stderr",
               "-g", f"daemon off; pid {directory}/nginx.pid;"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"nginx -t refuses the configuration:\n{checked.stderr}\n{site}"
    output = (directory / "nginx.out").open("w")
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for port in ports:
            for _ in range(100):  # bounded: 10 s
                assert process.poll() is None, f"nginx exited:\n{(directory / 'nginx.out').read_text()}"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise AssertionError(f"nginx does not listen on {port} after 10 s:\n{(directory / 'nginx.out').read_text()}")
        yield directory
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        output.close()


class Client:
    """HTTP(S) requests from ``CLIENT`` with the Host the shipped configuration names."""

    def __init__(self, host: str, cafile: Path) -> None:
        self.host = host
        self.cafile = cafile
        self.tls = ssl.create_default_context(cafile=str(cafile))

    def request(self, port: int, path: str, *, tls: bool = True, body: dict | None = None, token: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        if tls:
            connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=15, source_address=(CLIENT, 0), context=self.tls)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(CLIENT, 0))
        sent = {"Host": self.host, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            sent["Content-Type"] = "application/json"
        try:
            connection.request("POST" if body is not None else "GET", path, json.dumps(body) if body is not None else None, sent)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
        finally:
            connection.close()


def _direct(port: int, path: str, body: dict | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """A request straight to a node, from ``CLIENT``, bypassing the proxy."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(CLIENT, 0))
    try:
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if body is not None else {})}
        connection.request("POST" if body is not None else "GET", path, json.dumps(body) if body is not None else None, sent)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _login_addresses(client: Client, port: int, token: str) -> list[str]:
    """The addresses of the audit log's logins, newest first."""
    status, _, body = client.request(port, "/api/audit?action=auth.login", token=token)
    assert status == 200, body
    return [row["address"] for row in json.loads(body)["items"]]


def test_nginx_with_the_shipped_configuration_serves_two_web_nodes(meihao_db_backend, tmp_path):
    _nginx()  # skip (or, under CI, fail) before starting a cluster
    shipped = (NGINX_DIR / "meihao.conf").read_text()
    server_name = re.search(r"^\s*server_name (\S+);", shipped, re.MULTILINE).group(1)
    certificate = _certificate(tmp_path, server_name)
    client = Client(server_name, certificate[0])

    url = meihao_db_backend.new_database()  # empty; the cluster script migrates it
    cluster = LocalCluster(url, tmp_path / "cluster", ("web", "web"), {"MEIHAO_TRUSTED_PROXIES": TRUSTED_PROXIES})
    nodes = {n.node_id: n for n in cluster.nodes}
    http_port, https_port, compose_port = free_port(), free_port(), free_port()
    site = _test_config(shipped, [n.port for n in cluster.nodes], {"80": http_port, "443": https_port}, certificate)
    compose_site = _test_config((NGINX_DIR / "compose.conf").read_text(), [n.port for n in cluster.nodes], {"80": compose_port})
    try:
        cluster.start(_TEST_DATA_KEY)
        made = subprocess.run(
            [MEIHAO, "user", "create", "chief", "--name", "街道管理员", "--role", "street_admin", "--password", PASSWORD],
            env={**cluster.environment, "MEIHAO_DATABASE_URL": url, "MEIHAO_DATA_KEY": _TEST_DATA_KEY, "MEIHAO_MODE": "production"},
            capture_output=True, text=True, timeout=60,
        )
        assert made.returncode == 0, made.stderr
        with _running_nginx(tmp_path / "nginx", site, [http_port, https_port]) as nginx_dir:
            try:
                _through_the_proxy(client, cluster, nodes, http_port, https_port)
            except AssertionError as err:
                raise AssertionError(f"{err}\n--- nginx ---\n{(nginx_dir / 'nginx.out').read_text()[-3000:]}"
                                     f"{(nginx_dir / 'error.log').read_text()[-3000:]}\n{cluster.logs()}") from err
        # compose.conf, in front of the same nodes (one of them killed by now): /metrics stays inside there too.
        with _running_nginx(tmp_path / "nginx-compose", compose_site, [compose_port]):
            for path in METRICS_PATHS:
                status, _, body = client.request(compose_port, path, tls=False)
                assert status == 404, f"compose.conf passes {path} to a node: {status} {body[:200]}"
            status, _, body = client.request(compose_port, "/health", tls=False)
            assert status == 200 and json.loads(body)["node"] in nodes, body
    finally:
        stopped = cluster.stop()
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def _through_the_proxy(client: Client, cluster: LocalCluster, nodes: dict[str, Node], http_port: int, https_port: int) -> None:
    """Every check of meihao.conf's behaviour; kills the first node at the end."""
    # TLS with the configured certificate, and HTTP/2 offered (the listen line's http2).
    alpn = ssl.create_default_context(cafile=str(client.cafile))
    alpn.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", https_port), timeout=10) as raw, alpn.wrap_socket(raw, server_hostname=client.host) as tls:
        assert tls.selected_alpn_protocol() == "h2"

    # Both nodes answer /health through the proxy (round robin).
    answered = []
    for _ in range(8):
        status, _, body = client.request(https_port, "/health")
        assert status == 200, body
        answer = json.loads(body)
        assert answer["status"] == "ok" and answer["role"] == "web", answer
        answered.append(answer["node"])
    assert set(answered) == set(nodes), answered

    # Plain HTTP is sent to HTTPS, path and query kept.
    status, headers, _ = client.request(http_port, "/api/communities?page=2", tls=False)
    assert status == 301 and headers["location"] == f"https://{client.host}/api/communities?page=2", (status, headers)

    # /metrics, however spelt, stays inside; each node serves it directly.
    for path in METRICS_PATHS:
        status, _, body = client.request(https_port, path)
        assert status == 404 and "meihao_info" not in body, f"the proxy passes {path} to a node: {status} {body[:200]}"
    for node in cluster.nodes:
        for path in ("/metrics", "/metrics/", "/metrics%2F"):
            status, body = _direct(node.port, path)
            assert status == 200 and "meihao_info{" in body, (node.name, path, status, body[:200])

    # A login through the proxy works, and the node records the client's address, not the
    # proxy's: it trusts X-Forwarded-For from the proxy's address (MEIHAO_TRUSTED_PROXIES) only.
    # A forged X-Forwarded-For from the client changes nothing: nginx appends the real address.
    # (X-Forwarded-Proto is not observable: meihao builds its links from MEIHAO_PUBLIC_URL.)
    credentials = {"username": "chief", "password": PASSWORD}
    status, _, body = client.request(https_port, "/api/auth/login", body=credentials, headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 200, body
    token = json.loads(body)["token"]
    assert _login_addresses(client, https_port, token) == [CLIENT]
    # The same header sent to a node directly, from an address it does not trust, is ignored.
    status, body = _direct(cluster.nodes[0].port, "/api/auth/login", credentials, headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 200, body
    assert _login_addresses(client, https_port, token) == [CLIENT, CLIENT]

    # One web node dies: every request through the proxy still answers, from the other one.
    victim, survivor = cluster.nodes
    cluster.kill(victim, signal.SIGKILL)
    for _ in range(50):  # bounded: 5 s for the kernel to close the dead node's port
        if not cluster.alive(victim):
            break
        time.sleep(0.1)
    assert not cluster.alive(victim)
    for _ in range(10):
        status, _, body = client.request(https_port, "/health")
        assert status == 200 and json.loads(body)["node"] == survivor.node_id, (status, body)
        status, _, body = client.request(https_port, "/api/communities", token=token)
        assert status == 200, (status, body)
    status, _, body = client.request(https_port, "/api/auth/login", body=credentials)
    assert status == 200, (status, body)
