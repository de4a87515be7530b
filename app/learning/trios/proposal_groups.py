"""Proposing trios: pure functions over plain dataclasses, no database.

Every group keeps the rules of a trio: its schools share an area and come from different
clusters (learning communities); groups are trios, with quads only where an area's count
needs them (n % 3 == 1: one quad; n % 3 == 2: two quads; five schools: one quad). The
authority, session and framework rules are the caller's to apply before calling `propose`.

Similarity is measured on each school's profile: its roll (on a log scale, so 50 against 100
pupils weighs like 250 against 500) and its share of pupils in SIMD quintile 1, both scaled
to 0..1 over the schools offered. A group's spread is the mean, over the two measures, of its
range (max - min); its score is 1 - spread (1.0: identical profiles). The search minimises the
total spread area by area (`proposal_search`). No randomness: the same input gives the same
proposal, whatever order the schools come in."""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.learning.trios.proposal_search import Area, solve


@dataclass(frozen=True)
class Candidate:
    """An opted-in school as the algorithm sees it. `key` orders ties (e.g. the SEED code)."""

    id: str
    key: str
    name: str
    area: str | None
    cluster: str | None  # None: in no cluster, so it shares one with nobody
    cluster_name: str | None
    roll: int
    simd_q1_percent: float | None


@dataclass(frozen=True)
class Pairing:
    first: Candidate
    second: Candidate
    reason: str


@dataclass(frozen=True)
class Group:
    area: str
    members: tuple[Candidate, ...]
    spread: float
    score: float
    reason: str
    pairings: tuple[Pairing, ...]

    @property
    def kind(self) -> str:
        return "quad" if len(self.members) == 4 else "trio"


@dataclass(frozen=True)
class Unplaced:
    candidate: Candidate
    reason: str  # no_area, area_too_small, area_remainder, cluster_saturated
    detail: str


@dataclass(frozen=True)
class Proposal:
    groups: tuple[Group, ...]
    unplaced: tuple[Unplaced, ...]
    score: float  # mean of the groups' scores (0 without groups)


# Profiles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profiles:
    """Each candidate's (roll, SIMD) scaled to 0..1 over a universe of candidates."""

    points: dict[str, tuple[float, float]]

    @classmethod
    def of(cls, universe: Sequence[Candidate]) -> "Profiles":
        known = sorted(c.simd_q1_percent for c in universe if c.simd_q1_percent is not None)
        median = known[len(known) // 2] if known else 0.0
        rolls = [math.log1p(max(c.roll, 0)) for c in universe]
        simds = [c.simd_q1_percent if c.simd_q1_percent is not None else median for c in universe]
        scale_roll, scale_simd = _scaler(rolls), _scaler(simds)
        return cls({c.id: (scale_roll(r), scale_simd(s))
                    for c, r, s in zip(universe, rolls, simds, strict=True)})

    def spread(self, members: Sequence[Candidate]) -> float:
        rolls = [self.points[m.id][0] for m in members]
        simds = [self.points[m.id][1] for m in members]
        return ((max(rolls) - min(rolls)) + (max(simds) - min(simds))) / 2


def _scaler(values: list[float]) -> "_Scale":
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    return _Scale(low, high - low)


@dataclass(frozen=True)
class _Scale:
    low: float
    width: float

    def __call__(self, value: float) -> float:
        return (value - self.low) / self.width if self.width > 0 else 0.0


def score_of(spread: float) -> float:
    return round(1 - spread, 3)


def grouping_score(groups: Sequence[Sequence[Candidate]], profiles: Profiles) -> float:
    """The mean score of any grouping, measured as proposals are: to compare groupings."""
    if not groups:
        return 0.0
    return sum(score_of(profiles.spread(g)) for g in groups) / len(groups)


def group_sizes(n: int) -> tuple[list[int], int]:
    """Group sizes for n schools (trios, quads only where needed) and how many are left."""
    if n < 3:
        return [], n
    if n == 5:
        return [4], 1
    quads = n % 3  # 0, 1 or 2 quads; each takes one school that a trio could not
    return [3] * ((n - 4 * quads) // 3) + [4] * quads, 0


# One area ------------------------------------------------------------------------------


def _area(members: list[Candidate], profiles: Profiles) -> Area:
    clusters: dict[str, int] = {}
    return Area(roll=[profiles.points[c.id][0] for c in members],
                simd=[profiles.points[c.id][1] for c in members],
                cluster=[clusters.setdefault(c.cluster, len(clusters)) if c.cluster is not None
                         else -1 - i for i, c in enumerate(members)],
                key=[c.key for c in members])


def _saturated(members: list[Candidate], profiles: Profiles, label: str) -> tuple[
        list[Candidate], list[Unplaced]]:
    """Leave out the schools that no grouping can give a group without their cluster: a
    cluster may have at most one school per group. Those furthest from the area's profile go."""
    left: list[Unplaced] = []
    while True:
        sizes, _rest = group_sizes(len(members))
        counts = Counter(c.cluster for c in members if c.cluster is not None)
        over = sorted((cluster for cluster, k in counts.items() if k > len(sizes)),
                      key=lambda cluster: (-counts[cluster], cluster))
        if not over or not sizes:
            return members, left
        cluster = over[0]
        centre = _median_point(members, profiles)
        own = [c for c in members if c.cluster == cluster]
        out = max(own, key=lambda c: (_distance(profiles.points[c.id], centre), c.key))
        members = [c for c in members if c is not out]
        left.append(Unplaced(out, "cluster_saturated", (
            f"{out.name} is one of {counts[cluster]} opted-in schools of "
            f"{out.cluster_name or 'one cluster'} in {label}, which makes only {len(sizes)} "
            f"group{'s' if len(sizes) != 1 else ''}: each group takes one school per cluster.")))


def _median_point(members: list[Candidate], profiles: Profiles) -> tuple[float, float]:
    rolls = sorted(profiles.points[c.id][0] for c in members)
    simds = sorted(profiles.points[c.id][1] for c in members)
    return rolls[len(rolls) // 2], simds[len(simds) // 2]


def _distance(point: tuple[float, float], centre: tuple[float, float]) -> float:
    return abs(point[0] - centre[0]) + abs(point[1] - centre[1])


def _propose_area(label: str, members: list[Candidate], profiles: Profiles) -> tuple[
        list[Group], list[Unplaced]]:
    clusters = {c.cluster or c.id for c in members}
    if len(clusters) < 3:
        return [], [Unplaced(c, "area_too_small", (
            f"The {len(members)} school{'s' if len(members) != 1 else ''} offered in {label} "
            f"come from {len(clusters)} cluster{'s' if len(clusters) != 1 else ''}; a trio "
            "needs three schools from different clusters.")) for c in members]
    members, unplaced = _saturated(members, profiles, label)
    sizes, rest = group_sizes(len(members))
    if not sizes:
        unplaced += [Unplaced(c, "area_too_small", (
            f"Only {len(members)} school{'s' if len(members) != 1 else ''} in {label} can be "
            "grouped (a trio needs three, from different clusters).")) for c in members]
        return [], unplaced
    if rest:  # five schools: the quad that leaves out the school that fits least
        options = []
        for out in members:
            others = [c for c in members if c is not out]
            if max(Counter(c.cluster for c in others if c.cluster).values(), default=0) > 1:
                continue
            found, cost = solve(_area(others, profiles), sizes)
            options.append((cost, out.key, out, others, found))
        _cost, _key, out, members, index_groups = min(options, key=lambda o: (o[0], o[1]))
        unplaced.append(Unplaced(out, "area_remainder", (
            f"Five schools in {label} make one quad; {out.name} is the one whose profile "
            "fits the others least.")))
    else:
        index_groups, _cost = solve(_area(members, profiles), sizes)
    return [_describe(label, [members[i] for i in g], profiles, len(members))
            for g in index_groups], unplaced


# Explaining ----------------------------------------------------------------------------


def _size_phrase(a: Candidate, b: Candidate) -> str:
    low, high = sorted((max(a.roll, 1), max(b.roll, 1)))
    ratio = high / low
    return ("similar size" if ratio <= 1.25 else "fairly similar size" if ratio <= 1.6
            else "different sizes")


def _simd_phrase(a: Candidate, b: Candidate) -> str:
    if a.simd_q1_percent is None or b.simd_q1_percent is None:
        missing = a if a.simd_q1_percent is None else b
        return f"SIMD Q1 not recorded for {missing.name}"
    gap = abs(a.simd_q1_percent - b.simd_q1_percent)
    words = ("very similar" if gap <= 5 else "similar" if gap <= 12 else "different")
    return (f"SIMD Q1 {a.simd_q1_percent:g}% and {b.simd_q1_percent:g}% "
            f"({words} deprivation profile)")


def _pairing(a: Candidate, b: Candidate, label: str) -> Pairing:
    clusters = (f"different clusters ({a.cluster_name or 'none'} / {b.cluster_name or 'none'})")
    return Pairing(a, b, (
        f"{a.name} and {b.name}: rolls {a.roll} and {b.roll} ({_size_phrase(a, b)}); "
        f"{_simd_phrase(a, b)}; {clusters}; both in {label}."))


def _describe(label: str, members: list[Candidate], profiles: Profiles, n_area: int) -> Group:
    members = sorted(members, key=lambda c: (c.roll, c.key))
    spread = profiles.spread(members)
    rolls = [c.roll for c in members]
    simds = [c.simd_q1_percent for c in members if c.simd_q1_percent is not None]
    simd_text = f"SIMD Q1 {min(simds):g}-{max(simds):g}%" if simds else "SIMD Q1 not recorded"
    reason = (f"Same area ({label}); {len(members)} different clusters; rolls "
              f"{min(rolls)}-{max(rolls)}; {simd_text}.")
    if len(members) == 4:
        reason += f" A quad because the {n_area} schools grouped in {label} do not divide into trios."
    pairings = tuple(_pairing(a, b, label) for i, a in enumerate(members) for b in members[i + 1:])
    return Group(label, tuple(members), spread, score_of(spread), reason, pairings)


# The whole proposal --------------------------------------------------------------------


def area_key(area: str | None) -> str | None:
    """Areas compare without case or surrounding space ("Airdrie " is "airdrie")."""
    if area is None or not area.strip():
        return None
    return " ".join(area.split()).casefold()


def propose(candidates: Sequence[Candidate]) -> Proposal:
    """Group the candidates, area by area. Profiles are scaled over all the candidates, so
    scores compare across areas."""
    ordered = sorted({c.id: c for c in candidates}.values(), key=lambda c: (c.key, c.id))
    profiles = Profiles.of(ordered)
    areas: dict[str, list[Candidate]] = {}
    unplaced: list[Unplaced] = []
    for c in ordered:
        key = area_key(c.area)
        if key is None:
            unplaced.append(Unplaced(c, "no_area", (
                f"{c.name} has no area recorded, so the same-area rule cannot be kept.")))
        else:
            areas.setdefault(key, []).append(c)
    groups: list[Group] = []
    for key in sorted(areas):
        members = areas[key]
        label = " ".join((members[0].area or key).split())
        found, left = _propose_area(label, members, profiles)
        groups += found
        unplaced += left
    mean = sum(g.score for g in groups) / len(groups) if groups else 0.0
    return Proposal(tuple(groups), tuple(unplaced), round(mean, 3))
