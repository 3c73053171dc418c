"""Start JupyterHub 5.5.1 on 127.0.0.1 with a seeded state, for examples/jupyterhub.

The hub runs from its own virtualenv (examples/README.md), with SQLite and a cookie secret
in a work folder, the dummy authenticator, and no proxy process: a proxy class that keeps
no routes stands in for configurable-http-proxy, since nothing here spawns a server.  The
only token in the configuration belongs to a bootstrap service, ``conformance-seed``; with
it, serve.py creates through the REST API the user ``alice``, the group ``staff`` and the
admin token the suite runs with (JupyterHub's own API, as an administrator would).

``python examples/jupyterhub/serve.py WORKDIR`` starts it by hand and waits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Server, free_port, http, main_serve, new_token, venv_python, write_candidate

NAME = "jupyterhub"
TOKEN_ENV = "JUPYTERHUB_CONFORMANCE_TOKEN"  # noqa: S105 - the variable's name, not a secret
STANDARD = "org.jupyter.hub-api@5.5.1"
CONFIG = """
import os
from jupyterhub.proxy import Proxy


class NoProxy(Proxy):
    # No configurable-http-proxy process: nothing is spawned, so no route is needed.
    should_start = False

    async def start(self):
        pass

    async def stop(self):
        pass

    async def add_route(self, routespec, target, data):
        pass

    async def delete_route(self, routespec):
        pass

    async def get_all_routes(self):
        return {{}}


c = get_config()  # noqa: F821
c.JupyterHub.proxy_class = NoProxy
c.JupyterHub.bind_url = "http://127.0.0.1:{public_port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.db_url = "sqlite:///" + os.path.join(os.getcwd(), "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(os.getcwd(), "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(os.getcwd(), "jupyterhub.pid")
c.JupyterHub.last_activity_interval = 3600
c.JupyterHub.services = [{{"name": "conformance-seed", "api_token": os.environ["SEED_TOKEN"]}}]
c.JupyterHub.load_roles = [
    {{
        "name": "conformance-seed",
        "scopes": ["admin:users", "admin:groups", "tokens", "read:hub"],
        "services": ["conformance-seed"],
    }}
]
c.Authenticator.admin_users = {{"admin"}}
"""


def start(workdir: Path) -> Server:
    """Start the hub in ``workdir`` (fresh state), seed it, write candidate.yaml there."""
    python = venv_python(NAME)
    hub_port = free_port()
    seed_token = new_token()
    (workdir / "jupyterhub_config.py").write_text(
        CONFIG.format(public_port=free_port(), hub_port=hub_port), encoding="utf-8"
    )
    api = f"http://127.0.0.1:{hub_port}/hub/api"
    server = Server(NAME, api, "", workdir)
    server.start(
        [str(python), "-m", "jupyterhub", "-f", "jupyterhub_config.py", "--no-ssl"],
        f"{api}/",
        env={"SEED_TOKEN": seed_token},
    )
    try:
        _seed(server, seed_token)
    except Exception:
        server.stop()
        raise
    return server


def _call(server: Server, method: str, path: str, token: str, body: object = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, answer = http(method, server.base_url + path, data, headers)
    if status >= 300:
        raise RuntimeError(f"seeding {method} {path} got {status}: {answer[:300]!r}")
    return json.loads(answer) if answer else None


def _seed(server: Server, seed_token: str) -> None:
    _call(server, "POST", "/users/alice", seed_token)
    _call(server, "POST", "/groups/staff", seed_token)
    _call(server, "POST", "/groups/staff/users", seed_token, {"users": ["alice"]})
    scopes = [
        "admin:users",
        "admin:groups",
        "tokens",
        "read:hub",
        "list:services",
        "read:services",
        "proxy",
    ]
    created = _call(
        server,
        "POST",
        "/users/admin/tokens",
        seed_token,
        {"note": "gov-conformance run", "scopes": scopes, "expires_in": 7200},
    )
    assert isinstance(created, dict)
    server.token = str(created["token"])
    identity = {"vendor": "Project Jupyter", "system": "jupyterhub", "version": "5.5.1"}
    write_candidate(server, identity, TOKEN_ENV, STANDARD)


if __name__ == "__main__":
    raise SystemExit(main_serve(start))
