"""Proposing trios: pure functions over plain dataclasses, no database.

Every group keeps the rules of a trio: its schools share an area (`Candidate.area`, the
area's identity: the caller gives the same one the same-area rule compares) and come from
different clusters (learning communities); groups are trios, with quads only where an area's
count needs them (n % 3 == 1: one quad; n % 3 == 2: two quads; five schools: one quad). The
authority, session and framework rules are the caller's to apply before calling `propose`.

Every explanation (a group's reason, a pairing's, an unplaced school's detail) is written
after the grouping, from the figures it used: the groups actually made, the schools actually
offered, and for a school without a SIMD figure, the stand-in it was compared at.

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
    area: str | None  # the area's identity; None: no area
    cluster: str | None  # None: in no cluster, so it shares one with nobody
    cluster_name: str | None
    roll: int
    simd_q1_percent: float | None
    area_name: str | None = None  # how the area is named (default: `area`)


@dataclass(frozen=True)
class Pairing:
    first: Candidate
    second: Candidate
    reason: str


@dataclass(frozen=True)
class Group:
    area: str  # its name
    members: tuple[Candidate, ...]
    spread: float
    score: float
    reason: str
    pairings: tuple[Pairing, ...]
    area_key: str = ""  # its identity (Candidate.area)

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
    # What a school without a SIMD figure is compared at: the median of those offered with
    # one (None: no school offered has one, so SIMD plays no part).
    simd_stand_in: float | None = None

    @classmethod
    def of(cls, universe: Sequence[Candidate]) -> "Profiles":
        known = sorted(c.simd_q1_percent for c in universe if c.simd_q1_percent is not None)
        median = known[len(known) // 2] if known else 0.0
        rolls = [math.log1p(max(c.roll, 0)) for c in universe]
        simds = [c.simd_q1_percent if c.simd_q1_percent is not None else median for c in universe]
        scale_roll, scale_simd = _scaler(rolls), _scaler(simds)
        return cls({c.id: (scale_roll(r), scale_simd(s))
                    for c, r, s in zip(universe, rolls, simds, strict=True)},
                   median if known else None)

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


def _saturated(members: list[Candidate], profiles: Profiles) -> tuple[
        list[Candidate], list[Candidate]]:
    """Leave out the schools that no grouping can give a group without their cluster: a
    cluster may have at most one school per group. Those furthest from the area's profile go.
    Their details are written once the area's groups are made (`_propose_area`)."""
    left: list[Candidate] = []
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
        left.append(out)


def _median_point(members: list[Candidate], profiles: Profiles) -> tuple[float, float]:
    rolls = sorted(profiles.points[c.id][0] for c in members)
    simds = sorted(profiles.points[c.id][1] for c in members)
    return rolls[len(rolls) // 2], simds[len(simds) // 2]


def _distance(point: tuple[float, float], centre: tuple[float, float]) -> float:
    return abs(point[0] - centre[0]) + abs(point[1] - centre[1])


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def _cluster_label(c: Candidate) -> str:
    return c.cluster_name or "a cluster without a name"


def _make_up(members: Sequence[Candidate]) -> str:
    """Where the schools come from, cluster by cluster: "2 from Cluster k, 1 in no cluster"."""
    clusters = Counter(_cluster_label(c) for c in members if c.cluster is not None)
    parts = [f"{n} from {name}" for name, n in sorted(clusters.items(), key=lambda i: (-i[1], i[0]))]
    loose = sum(c.cluster is None for c in members)
    if loose:
        parts.append(f"{loose} in no cluster")
    return ", ".join(parts)


def _too_few(label: str, members: list[Candidate]) -> str:
    offered = ("Only 1 school was offered" if len(members) == 1
               else f"{len(members)} schools were offered")
    return (f"{offered} in {label} ({_make_up(members)}); a trio needs three schools, each "
            "from a different cluster (a school in no cluster counts as one of its own).")


def _propose_area(label: str, members: list[Candidate], profiles: Profiles) -> tuple[
        list[Group], list[Unplaced]]:
    if len({c.cluster or c.id for c in members}) < 3:
        return [], [Unplaced(c, "area_too_small", _too_few(label, members)) for c in members]
    offered = Counter(c.cluster for c in members if c.cluster is not None)
    members, saturated = _saturated(members, profiles)
    sizes, rest = group_sizes(len(members))
    unplaced: list[Unplaced] = []
    if not sizes:  # (kept for safety: three distinct clusters always leave three schools)
        return [], [Unplaced(c, "area_too_small", _too_few(label, [*members, *saturated]))
                    for c in [*members, *saturated]]
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
            f"The {len(members) + 1} schools of {label} that could be grouped make one quad, "
            f"not a quad and one left over: {out.name} is the one whose profile (roll "
            f"{out.roll}, {_simd_of(out, profiles)}) fits the others least.")))
    else:
        index_groups, _cost = solve(_area(members, profiles), sizes)
    groups = [_describe(label, [members[i] for i in g], profiles, len(members))
              for g in index_groups]
    placed = Counter(c.cluster for g in groups for c in g.members if c.cluster is not None)
    made = _plural(len(groups), "group")
    for out in saturated:
        cluster = out.cluster or ""  # a school left out for its cluster has one
        k, kept = offered[cluster], placed[cluster]
        unplaced.append(Unplaced(out, "cluster_saturated", (
            f"{out.name} is one of {k} opted-in schools of {_cluster_label(out)} in {label}. "
            f"The schools of {label} make {made}, and a group takes one school of a cluster, so "
            f"{kept} of the {k} {'is' if kept == 1 else 'are'} placed and {k - kept} left out: "
            "those whose profile is furthest from the area's.")))
    return groups, unplaced


# Explaining ----------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{value:g}%"


def _simd_of(c: Candidate, profiles: Profiles) -> str:
    if c.simd_q1_percent is not None:
        return f"SIMD Q1 {_percent(c.simd_q1_percent)}"
    return "no SIMD figure"


def _stand_in(profiles: Profiles) -> str:
    if profiles.simd_stand_in is None:
        return "no school offered has one, so only rolls were compared"
    return (f"compared at {_percent(profiles.simd_stand_in)}, the median of the schools "
            "offered with one")


def _size_phrase(a: Candidate, b: Candidate) -> str:
    low, high = sorted((max(a.roll, 1), max(b.roll, 1)))
    ratio = high / low
    return ("similar size" if ratio <= 1.25 else "fairly similar size" if ratio <= 1.6
            else "different sizes")


def _simd_phrase(a: Candidate, b: Candidate, profiles: Profiles) -> str:
    missing = [c.name for c in (a, b) if c.simd_q1_percent is None]
    if missing:
        whose = "either" if len(missing) == 2 else missing[0]
        return f"no SIMD figure for {whose} ({_stand_in(profiles)})"
    assert a.simd_q1_percent is not None and b.simd_q1_percent is not None
    gap = abs(a.simd_q1_percent - b.simd_q1_percent)
    words = ("very similar" if gap <= 5 else "similar" if gap <= 12 else "different")
    return (f"SIMD Q1 {_percent(a.simd_q1_percent)} and {_percent(b.simd_q1_percent)} "
            f"({words} deprivation profile)")


def _clusters_phrase(a: Candidate, b: Candidate) -> str:
    if a.cluster is None and b.cluster is None:
        return "neither in a cluster"
    names = [_cluster_label(c) if c.cluster is not None else "no cluster" for c in (a, b)]
    return f"different clusters ({names[0]} / {names[1]})"


def _pairing(a: Candidate, b: Candidate, label: str, profiles: Profiles) -> Pairing:
    return Pairing(a, b, (
        f"{a.name} and {b.name}: rolls {a.roll} and {b.roll} ({_size_phrase(a, b)}); "
        f"{_simd_phrase(a, b, profiles)}; {_clusters_phrase(a, b)}; both in {label}."))


def _range(values: list[float], unit: str = "") -> str:
    low, high = min(values), max(values)
    return f"{low:g}{unit}" if low == high else f"{low:g}-{high:g}{unit}"


def _group_simd(members: list[Candidate], profiles: Profiles) -> str:
    known = [c for c in members if c.simd_q1_percent is not None]
    n, missing = len(members), len(members) - len(known)
    if not missing:
        return f"SIMD Q1 {_range([c.simd_q1_percent for c in known if c.simd_q1_percent is not None], '%')}"
    if not known:
        return f"no SIMD figure for any of the {n} schools ({_stand_in(profiles)})"
    figures = ", ".join(f"{c.name} {_percent(c.simd_q1_percent)}" for c in known
                        if c.simd_q1_percent is not None)
    return (f"SIMD Q1 {figures}; no SIMD figure for {missing} of {n} schools "
            f"({_stand_in(profiles)})")


def _group_clusters(members: list[Candidate]) -> str:
    """"3 different clusters", "2 different clusters and 1 school in no cluster"."""
    clusters = len({c.cluster for c in members if c.cluster is not None})
    loose = sum(c.cluster is None for c in members)
    parts = [f"{clusters} different clusters" if clusters > 1 else "1 cluster"] if clusters else []
    if loose:
        parts.append(f"{_plural(loose, 'school')} in no cluster")
    return " and ".join(parts)


def _describe(label: str, members: list[Candidate], profiles: Profiles, n_area: int) -> Group:
    members = sorted(members, key=lambda c: (c.roll, c.key))
    spread = profiles.spread(members)
    reason = (f"Same area ({label}); {_group_clusters(members)}; rolls "
              f"{_range([float(c.roll) for c in members])}; {_group_simd(members, profiles)}.")
    if len(members) == 4:
        reason += f" A quad because the {n_area} schools grouped in {label} do not divide into trios."
    pairings = tuple(_pairing(a, b, label, profiles) for i, a in enumerate(members)
                     for b in members[i + 1:])
    return Group(label, tuple(members), spread, score_of(spread), reason, pairings,
                 members[0].area or "")


# The whole proposal --------------------------------------------------------------------


def propose(candidates: Sequence[Candidate]) -> Proposal:
    """Group the candidates, area by area. Profiles are scaled over all the candidates, so
    scores compare across areas."""
    ordered = sorted({c.id: c for c in candidates}.values(), key=lambda c: (c.key, c.id))
    profiles = Profiles.of(ordered)
    areas: dict[str, list[Candidate]] = {}
    unplaced: list[Unplaced] = []
    for c in ordered:
        if c.area is None or not c.area.strip():
            unplaced.append(Unplaced(c, "no_area", (
                f"{c.name} has no area, nor has its cluster, so the same-area rule cannot be "
                "kept.")))
        else:
            areas.setdefault(c.area, []).append(c)
    groups: list[Group] = []
    for key in sorted(areas, key=lambda k: (areas[k][0].area_name or k, k)):
        members = areas[key]
        label = " ".join((members[0].area_name or key).split())
        found, left = _propose_area(label, members, profiles)
        groups += found
        unplaced += left
    mean = sum(g.score for g in groups) / len(groups) if groups else 0.0
    return Proposal(tuple(groups), tuple(unplaced), round(mean, 3))
