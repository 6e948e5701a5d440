"""The Gradio chat: a thin layer over the same `Assistant` the REST API uses (`ui.api.CitedService`).

How a click on `[n]` reaches the sources panel: answers are HTML (built by `ui.render`, everything escaped)
whose markers are `<button class="cite" value="TURN:N">`. The sources panel is a `gr.HTML` whose
`js_on_load` installs one document-level click listener; a click on any `.cite` calls the panel's
`trigger('click', {value})`, which runs `show_source` in Python with the clicked address in `gr.EventData`,
and the panel is re-rendered with that paragraph and its evidence in `<mark>`. No hidden textbox, no
polling; it works for answers added later too, because the listener is delegated from `document`.
"""

# No `from __future__ import annotations` here: Gradio finds the `gr.EventData` parameter of an event handler
# by its evaluated annotation. Importing gradio at the top is fine: only ui.server imports this, lazily.

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import gradio as gr

from index.limits import MAX_K
from index.models import Answer
from index.store import IndexUnavailableError
from ui import render
from ui.api import CitedService

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who retook eastern Mosul?",
    "How many of its combat troops has Daesh lost?",
    "Who is the spokesman for Iraq's Popular Mobilization Forces?",
    "What is the capital of France?",
]

# Runs once when the sources panel mounts. `trigger` belongs to this panel; keeping the latest one on `window`
# means a re-mounted panel takes over without a second listener being added.
CLICK_JS = """
window.__citedTrigger = trigger;
if (!window.__citedClickBound) {
  window.__citedClickBound = true;
  document.addEventListener('click', function (event) {
    var button = event.target && event.target.closest ? event.target.closest('button.cite') : null;
    if (!button || !button.value) return;
    event.preventDefault();
    event.stopPropagation();
    document.querySelectorAll('button.cite.active').forEach(function (b) { b.classList.remove('active'); });
    button.classList.add('active');
    window.__citedTrigger('click', {value: button.value});
    var panel = document.getElementById('cited-sources');
    if (panel && panel.scrollIntoView) panel.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  }, true);
}
"""

CSS = """
#cited-sources { position: sticky; top: 0.5rem; }
.cited-panel-empty { opacity: .7; font-size: .9em; padding: .6em;
  border: 1px dashed var(--border-color-primary); border-radius: 8px; }
.cited-question { white-space: normal; }
.cited-answer p { margin: 0 0 .5em 0; }
.cited-answer button.cite { background: none; border: none; padding: 0 .1em; margin: 0; cursor: pointer;
  color: var(--link-text-color, #2563eb); font: inherit; font-weight: 600; font-size: .8em;
  vertical-align: super; line-height: 1; }
.cited-answer button.cite:hover, .cited-answer button.cite:focus-visible {
  text-decoration: underline; outline: none; }
.cited-answer button.cite.active, #cited-sources button.cite.active {
  background: #fef3c7; color: #92400e; border-radius: 3px; }
.cited-sources-list { margin-top: .5em; padding-top: .4em; border-top: 1px solid var(--border-color-primary);
  font-size: .85em; display: flex; flex-wrap: wrap; gap: .25em .75em; align-items: baseline; }
.cited-sources-label { font-weight: 600; opacity: .75; margin-right: .25em; }
.cited-sources-list button.cite.cite-source {
  vertical-align: baseline; font-size: 1em; font-weight: 400; text-align: left; }
.cited-answer.refused { border-left: 4px solid #d97706; padding-left: .7em; }
.cited-refused-badge { display: inline-block; font-weight: 600; color: #b45309; background: #fef3c7;
  border-radius: 999px; padding: .05em .7em; margin-bottom: .4em; font-size: .9em; }
.cited-answer.refused .cited-body { opacity: .85; }
.cited-notice, .cited-understood { font-size: .8em; opacity: .75; margin-bottom: .3em; }
.cited-unsupported { font-size: .85em; color: #b45309; }
.cited-footer { font-size: .75em; opacity: .6; margin-top: .3em; }
.cited-error { color: #b91c1c; font-weight: 600; }
.cited-pending { opacity: .7; font-style: italic; }
.cited-cursor { opacity: .6; }
.cited-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .8em 1em; }
.cited-source-head { font-weight: 600; font-size: 1.05em; }
.cited-source-n { color: var(--link-text-color, #2563eb); }
.cited-source-meta { font-size: .85em; opacity: .8; margin: .2em 0 .6em 0; }
.cited-paragraph { line-height: 1.55; }
.cited-paragraph mark { background: #fde68a; color: #1f2937; padding: 0 .15em; border-radius: 3px; }
.cited-paragraph mark .cited-answer { background: #f59e0b; color: #111827; border-radius: 2px; }
.cited-check { font-size: .8em; margin-top: .5em; }
.cited-check.ok { color: #15803d; }
.cited-check.warn { color: #b45309; }
.cited-question-ref { font-size: .8em; opacity: .65; margin-top: .3em; }
.cited-other { font-size: .85em; margin-top: .5em; display: flex; align-items: baseline; gap: .3em; }
.cited-other button.cite { background: none; border: none; cursor: pointer; padding: 0 .15em;
  color: var(--link-text-color, #2563eb); font: inherit; font-weight: 600; }
"""

# One question and its answer as the chat keeps them in `gr.State`: {"question": str, "answer": Answer as JSON}
# (or "answer": None and an "error"). JSON so gr.State can deep-copy it cheaply. Not qa.followup.Turn, which is
# the assistant's view of an earlier turn for rewriting follow-ups.
ChatTurn = dict[str, Any]


def _messages(turns: list[ChatTurn]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": render.user_html(turn["question"])})
        if turn.get("answer") is not None:
            answer = Answer.model_validate(turn["answer"])
            messages.append({"role": "assistant", "content": render.answer_html(answer, i)})
        else:
            messages.append({"role": "assistant", "content": render.error_html(turn.get("error") or "no answer")})
    return messages


def _user_error(err: Exception) -> str | None:
    """A message for errors the user can act on; None for bugs (logged, shown generically)."""
    from qa.retriever import QueryError

    if isinstance(err, QueryError | IndexUnavailableError):
        return str(err)
    return None


def date_scope(
    since: str | None = None, until: str | None = None, as_of: str | None = None
) -> tuple[dict[str, str] | None, date | None]:
    """The chat's date boxes as the assistant's date filters and as-of day; a box that holds no day is an error
    the user sees (QueryError), not an empty filter."""
    from qa.retriever import QueryError, normalise_filters

    boxes = {"since": (since or "").strip(), "until": (until or "").strip()}
    filters = {key: value for key, value in boxes.items() if value}
    normalise_filters(filters)  # checks each day and the range
    day = None
    if (as_of or "").strip():
        try:
            day = date.fromisoformat((as_of or "").strip())
        except ValueError:
            raise QueryError(f"'as of' needs a day such as 2024-03-01, got {as_of!r}") from None
    return filters or None, day


def answerer_banner(name: str) -> str:
    return f"Answerer in use: **{name}**"


class ChatHandlers:
    """The chat's event handlers, separate from the layout so tests can drive them without a browser."""

    def __init__(self, service: CitedService) -> None:
        self.service = service

    def respond(
        self,
        message: str,
        turns: list[ChatTurn],
        k: float | None = None,
        answerer: str | None = None,
        *dates: str | None,
    ) -> Iterator[tuple[Any, list[ChatTurn], Any, Any]]:
        """Stream one answer: the question at once, the text as it comes, then the final rendered Answer.
        `dates`: the settings' since, until and as-of boxes (YYYY-MM-DD, empty for none). Yields (chat messages,
        conversation state, input box, sources panel)."""
        question = (message or "").strip()
        if not question:
            yield gr.skip(), turns, gr.skip(), gr.skip()
            return
        shown = _messages(turns) + [{"role": "user", "content": render.user_html(question)}]
        yield shown + [{"role": "assistant", "content": render.pending_html()}], turns, "", gr.skip()
        history = [t["question"] for t in turns]
        text = ""
        answer: Answer | None = None
        error: str | None = None
        try:
            filters, as_of = date_scope(*dates)
            assistant = self.service.assistant(answerer or None)
            for item in assistant.stream(question, history, int(k) if k else None, filters, as_of):
                if isinstance(item, Answer):
                    answer = item
                else:
                    text += item
                    streaming = {"role": "assistant", "content": render.streaming_html(text)}
                    yield shown + [streaming], turns, "", gr.skip()
        except Exception as err:
            error = _user_error(err)
            if error is None:
                log.exception("chat answer failed")
                error = f"Something went wrong ({type(err).__name__}); see the server log."
        new_turn: ChatTurn = (
            {"question": question, "answer": None, "error": error or "no answer"}
            if answer is None
            else {"question": question, "answer": answer.model_dump(mode="json")}
        )
        turns = [*turns, new_turn]
        yield _messages(turns), turns, "", gr.skip()

    def show_source(self, turns: list[ChatTurn], evt: gr.EventData) -> str:
        """The panel for the clicked citation ("TURN:N" from the button's value)."""
        raw = str((evt._data or {}).get("value", ""))
        turn_s, _, n_s = raw.partition(":")
        if not (turn_s.isdigit() and n_s.isdigit()) or int(turn_s) >= len(turns):
            return render.panel_message_html("That citation belongs to a conversation that was cleared.")
        stored = turns[int(turn_s)].get("answer")
        if stored is None:
            return render.panel_message_html("That question has no answer.")
        return render.source_card_html(Answer.model_validate(stored), int(n_s), int(turn_s))

    def clear(self) -> tuple[list[Any], list[ChatTurn], str, str]:
        return [], [], "", render.panel_message_html(render.PANEL_HINT)

    def banner(self, answerer: str) -> str:
        return answerer_banner(self.service.answerer_name(answerer))

    def chat(self, message: str, history: list[str] | None = None, k: int | None = None) -> str:
        """One answer (earlier questions in `history`) as markdown with [n] markers and a source list."""
        try:
            answer = self.service.assistant().ask(message, list(history or []), k)
        except Exception as err:
            error = _user_error(err)
            if error is None:
                log.exception("chat API call failed")
                raise gr.Error(f"internal error ({type(err).__name__}); see the server log") from err
            raise gr.Error(error) from err
        return render.answer_markdown(answer)


def build_chat(service: CitedService) -> gr.Blocks:
    """The Blocks app; mount it with `ui.server.build_server` (which adds the CSS and auth)."""
    handlers = ChatHandlers(service)

    def chat(message: str, history: list[str] | None = None, k: int | None = None) -> str:
        """Answer a question about the articles; `history` holds earlier questions for follow-ups. Returns
        markdown with [n] citation markers and the numbered sources."""
        return handlers.chat(message, history, k)

    with gr.Blocks(title="cited · answers from the articles, with sources") as demo:
        components = _layout(service)
        _wire_events(components, handlers)
        gr.api(chat, api_name="chat", concurrency_limit=8)
    return demo


@dataclass
class _ChatComponents:
    """The components of the chat page that its events read or update, as `_layout` builds them."""

    turns_state: gr.State
    banner: gr.Markdown
    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    clear_btn: gr.Button
    k_slider: gr.Slider
    answerer: gr.Radio
    dates: tuple[gr.Textbox, gr.Textbox, gr.Textbox]  # since, until, as of
    panel: gr.HTML


def _layout(service: CitedService) -> _ChatComponents:
    """The page, inside the open Blocks: a header, the conversation (left) and the sources panel (right)."""
    turns_state = gr.State([])
    gr.Markdown(
        "## cited\nAsk about the news articles. Every answer quotes its sources; click a **[n]** to "
        "open the paragraph it comes from."
    )
    banner = gr.Markdown(answerer_banner(service.answerer_name()), elem_id="cited-answerer")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot, box, send, clear_btn = _conversation()
            k_slider, answerer, dates = _settings_accordion(service)
        with gr.Column(scale=2):
            panel = gr.HTML(
                render.panel_message_html(render.PANEL_HINT),
                js_on_load=CLICK_JS,
                elem_id="cited-sources",
                label="Sources",
                show_label=True,
                container=True,
            )
    return _ChatComponents(turns_state, banner, chatbot, box, send, clear_btn, k_slider, answerer, dates, panel)


def _conversation() -> tuple[gr.Chatbot, gr.Textbox, gr.Button, gr.Button]:
    """The chat window, the question box with its Ask and Clear buttons, and the example questions."""
    chatbot = gr.Chatbot(
        label="Conversation",
        elem_id="cited-chat",
        height=560,
        latex_delimiters=[],
        feedback_options=None,
        group_consecutive_messages=False,
        placeholder="Ask a question about the articles, or pick an example below.",
        buttons=["copy", "copy_all"],
    )
    with gr.Row():
        box = gr.Textbox(
            placeholder="e.g. Who retook eastern Mosul?",
            show_label=False,
            scale=1,
            elem_id="cited-input",
            autofocus=True,
            max_length=20_000,
        )
        send = gr.Button("Ask", variant="primary", scale=0, min_width=90, elem_id="cited-send")
        clear_btn = gr.Button("Clear", scale=0, min_width=90, elem_id="cited-clear")
    gr.Examples(EXAMPLES, inputs=[box], label="Examples")
    return chatbot, box, send, clear_btn


def _settings_accordion(
    service: CitedService,
) -> tuple[gr.Slider, gr.Radio, tuple[gr.Textbox, gr.Textbox, gr.Textbox]]:
    """The collapsed Settings: how many passages to read, which answerer answers, and the articles' date range
    with the day questions are asked as of."""
    settings = service.settings
    with gr.Accordion("Settings", open=False, elem_id="cited-settings"):
        k_slider = gr.Slider(1, MAX_K, value=settings.top_k, step=1, label="Passages to read (k)")
        answerer = gr.Radio(
            service.answerers,
            value=settings.answerer,
            label="Answerer",
            info="extractive: offline, quotes sentences verbatim. An LLM is offered when one "
            "is configured (CITED_ANSWERER).",
        )
        with gr.Row():
            since = gr.Textbox(label="Articles from", placeholder="YYYY-MM-DD", elem_id="cited-since")
            until = gr.Textbox(label="Articles until", placeholder="YYYY-MM-DD", elem_id="cited-until")
            as_of = gr.Textbox(
                label="As of",
                placeholder="YYYY-MM-DD",
                elem_id="cited-as-of",
                info="the day 'this week' counts from; empty: the newest article's",
            )
    return k_slider, answerer, (since, until, as_of)


def _wire_events(page: _ChatComponents, handlers: ChatHandlers) -> None:
    """Connect the components to the handlers (all private to the UI: the public API is `gr.api` "chat")."""
    outputs = [page.chatbot, page.turns_state, page.box, page.panel]
    inputs = [page.box, page.turns_state, page.k_slider, page.answerer, *page.dates]
    page.box.submit(handlers.respond, inputs, outputs, api_visibility="private", concurrency_limit=8)
    page.send.click(handlers.respond, inputs, outputs, api_visibility="private", concurrency_limit=8)
    page.panel.click(
        handlers.show_source, [page.turns_state], [page.panel], api_visibility="private", concurrency_limit=None
    )
    page.clear_btn.click(handlers.clear, None, outputs, api_visibility="private", queue=False)
    page.chatbot.clear(handlers.clear, None, outputs, api_visibility="private", queue=False)  # its trash icon
    page.answerer.change(handlers.banner, [page.answerer], [page.banner], api_visibility="private")
