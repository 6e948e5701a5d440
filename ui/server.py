"""One FastAPI app on one port: the REST API at /api/*, its docs at /docs, the Gradio chat at /.

The API routes are registered before Gradio is mounted at "/", so they win; Gradio's own endpoints live under
/gradio_api/. Both halves share one `CitedService`, hence one Assistant and one loaded model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from index.settings import Settings
from ui.api import create_app, parse_auth, service_of

if TYPE_CHECKING:
    from qa.assistant import Assistant


def build_server(settings: Settings, assistant: Assistant | None = None, use_auth: bool = True) -> FastAPI:
    """The combined app. With `settings.auth` ("user:password") and `use_auth`, the chat asks for a login and
    /api/* wants HTTP Basic auth with the same credentials."""
    import gradio as gr

    from ui.chat import CSS, build_chat

    auth = parse_auth(settings.auth) if use_auth else None
    app = create_app(settings, assistant, auth=auth)
    demo = build_chat(service_of(app))
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        auth_message="cited: sign in with the CITED_AUTH credentials." if auth else None,
        css=CSS,
        footer_links=["api", "settings"],
        run_history=False,
        show_error=True,
    )
