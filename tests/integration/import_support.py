"""Helpers shared by the import tests: sending files, reading back what they did."""

import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel import Session

from app.organisations.models import Authority, Establishment

DATA = Path(__file__).resolve().parent / "data"
IMPORTS = "/api/v1/imports"
CSV = "text/csv"
JSON_LINES = "application/x-ndjson"
HEADER = "code,name,sector,authority_code,cluster,roll,simd_q1_percent,gaelic_medium"


def csv_rows(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode()


def school(n: int, **fields: Any) -> str:
    """One row of the default header, for code 80000nn in North Lanarkshire."""
    values = {"code": f"{8000000 + n}", "name": f"Import School {n}", "sector": "primary",
              "authority_code": "S12000050", "cluster": "", "roll": str(100 + n),
              "simd_q1_percent": "", "gaelic_medium": "", **fields}
    return ",".join(values[c] for c in HEADER.split(","))


def send(api: Any, headers: dict[str, str], body: bytes, *, kind: str = "establishments",
         media: str = CSV, **params: Any) -> httpx.Response:
    query = {("async" if k == "run_async" else k): str(v).lower() if isinstance(v, bool) else v
             for k, v in params.items()}
    return api.post(f"{IMPORTS}/{kind}", content=body, params=query,
                    headers={**headers, "Content-Type": media})


def wait_for_job(api: Any, headers: dict[str, str], location: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = api.get(location, headers=headers)
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job at {location} did not finish in {timeout} s")


def establishments(db: Session) -> dict[str, Establishment]:
    db.expire_all()
    return {e.code: e for e in db.scalars(select(Establishment))}


def count(db: Session, model: Any) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def english_authority(db: Session, code: str, name: str) -> Authority:
    authority = Authority(code=code, name=name)
    db.add(authority)
    db.commit()
    return authority
