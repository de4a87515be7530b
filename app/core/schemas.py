"""Field types and base models that every domain's contract uses."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


def _printable(value: str) -> str:
    # NUL and other C0 controls (but tab and newlines) break PostgreSQL text and log lines.
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError("control characters are not allowed")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_printable)]
LongText = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_printable)]


class WriteModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
