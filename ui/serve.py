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
from pathlib import Path

from index.settings import Settings

EXIT_USER_ERROR = 2
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
    parser.add_argument(
        "--host", help="address to bind (default 127.0.0.1; CITED_HOST). Beyond loopback needs auth."
    )
    parser.add_argument("--port", type=int, help="port (default 7860; CITED_PORT)")
    parser.add_argument(
        "--no-auth", action="store_true", help="serve without a login even beyond loopback (prints a warning)"
    )
    parser.add_argument("--index-dir", type=Path, help="the index folder (CITED_INDEX_DIR)")
    parser.add_argument(
        "--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000 (CITED_CHROMA_URL)"
    )
    parser.add_argument(
        "--no-warm", action="store_true", help="do not load the model before the first question"
    )
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
    from pydantic import ValidationError

    from index.readers import InputError
    from index.store import IndexUnavailableError

    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except ValidationError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    if settings.port == 0:  # "any free port": pick it now, so the URL printed is the real one
        with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as sock:
            sock.bind((settings.host, 0))
            settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    refusal = check_auth(settings, args.no_auth)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return EXIT_USER_ERROR
    if not port_free(settings.host, settings.port):
        print(
            f"error: {url_for(settings.host, settings.port)} is in use; choose another with --port",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    try:
        ensure_index(settings)
    except (InputError, IndexUnavailableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR

    import uvicorn

    from ui.api import service_of
    from ui.server import build_server

    app = build_server(settings, use_auth=not args.no_auth)
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

    def announce() -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started and not server.should_exit and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.started:
            print(f"Running on {url}", flush=True)
            print(f"  chat at {url}/ · REST API docs at {url}/docs · Ctrl+C to stop", flush=True)

    if not args.no_warm:
        # Load the model and open the index before accepting requests, so /api/health means "ready to answer"
        # and the first question is not the one that pays seconds of loading.
        service_of(app).warm()
    threading.Thread(target=announce, name="cited-announce", daemon=True).start()
    server.run()
    return 0 if server.started else 1


def retrieve_main(argv: list[str] | None = None) -> int:
    """`cited retrieve`; lives in ui.retrieve_cli (no server imports), re-exported here for convenience."""
    from ui.retrieve_cli import main as retrieve

    return retrieve(argv)


if __name__ == "__main__":
    sys.exit(main())
