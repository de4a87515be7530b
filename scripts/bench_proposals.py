"""How long proposing trios takes for a whole authority: 300 synthetic (seeded) schools.

    .venv/bin/python scripts/bench_proposals.py [N]

Prints the time for two shapes of authority: schools spread over eight areas (as councils
are), and the worst case for the search, all of them in one area."""

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.learning.trios.proposal_groups import Candidate, propose


def synthetic(n: int, areas: int, seed: int = 2025) -> list[Candidate]:
    rng = random.Random(seed)
    schools = []
    for i in range(n):
        area = i % areas
        cluster = rng.randrange(max(3, n // areas // 6))
        schools.append(Candidate(
            id=f"{i:05d}", key=f"{8000000 + i}", name=f"School {i}", area=f"Area {area}",
            cluster=f"{area}-{cluster}", cluster_name=f"Cluster {area}-{cluster}",
            roll=int(rng.lognormvariate(5.3, 0.6)) + 10,
            simd_q1_percent=None if rng.random() < 0.05 else round(rng.uniform(0, 85), 1)))
    return schools


def timed(candidates: list[Candidate], runs: int = 5) -> tuple[float, float, int, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proposal = propose(candidates)
        times.append(time.perf_counter() - start)
    placed = sum(len(g.members) for g in proposal.groups)
    return statistics.median(times), proposal.score, len(proposal.groups), placed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    for label, areas in (("8 areas", 8), ("1 area", 1)):
        seconds, score, groups, placed = timed(synthetic(n, areas))
        print(f"{n} establishments, {label}: {seconds * 1000:.0f} ms (median of 5); "
              f"{groups} groups, {placed} placed, mean score {score:.3f}")


if __name__ == "__main__":
    main()
