"""Start Matrix Synapse on 127.0.0.1 with a seeded state, for examples/matrix-synapse.

Synapse runs from its own virtualenv (examples/README.md) with SQLite and a configuration
it generates itself in a work folder, then narrowed for a closed test bed: one client
listener on a loopback port, no federation (no domain allowed, every outbound address
blocked, no key servers), no presence, rate limits far above what a run sends, and the
published room directory readable without a token, as the specification describes it.
The user ``@alice:localhost`` is registered with Synapse's own admin tool
(register_new_matrix_user, shared secret); the rest goes through the client API with
alice's token: her display name, a public room with the alias ``#conformance:localhost``
and a filter (id ``0``).

``python examples/matrix-synapse/serve.py WORKDIR`` starts it by hand and waits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Server, free_port, http, main_serve, new_token, venv_python, write_candidate

NAME = "matrix-synapse"
TOKEN_ENV = "MATRIX_CONFORMANCE_TOKEN"  # noqa: S105 - the variable's name, not a secret
STANDARD = "org.matrix.client-server@1.15.0"
SERVER_NAME = "localhost"
FAR = {"per_second": 10000, "burst_count": 100000}


def _configure(python: Path, workdir: Path, port: int) -> Path:
    config = workdir / "homeserver.yaml"
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            SERVER_NAME,
            "--config-path",
            str(config),
            "--data-directory",
            str(workdir),
            "--generate-config",
            "--report-stats=no",
        ],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.update(
        {
            "listeners": [
                {
                    "port": port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "ip_range_blacklist": ["0.0.0.0/0", "::/0"],
            "presence": {"enabled": False},
            "enable_registration": False,
            "allow_public_rooms_without_auth": True,
            "url_preview_enabled": False,
            "rc_message": FAR,
            "rc_registration": FAR,
            "rc_room_creation": FAR,
            "rc_joins": {"local": FAR, "remote": FAR},
            "rc_login": {"address": FAR, "account": FAR, "failed_attempts": FAR},
            "rc_admin_redaction": FAR,
            "rc_invites": {"per_room": FAR, "per_user": FAR, "per_issuer": FAR},
        }
    )
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def start(workdir: Path) -> Server:
    """Start Synapse in ``workdir`` (fresh state), seed it, write candidate.yaml there."""
    python = venv_python(NAME)
    port = free_port()
    config = _configure(python, workdir, port)
    base = f"http://127.0.0.1:{port}/_matrix/client"
    server = Server(NAME, base, "", workdir)
    server.start(
        [str(python), "-m", "synapse.app.homeserver", "-c", str(config)], f"{base}/versions"
    )
    try:
        _seed(server, python, config)
    except Exception:
        server.stop()
        raise
    return server


def _call(server: Server, method: str, path: str, body: object = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if server.token:
        headers["Authorization"] = f"Bearer {server.token}"
    status, answer = http(method, server.base_url + path, data, headers)
    if status >= 300:
        raise RuntimeError(f"seeding {method} {path} got {status}: {answer[:300]!r}")
    result: dict[str, object] = json.loads(answer) if answer else {}
    return result


def _seed(server: Server, python: Path, config: Path) -> None:
    password = new_token()
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse._scripts.register_new_matrix_user",
            "-u",
            "alice",
            "-p",
            password,
            "--no-admin",
            "-c",
            str(config),
            server.base_url.rsplit("/_matrix", 1)[0],
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    login = _call(
        server,
        "POST",
        "/v3/login",
        {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": "alice"},
            "password": password,
            "device_id": "CONFORMANCE",
        },
    )
    server.token = str(login["access_token"])
    _call(server, "PUT", "/v3/profile/@alice:localhost/displayname", {"displayname": "Alice"})
    room = _call(
        server,
        "POST",
        "/v3/createRoom",
        {"room_alias_name": "conformance", "preset": "public_chat", "visibility": "public"},
    )
    server.facts["room_id"] = room["room_id"]
    made = _call(server, "POST", "/v3/user/@alice:localhost/filter", {"event_format": "client"})
    if made.get("filter_id") != "0":
        raise RuntimeError(
            f"the first filter's id is {made.get('filter_id')!r}, the standard says '0'"
        )
    identity = {"vendor": "Element / matrix.org", "system": "synapse", "version": "1.163.2"}
    write_candidate(server, identity, TOKEN_ENV, STANDARD)


if __name__ == "__main__":
    raise SystemExit(main_serve(start))
