"""The import kinds by name. Each kind registers itself when its module is imported: the
integration's own in kinds/, a domain's beside its service (insight's critical indicators), so
that the import machinery knows no domain above it."""

from app.integration.imports.rows import ImportKindSpec

KINDS: dict[str, ImportKindSpec] = {}


def register(spec: ImportKindSpec) -> ImportKindSpec:
    if spec.name in KINDS:
        raise ValueError(f"import kind {spec.name!r} registered twice")
    KINDS[spec.name] = spec
    return spec
