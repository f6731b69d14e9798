"""What a command starts from: the settings, with the demo's when the data directory holds the demo
data set, and, for the commands that listen, a port that is free before anything is loaded."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

from services.settings import Settings

# `counterparty demo` writes the settings its data set needs (the manual clock, its start, the demo
# admin key, the port) into the data directory, so every later command on that directory (`make
# serve` above all) runs with them instead of the system clock and no key.
DEMO_ENV = "demo.env"


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment, ``.env`` and, when present, ``<data dir>/demo.env``.
    Environment variables win over both files, and demo.env over ``.env``. Overrides that are
    None (an option left out) are dropped."""
    given = {k: v for k, v in overrides.items() if v is not None}
    settings = Settings(**given)
    demo_env = demo_env_path(settings)
    if demo_env.is_file():
        settings = Settings(_env_file=(".env", demo_env), **given)  # type: ignore[call-arg]
    return settings


def demo_env_path(settings: Settings) -> Path:
    return settings.data_dir / DEMO_ENV


def write_demo_env(settings: Settings, admin_key: str | None) -> Path:
    """Records the demo's settings in its data directory; the admin key only when it is the
    demo's own (a key of the user's stays out of files)."""
    lines = [
        "# Written by `counterparty demo`: every command on this data directory reads it.",
        "# Environment variables win over it; delete the directory to start again.",
        f"CPTY_CLOCK={settings.clock}",
    ]
    if settings.clock_start is not None:
        lines.append(f"CPTY_CLOCK_START={settings.clock_start.isoformat()}")
    if admin_key is not None:
        lines.append(f"CPTY_ADMIN_KEY={admin_key}")
    lines.append(f"CPTY_PORT={settings.port}")
    path = demo_env_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (None when it can), found by binding it the way
    uvicorn does, before minutes are spent loading what would then not be served."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot listen on {host}: {error.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None
