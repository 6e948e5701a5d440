"""`cited serve`: the chat and the REST API on one port.

Safe by default: it binds 127.0.0.1, and binding anywhere else needs credentials (CITED_AUTH=user:password,
used for the chat's login and HTTP Basic auth on /api/*) or an explicit `--no-auth`, which warns. A fresh
clone works at once: an empty index is filled from the articles folder before the server starts.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

from index.cli_options import EXIT_USER_ERROR, add_index_options
from index.settings import Settings

if TYPE_CHECKING:
    import uvicorn

STARTUP_TIMEOUT_S = 120.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cited serve",
        description="Serve the chat (at /) and the REST API (at /api, docs at /docs) on one port.",
    )
    parser.add_argument("--host", help="address to bind (default 127.0.0.1; CITED_HOST). Beyond loopback needs auth.")
    parser.add_argument("--port", type=int, help="port (default 7860; CITED_PORT)")
    parser.add_argument(
        "--no-auth", action="store_true", help="serve without a login even beyond loopback (prints a warning)"
    )
    add_index_options(parser)
    parser.add_argument("--no-warm", action="store_true", help="do not load the model before the first question")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    for key in ("host", "port", "index_dir", "chroma_url"):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    return Settings(**overrides)  # type: ignore[arg-type]


def check_auth(settings: Settings, no_auth: bool) -> str | None:
    """None if serving is allowed as configured, else the reason it is not."""
    from ui.api import parse_auth

    if no_auth:
        if not is_loopback(settings.host):
            print(
                f"WARNING: serving on {settings.host} WITHOUT authentication (--no-auth): anyone who can "
                "reach this port can use the chat and the API.",
                file=sys.stderr,
            )
        return None
    try:
        credentials = parse_auth(settings.auth)
    except ValueError as err:
        return str(err)
    if credentials is None and not is_loopback(settings.host):
        return (
            f"refusing to serve on {settings.host} without authentication. Set CITED_AUTH=user:password, "
            "or pass --no-auth if this network is trusted, or bind 127.0.0.1 (the default)."
        )
    return None


def ensure_index(settings: Settings) -> None:
    """Ingest the articles folder if nothing is indexed yet, so `cited serve` on a fresh clone just works."""
    from index.status import index_status

    if index_status(settings)["documents"]:
        return
    from index.ingest import ingest
    from index.readers import InputError

    if not settings.articles_dir.exists():
        raise InputError(
            f"the index is empty and the articles folder {settings.articles_dir} does not exist; "
            "run `cited ingest PATH` first or set CITED_ARTICLES_DIR."
        )
    print(f"The index is empty; ingesting {settings.articles_dir} first…", flush=True)
    report = ingest([settings.articles_dir], settings, progress=True)
    for skipped in report.skipped:
        print(f"skipped: {skipped}", file=sys.stderr)
    print(report.summary(), flush=True)


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    """`cited serve`: everything that would stop the server is checked first (exit 2 with the reason), then it
    serves until stopped."""
    args = build_parser().parse_args(argv)
    prepared = _prepare(args)
    if isinstance(prepared, str):
        print(f"error: {prepared}", file=sys.stderr)
        return EXIT_USER_ERROR
    return _run_server(prepared, use_auth=not args.no_auth, warm=not args.no_warm)


def _prepare(args: argparse.Namespace) -> Settings | str:
    """The settings to serve with, once everything that would stop the server has been checked and an empty index
    filled; otherwise the reason, for the user (the caller exits with EXIT_USER_ERROR before binding anything)."""
    from pydantic import ValidationError

    from index.readers import InputError
    from index.store import IndexUnavailableError

    try:
        settings = settings_from(args)
    except ValidationError as err:
        return str(err)
    settings = _with_real_port(settings)
    refusal = check_auth(settings, args.no_auth)
    if refusal:
        return refusal
    if not port_free(settings.host, settings.port):
        return f"{url_for(settings.host, settings.port)} is in use; choose another with --port"
    try:
        ensure_index(settings)
    except (InputError, IndexUnavailableError) as err:
        return str(err)
    return settings


def _with_real_port(settings: Settings) -> Settings:
    """Port 0 means "any free port": pick it now, so the URL printed is the real one."""
    if settings.port != 0:
        return settings
    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as sock:
        sock.bind((settings.host, 0))
        return settings.model_copy(update={"port": sock.getsockname()[1]})


def _run_server(settings: Settings, *, use_auth: bool, warm: bool) -> int:
    """Serve until stopped; 0 if the server had started, 1 if it never did."""
    import uvicorn

    from ui.api import service_of
    from ui.server import build_server

    app = build_server(settings, use_auth=use_auth)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    url = url_for(settings.host, settings.port)
    if warm:
        # Load the model and open the index before accepting requests, so /api/health means "ready to answer"
        # and the first question is not the one that pays seconds of loading.
        service_of(app).warm()
    threading.Thread(target=_announce, args=(server, url), name="cited-announce", daemon=True).start()
    server.run()
    return 0 if server.started else 1


def _announce(server: uvicorn.Server, url: str) -> None:
    """Print the "Running on" lines once the server accepts connections (tests and users wait for them)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started and not server.should_exit and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.started:
        print(f"Running on {url}", flush=True)
        print(f"  chat at {url}/ · REST API docs at {url}/docs · Ctrl+C to stop", flush=True)


def retrieve_main(argv: list[str] | None = None) -> int:
    """`cited retrieve`; lives in ui.retrieve_cli (no server imports), re-exported here for convenience."""
    from ui.retrieve_cli import main as retrieve

    return retrieve(argv)


if __name__ == "__main__":
    sys.exit(main())
