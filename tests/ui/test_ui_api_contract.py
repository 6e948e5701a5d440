"""The HTTP API keeps its published contract: one error shape, 405 for undeclared methods, the schema's
rules are the enforced ones, and schemathesis, fuzzing the live `cited serve`, finds nothing (#14.9)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import cited_serve_at
from uitest_helpers import LiveServer

from index.limits import is_blank, visible_pattern
from index.settings import Settings
from ui.api_errors import ErrorResponse

MOSUL = "Who retook eastern Mosul?"
SCHEMATHESIS_EXAMPLES = 40  # per operation and phase: about a minute against the bundled articles


def error_of(response: httpx.Response) -> ErrorResponse:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return ErrorResponse.model_validate(response.json())


@pytest.mark.unit
def test_the_published_non_blank_pattern_is_the_enforced_rule() -> None:
    pattern = re.compile(visible_pattern())
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        assert is_blank(ch) == (pattern.search(ch) is None), hex(code)
    assert is_blank("\u200b\u2060 \ufeff\U000e0001") and not is_blank("\u200bMosul")


@pytest.mark.integration
def test_every_error_has_the_one_documented_shape(server: LiveServer) -> None:
    url = server.url
    cases = {
        "validation": httpx.post(f"{url}/api/ask", json={"question": ""}, timeout=30),
        "empty filter": httpx.post(f"{url}/api/ask", json={"question": MOSUL, "filters": {"doc_id": []}}),
        "not json": httpx.post(f"{url}/api/ask", content=b"{oops", headers={"content-type": "application/json"}),
        "unknown path": httpx.get(f"{url}/api/nothing-here", timeout=30),
        "wrong method": httpx.get(f"{url}/api/ask", timeout=30),
    }
    statuses = {name: response.status_code for name, response in cases.items()}
    expected = {"validation": 422, "empty filter": 422, "not json": 422, "unknown path": 404, "wrong method": 405}
    assert statuses == expected
    for name, response in cases.items():
        error = error_of(response)
        assert error.message and error.detail, name
    assert "not valid JSON" in error_of(cases["not json"]).message
    assert error_of(cases["validation"]).detail[0].loc == ["body", "question"]


@pytest.mark.integration
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "QUERY", "TRACE"])
def test_undeclared_methods_are_405_with_allow_even_with_the_chat_mounted(server: LiveServer, method: str) -> None:
    for path, allow in (("/api/ask", "POST"), ("/api/retrieve", "POST")):
        response = httpx.request(method, f"{server.url}{path}", timeout=30)
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["allow"] == allow
        assert method in error_of(response).message
    assert httpx.post(f"{server.url}/api/health", timeout=30).headers["allow"] == "GET"
    assert httpx.get(f"{server.url}/", timeout=30).status_code == 200  # the chat itself is still there


@pytest.mark.integration
def test_the_schema_documents_the_errors_and_the_rules(server: LiveServer) -> None:
    schema = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    for path, method in (("/api/ask", "post"), ("/api/retrieve", "post")):
        responses = schema["paths"][path][method]["responses"]
        assert {"400", "422", "500", "503"} <= set(responses), responses
        for code in ("400", "422", "500", "503"):
            assert responses[code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    components = schema["components"]["schemas"]
    assert components["AskRequest"]["properties"]["question"]["pattern"] == visible_pattern()
    assert components["RetrieveRequest"]["properties"]["query"]["pattern"] == visible_pattern()
    doc_id = components["Filters"]["properties"]["doc_id"]
    assert "minLength" in str(doc_id) and "minItems" in str(doc_id)


def run_schemathesis(schema: str, tmp_path: Path, examples: int, *extra: str) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).parent / "st"
    cmd = [str(st), "run", schema, "--checks", "all", "-n", str(examples), "--seed", "1"]
    cmd += ["--request-timeout", "30", "--no-color", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)


def assert_no_failures(result: subprocess.CompletedProcess[str]) -> None:
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert re.search(r"\d+ generated, \d+ passed", result.stdout), report


@pytest.fixture(scope="module")
def served(articles_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with cited_serve_at(articles_settings.index_dir, log) as url:
        yield {"url": url, "log": log}


@pytest.mark.slow
def test_schemathesis_finds_no_failures_against_the_live_server(served: dict[str, Any], tmp_path: Path) -> None:
    assert_no_failures(run_schemathesis(f"{served['url']}/openapi.json", tmp_path, SCHEMATHESIS_EXAMPLES))
    assert "Traceback" not in Path(served["log"]).read_text(errors="replace")


@pytest.mark.slow
def test_schemathesis_finds_no_failures_behind_a_login(articles_settings: Settings, tmp_path: Path) -> None:
    login = ("reader", "s3cret")
    with cited_serve_at(articles_settings.index_dir, tmp_path / "serve.log", {"CITED_AUTH": ":".join(login)}) as url:
        anonymous = httpx.get(f"{url}/openapi.json", timeout=30)
        assert anonymous.status_code == 401 and error_of(anonymous).message
        schema = tmp_path / "openapi.json"
        schema.write_text(httpx.get(f"{url}/openapi.json", auth=login, timeout=30).text)
        assert_no_failures(run_schemathesis(str(schema), tmp_path, 10, "--url", url, "--auth", ":".join(login)))
