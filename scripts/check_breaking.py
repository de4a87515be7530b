"""Fail when openapi/openapi.json breaks clients written against the last release.

    python scripts/check_breaking.py [--baseline FILE] [--changelog FILE] [DOCUMENT]

The baseline is, in order: --baseline; the document at the latest `v*` git tag; the document
at the commit named in CHANGELOG.md's latest release heading that names one (`## [1.0.0] -
2026-11-23 - commit 4abfdcb`). With none of them it says "no baseline" and passes.

A break is a removed operation, a removed (or renamed) field of a success answer, a request
field or parameter that became required, or an enum that lost a value. Breaks pass only when
CHANGELOG.md's latest release is a new major version over the baseline's `info.version`."""

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi" / "openapi.json"
CHANGELOG = ROOT / "CHANGELOG.md"
METHODS = ("get", "put", "post", "patch", "delete")
RELEASE = re.compile(r"^## \[(\d+)\.(\d+)\.(\d+)\](.*)$", re.M)
COMMIT = re.compile(r"commit ([0-9a-f]{7,40})\b")

Document = dict[str, Any]


def breaking_changes(old: Document, new: Document) -> list[str]:
    found = []
    for key, old_operation in _operations(old):
        new_operation = dict(_operations(new)).get(key)
        if new_operation is None:
            found.append(f"{key}: operation removed")
            continue
        found += [f"{key}: answer field {path} removed"
                  for path in sorted(_answer_fields(old, old_operation)
                                     - _answer_fields(new, new_operation))]
        newly_required = _required_inputs(new, new_operation) - _required_inputs(old, old_operation)
        # A field required inside a new optional object (an item of a new list) binds only the
        # clients that send that object, which none did before: not a break.
        known = _body_paths(old, old_operation)
        newly_required = {name for name in newly_required
                          if not name.startswith("body field ")
                          or name.removeprefix("body field ").rpartition(".")[0] in known}
        found += [f"{key}: request {name} is now required" for name in sorted(newly_required)]
        old_enums, new_enums = _enums(old, old_operation), _enums(new, new_operation)
        for path, values in sorted(old_enums.items()):
            lost = values - new_enums.get(path, values)
            if lost:
                found.append(f"{key}: {path} no longer accepts or returns {sorted(lost)}")
    return found


def _operations(document: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _resolve(document: Document, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _walk(document: Document, schema: dict[str, Any], path: str = "",
          seen: frozenset[str] = frozenset()) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema) for the schema and every field under it; recursive models end."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    seen = seen | {ref} if ref else seen
    schema = _resolve(document, schema)
    yield path, schema
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        yield from _walk(document, branch, path, seen)
    if isinstance(schema.get("items"), dict):
        yield from _walk(document, schema["items"], f"{path}[]", seen)
    for name, field in schema.get("properties", {}).items():
        yield from _walk(document, field, f"{path}.{name}", seen)


def _json_schemas(content: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for media_type, media in content.items():
        if "json" in media_type or "form" in media_type:
            yield media.get("schema", {})


def _answer_fields(document: Document, operation: dict[str, Any]) -> set[str]:
    fields = set()
    for code, answer in operation.get("responses", {}).items():
        if code.startswith("2"):
            for schema in _json_schemas(answer.get("content", {})):
                fields |= {f"{code}{path}" for path, _ in _walk(document, schema) if path}
    return fields


def _required_inputs(document: Document, operation: dict[str, Any]) -> set[str]:
    required = {f"parameter {p['in']} {p['name']}" for p in operation.get("parameters", [])
                if p.get("required")}
    for schema in _json_schemas(operation.get("requestBody", {}).get("content", {})):
        for path, node in _walk(document, schema):
            required |= {f"body field {path}.{name}" for name in node.get("required", [])}
    return required


def _body_paths(document: Document, operation: dict[str, Any]) -> set[str]:
    """Every object path of the request body, as `_required_inputs` names them."""
    return {path for schema in _json_schemas(operation.get("requestBody", {}).get("content", {}))
            for path, _node in _walk(document, schema)}


def _enums(document: Document, operation: dict[str, Any]) -> dict[str, set[Any]]:
    schemas = [(f"parameter {p['name']}", p.get("schema", {}))
               for p in operation.get("parameters", [])]
    schemas += [("body", s) for s in
                _json_schemas(operation.get("requestBody", {}).get("content", {}))]
    schemas += [(f"answer {code}", s) for code, answer in operation.get("responses", {}).items()
                if code.startswith("2") for s in _json_schemas(answer.get("content", {}))]
    enums: dict[str, set[Any]] = {}
    for where, schema in schemas:
        for path, node in _walk(document, schema):
            if "enum" in node:
                enums.setdefault(f"{where}{path}", set()).update(node["enum"])
    return enums


def latest_release(changelog: str) -> tuple[tuple[int, int, int], str | None] | None:
    """The latest release heading's version and the commit it names, if any."""
    match = RELEASE.search(changelog)
    if match is None:
        return None
    commit = COMMIT.search(match.group(4))
    version = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    return version, commit.group(1) if commit else None


def major_of(document: Document) -> int:
    return int(str(document.get("info", {}).get("version", "0")).split(".")[0] or 0)


def _git_show(revision: str) -> Document | None:
    relative = DOCUMENT.relative_to(ROOT).as_posix()
    shown = subprocess.run(["git", "show", f"{revision}:{relative}"], cwd=ROOT,  # noqa: S603,S607
                           capture_output=True, text=True, check=False)
    return json.loads(shown.stdout) if shown.returncode == 0 else None


def find_baseline(changelog: str) -> tuple[str, Document] | None:
    tags = subprocess.run(["git", "tag", "--list", "v*", "--sort=-v:refname"],  # noqa: S607
                          cwd=ROOT, capture_output=True, text=True, check=False).stdout.split()
    if tags and (document := _git_show(tags[0])) is not None:
        return f"tag {tags[0]}", document
    # The latest release whose commit is recorded: a heading just written for the next release
    # names none until its contract is committed, and the one before it is the baseline.
    for match in RELEASE.finditer(changelog):
        commit = COMMIT.search(match.group(4))
        if commit and (document := _git_show(commit.group(1))) is not None:
            return f"commit {commit.group(1)} (CHANGELOG.md's latest recorded release)", document
    return None


def check(old: Document, new: Document, changelog: str) -> tuple[bool, list[str]]:
    """(passes, breaks): breaks pass only under a newly recorded major version."""
    breaks = breaking_changes(old, new)
    release = latest_release(changelog)
    recorded_major = release is not None and release[0][0] > major_of(old)
    return (not breaks or recorded_major), breaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("document", nargs="?", type=Path, default=DOCUMENT)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--changelog", type=Path, default=CHANGELOG)
    args = parser.parse_args(argv)
    changelog = args.changelog.read_text("utf-8") if args.changelog.exists() else ""
    new = json.loads(args.document.read_text("utf-8"))
    if args.baseline:
        baseline: tuple[str, Document] | None = (str(args.baseline),
                                                 json.loads(args.baseline.read_text("utf-8")))
    else:
        baseline = find_baseline(changelog)
    if baseline is None:
        print("check_breaking: no baseline (no v* tag, no commit in CHANGELOG.md's latest "
              "release heading reachable in this clone); nothing to compare")
        return 0
    name, old = baseline
    passes, breaks = check(old, new, changelog)
    for line in breaks:
        print(f"  {'recorded' if passes else 'BREAKING'}: {line}")
    if not passes:
        print(f"check_breaking: {len(breaks)} breaking change(s) against {name}. Keep the old "
              "shape, or record them in CHANGELOG.md under a new major version.", file=sys.stderr)
        return 1
    print(f"check_breaking: compared with {name}: "
          f"{'no breaking change' if not breaks else 'breaks recorded under a new major version'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
