"""OpenAPI links: from a created resource to what a client does next with it.

A client that creates a record gets its `id` in the body and its `ETag` in a header; the links
say so in the contract (get, update, delete, act on the new record), and Schemathesis' stateful
phase follows them to chain real calls. They are derived from the paths rather than listed, so a
new resource that follows the house layout (`POST /things` -> `/things/{thing_id}...`) is
linked without anyone remembering to add it."""

import re
from typing import Any

_METHODS = ("get", "put", "patch", "delete", "post")
_PARAM = re.compile(r"^\{([^}]+)\}$")


def _path_params(path: str) -> list[str]:
    return [m.group(1) for segment in path.split("/") if (m := _PARAM.match(segment))]


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(p.get("in") == "header" and p.get("name", "").lower() == "if-match"
               for p in operation.get("parameters", []))


def _link(target: dict[str, Any], known: dict[str, str], same_record: bool) -> dict[str, Any]:
    """Fill the target's path parameters; If-Match from the answer's ETag when the target
    acts on the record that answer described (a sub-resource has an ETag of its own)."""
    parameters = {f"path.{name}": expression for name, expression in known.items()}
    if same_record and _takes_if_match(target):
        parameters["header.If-Match"] = "$response.header.ETag"
    return {"operationId": target["operationId"], "parameters": parameters,
            "description": f"`{target['operationId']}` on the record just written."}


def _links_to(paths: dict[str, Any], item_path: str, known: dict[str, str],
              source_id: str) -> dict[str, Any]:
    """Links to every operation at the item path or under it whose path parameters the source
    knows (a nested record's own id is not known yet), except the source itself."""
    links: dict[str, Any] = {}
    for path, path_item in paths.items():
        if path != item_path and not path.startswith(item_path + "/"):
            continue
        if not set(_path_params(path)) <= set(known):
            continue
        rest = path[len(item_path):].strip("/")
        for method in _METHODS:
            target = path_item.get(method)
            if not target or not target.get("operationId") or target["operationId"] == source_id:
                continue
            if method == "get" and path != item_path and "put" in path_item:
                continue  # a sub-resource written by PUT (a support status) exists once put
            # The record itself, or a transition of it (POST /things/{id}/submit).
            same_record = rest == "" or (method == "post" and "/" not in rest)
            links[target["operationId"]] = _link(target, known, same_record)
    return links


def _created_links(paths: dict[str, Any], path: str, method: str,
                   operation: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The item path a 201 of this operation created, and what identifies the record."""
    source_params = {name: f"$request.path.{name}" for name in _path_params(path)}
    if method == "post":
        # POST /things (-> /things/{thing_id}): the new id is in the body.
        for item_path in paths:
            rest = item_path[len(path) + 1:] if item_path.startswith(path + "/") else ""
            first = rest.split("/")[0]
            if match := _PARAM.match(first):
                name = match.group(1)
                # {thing_id} is the body's `id`; a natural key such as {code} is its own field.
                field = "id" if name == "id" or name.endswith("_id") else name
                return item_path[:len(path) + 1 + len(first)], {
                    **source_params, name: f"$response.body#/{field}"}
        return None
    if method == "put" and _PARAM.match(path.rsplit("/", 1)[-1]):
        # PUT /things/{thing_id} at a client-chosen id: the path already names the record.
        return path, source_params
    return None


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """Add `links` to every 201 answer of an operation that creates an addressable record."""
    paths: dict[str, Any] = document.get("paths", {})
    for path, path_item in paths.items():
        for method in ("post", "put"):
            operation = path_item.get(method)
            created = (operation or {}).get("responses", {}).get("201")
            if not operation or created is None:
                continue
            found = _created_links(paths, path, method, operation)
            if found is None:
                continue
            item_path, known = found
            links = _links_to(paths, item_path, known, operation.get("operationId", ""))
            if links:
                created["links"] = links
    return document
