"""How long a region's summary takes through the app, at West Partnership scale and at ten times.

    .venv/bin/python scripts/bench_summaries.py [--scales 1 10] [--runs 15] [--dir data/bench]

Generates each scale's SQLite file with scripts/generate_region_data.py (kept and reused when
it exists; --fresh regenerates), then calls GET /summaries/regions/{id} (JSON and CSV) and one
authority's summary through the app in-process (TestClient, a regional lead's token), after
two warm-up calls. Prints the median and 90th percentile, and the ratio between the largest
and the smallest scale. Targets: under 150 ms at scale 1; no more than 10x at scale 10."""

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.core.config import Settings
from app.core.security import generate_private_pem, issue_access_token
from app.identity.models import User
from app.main import create_app
from app.organisations.models import Authority, Region
from scripts.generate_region_data import REGION, SESSION, generate

TARGET_MS = 150.0


def _app(path: Path) -> Any:
    settings = Settings(
        environment="test", database_url=f"sqlite:///{path}",
        secret_key="bench-secret-key-that-is-long-enough-0123456789",  # noqa: S106 - a local benchmark
        jwt_private_keys=json.dumps({"bench-1": generate_private_pem()}), jwt_active_kid="bench-1",
        log_level="WARNING")
    return create_app(settings)


def _lead_token(app: Any) -> tuple[str, uuid.UUID, uuid.UUID]:
    with Session(app.state.engine) as session:
        region = session.scalars(select(Region).where(Region.code == REGION)).one()
        authority = session.scalars(select(Authority).where(Authority.region_id == region.id)
                                    .order_by(Authority.code)).first()
        assert authority is not None
        lead = session.scalars(select(User).where(User.email == "lead@bench.sih.scot")).first()
        if lead is None:
            lead = User(email="lead@bench.sih.scot", password_hash="!",  # noqa: S106 - cannot log in
                        role="regional_lead",
                        region_id=region.id)
            session.add(lead)
            session.commit()
        token, _jti, _ttl = issue_access_token(app.state.keys, app.state.settings,
                                               f"user:{lead.id}", {"role": "regional_lead"})
        return token, region.id, authority.id


def _time(client: TestClient, url: str, headers: dict[str, str], runs: int) -> tuple[float, float]:
    for _ in range(2):
        assert client.get(url, headers=headers).status_code == 200
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, answer.text
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def bench(path: Path, runs: int) -> dict[str, tuple[float, float]]:
    app = _app(path)
    token, region_id, authority_id = _lead_token(app)
    auth = {"Authorization": f"Bearer {token}"}
    region_url = f"/api/v1/summaries/regions/{region_id}?session={SESSION}"
    with TestClient(app) as client:
        results = {
            "region (JSON)": _time(client, region_url, auth, runs),
            "region (CSV)": _time(client, region_url, {**auth, "Accept": "text/csv"}, runs),
            "authority (JSON)": _time(
                client, f"/api/v1/summaries/authorities/{authority_id}?session={SESSION}", auth, runs),
        }
    app.state.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--fresh", action="store_true", help="regenerate the data files")
    args = parser.parse_args()
    medians: dict[int, float] = {}
    for scale in args.scales:
        path = args.dir / f"region-scale-{scale}.db"
        if args.fresh or not path.exists():
            started = time.perf_counter()
            counts = generate(path, scale, seed=2025)
            print(f"generated {path} in {time.perf_counter() - started:.0f} s: "
                  f"{counts['establishment']:,} establishments, {counts['visit']:,} visits, "
                  f"{counts['clpl_registration']:,} CLPL registrations")
        for name, (median, p90) in bench(path, args.runs).items():
            print(f"scale {scale:>2}  {name:17} median {median:7.1f} ms   p90 {p90:7.1f} ms")
            if name == "region (JSON)":
                medians[scale] = median
    smallest, largest = min(medians), max(medians)
    verdicts = [f"scale {smallest}: {medians[smallest]:.1f} ms "
                f"({'under' if medians[smallest] < TARGET_MS else 'OVER'} {TARGET_MS:.0f} ms)"]
    if largest != smallest:
        ratio = medians[largest] / medians[smallest]
        limit = largest / smallest
        verdicts.append(f"scale {largest}: {ratio:.1f}x the time for {limit:.0f}x the data "
                        f"({'within' if ratio <= limit else 'OVER'} {limit:.0f}x)")
    print("region summary: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
