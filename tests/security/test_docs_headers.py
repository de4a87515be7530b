"""The documentation pages (/docs, /redoc) get a Content-Security-Policy of their own: scripts,
styles and everything else from this server only, nothing inline but ReDoc's two fixed <style>
elements (by hash), no eval, no other host. Every other answer, the pages' own files too, keeps
the API's `default-src 'none'`. (In a browser: tests/contract/test_docs_browser.py.)"""

import re

import pytest

from app.core.docs import DOCUMENTATION_PAGES

SOURCE = re.compile(r"""(?:src|href|spec-url|data-openapi-url)="([^"]*)\"""")


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", sorted(DOCUMENTATION_PAGES))
def test_a_docs_page_allows_this_server_only(api, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = _policy(answer.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"][0] == "'self'"
    assert all(value.startswith("'sha256-") for value in policy["style-src"][1:])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    every_value = [value for values in policy.values() for value in values]
    assert not [v for v in every_value if "unsafe" in v or v.startswith(("http", "*"))]
    for name in ("x-content-type-options", "x-frame-options", "referrer-policy",
                 "strict-transport-security"):
        assert name in answer.headers
    # The page itself: no inline script or style, and every file it names is on this server.
    assert "<style" not in answer.text
    assert not re.search(r"<script(?![^>]*\ssrc=)", answer.text)
    sources = SOURCE.findall(answer.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)


def test_the_docs_files_load_and_keep_the_api_policy(api) -> None:
    page = api.get("/docs").text + api.get("/redoc").text
    files = {s for s in SOURCE.findall(page) if not s.endswith(".json")}
    assert len(files) >= 5  # Swagger UI's bundle, style and start script, ReDoc's bundle, icon
    for path in files:
        answer = api.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    bundle = api.get("/docs/redoc.standalone.js")
    assert b"cdn.redoc.ly" not in bundle.content  # its logo would be fetched from the internet
    again = api.get("/docs/redoc.standalone.js", headers={"If-None-Match": bundle.headers["etag"]})
    assert again.status_code == 304


def test_only_the_pages_get_the_docs_policy(api) -> None:
    for path in ("/docs/", "/docsearch", "/redoc/x", "/openapi.json", "/healthz"):
        policy = api.get(path, follow_redirects=False).headers["content-security-policy"]
        assert policy == "default-src 'none'; frame-ancestors 'none'", path
