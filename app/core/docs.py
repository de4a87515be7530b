"""The API documentation pages, served by this process alone: Swagger UI at /docs and ReDoc at
/redoc, with their scripts and styles from the fastapi-offline package (it ships both bundles)
instead of a CDN, so the docs open on a machine or council network that reaches nothing else.

The pages hold no inline script or style: Swagger UI is started by a script served here, which
reads the document's URL from the page, and ReDoc starts itself from its <redoc> element. So the
pages' Content-Security-Policy (app/core/observability.py) allows scripts and styles from 'self'
only, but for the two <style> elements ReDoc writes itself, allowed by their hashes."""

import hashlib
from functools import cache
from html import escape
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
DOCUMENTATION_PAGES = frozenset({DOCS_URL, REDOC_URL})
ASSETS_URL = DOCS_URL + "/assets"  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
SWAGGER_INIT_URL = DOCS_URL + "/swagger-ui-init.js"
REDOC_JS_URL = DOCS_URL + "/redoc.standalone.js"
REDOC_CSS_URL = DOCS_URL + "/redoc.css"
# ReDoc's side menu shows Redocly's logo from their CDN, and no option turns it off: its bundle
# is served with that one address emptied, and the image hides itself as when it fails to load.
REDOC_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'

# FastAPI's own Swagger UI settings, less what would reach out: no validator badge (it loads an
# image from the public validator).
SWAGGER_INIT_JS = """\
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis]
  });
})();
"""
REDOC_CSS = "body { margin: 0; padding: 0; }\n"


class _Assets(StaticFiles):
    """The bundled files, revalidated by ETag rather than fetched again on every visit (the
    security headers' default Cache-Control is no-store)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["cache-control"] = "no-cache"
        return response


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc, with their assets, on `app` (built with docs_url and redoc_url
    None, so FastAPI's CDN pages are not served)."""
    openapi_url = app.openapi_url or "/openapi.json"

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        return HTMLResponse(_page(
            title=f"{app.title} - Swagger UI", base=base,
            head=f'<link rel="stylesheet" href="{escape(base + ASSETS_URL)}/swagger-ui.css">',
            body=f'<div id="swagger-ui" data-openapi-url="{escape(base + openapi_url)}"></div>\n'
                 f'<script src="{escape(base + ASSETS_URL)}/swagger-ui-bundle.js"></script>\n'
                 f'<script src="{escape(base + SWAGGER_INIT_URL)}"></script>'))

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        return HTMLResponse(_page(
            title=f"{app.title} - ReDoc", base=base,
            head=f'<link rel="stylesheet" href="{escape(base + REDOC_CSS_URL)}">',
            body="<noscript>ReDoc needs JavaScript to show the documentation.</noscript>\n"
                 f'<redoc spec-url="{escape(base + openapi_url)}"></redoc>\n'
                 f'<script src="{escape(base + REDOC_JS_URL)}"></script>'))

    @app.get(SWAGGER_INIT_URL, include_in_schema=False)
    async def swagger_ui_init() -> Response:
        return Response(SWAGGER_INIT_JS, media_type="text/javascript")

    @app.get(REDOC_JS_URL, include_in_schema=False)
    async def redoc_js(request: Request) -> Response:
        body, etag = _redoc_bundle()
        headers = {"etag": etag, "cache-control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript", headers=headers)

    @app.get(REDOC_CSS_URL, include_in_schema=False)
    async def redoc_css() -> Response:
        return Response(REDOC_CSS, media_type="text/css")

    app.mount(ASSETS_URL, _Assets(packages=[("fastapi_offline", "static")]), name="docs-assets")


@cache
def _redoc_bundle() -> tuple[bytes, str]:
    """The ReDoc bundle that fastapi-offline ships, without the logo from Redocly's CDN, and its
    ETag. Read once, on the first visit to /redoc."""
    shipped = resources.files("fastapi_offline").joinpath("static", "redoc.standalone.js")
    body = shipped.read_bytes().replace(REDOC_LOGO, b'""')
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _page(*, title: str, base: str, head: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="icon" type="image/png" href="{escape(base + ASSETS_URL)}/favicon.png">\n'
        f"{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
