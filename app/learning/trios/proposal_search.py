"""The search behind trio proposals: group one area's schools, in sizes given, so that each
group's spread of (scaled) roll and SIMD is small and no group has two schools of a cluster.

Sorted orders are cut into groups (several orders, so both measures get a turn), plus one
grouping valid by construction; each is improved by swapping schools between groups near each
other in profile, and by moving a school from a quad to a trio, while a penalty keeps
clusters distinct. The best valid result wins. Pure and deterministic."""

import heapq
import math
from collections import Counter
from dataclasses import dataclass

CONFLICT_PENALTY = 10.0  # one shared cluster costs more than any spread can save
WINDOW = 4  # each group is compared with this many groups nearest to it in profile
MAX_PASSES = 40


class Area:
    """One area's schools as indices 0..n-1: scaled roll and SIMD, a cluster number (schools
    in no cluster get one each) and a key that breaks ties."""

    def __init__(self, roll: list[float], simd: list[float], cluster: list[int],
                 key: list[str]) -> None:
        self.roll, self.simd, self.cluster, self.key = roll, simd, cluster, key

    def valid(self, groups: list[list[int]]) -> bool:
        return all(len({self.cluster[i] for i in g}) == len(g) for g in groups)

    def centre(self, group: list[int]) -> tuple[float, float]:
        return (sum(self.roll[i] for i in group) / len(group),
                sum(self.simd[i] for i in group) / len(group))

    def summary(self, group: list[int]) -> "_Summary":
        """Bounds and clusters of a group, whole and without each of its members, so that a
        swap is priced in a few comparisons."""
        without = []
        for x in range(len(group)):
            rest = group[:x] + group[x + 1:]
            without.append(self._bounds(rest))
        return _Summary(self._bounds(group), without)

    def _bounds(self, group: list[int]) -> tuple[float, float, float, float, frozenset[int], int]:
        rolls = [self.roll[i] for i in group]
        simds = [self.simd[i] for i in group]
        clusters = frozenset(self.cluster[i] for i in group)
        return (min(rolls), max(rolls), min(simds), max(simds), clusters,
                len(group) - len(clusters))


@dataclass(frozen=True)
class _Summary:
    whole: tuple[float, float, float, float, frozenset[int], int]
    without: list[tuple[float, float, float, float, frozenset[int], int]]


def _with(bounds: tuple[float, float, float, float, frozenset[int], int], r: float, s: float,
          cluster: int) -> float:
    """The cost of a group (given by its bounds) with one more school."""
    rmin, rmax, smin, smax, clusters, conflicts = bounds
    return ((rmax if rmax > r else r) - (rmin if rmin < r else r)
            + (smax if smax > s else s) - (smin if smin < s else s)
            + CONFLICT_PENALTY * (conflicts + (cluster in clusters)))


def _alone(bounds: tuple[float, float, float, float, frozenset[int], int]) -> float:
    rmin, rmax, smin, smax, _clusters, conflicts = bounds
    return rmax - rmin + smax - smin + CONFLICT_PENALTY * conflicts


def _cut(order: list[int], sizes: list[int]) -> list[list[int]]:
    groups, start = [], 0
    for size in sizes:
        groups.append(order[start:start + size])
        start += size
    return groups


def _starts(area: Area, sizes: list[int]) -> list[list[list[int]]]:
    """Initial groupings: sorted orders cut into groups, and one valid by construction."""
    n = len(area.roll)
    tie = area.key
    by_roll = sorted(range(n), key=lambda i: (area.roll[i], area.simd[i], tie[i]))
    by_sum = sorted(range(n), key=lambda i: (area.roll[i] + area.simd[i], tie[i]))
    # Strips: bands of similar roll, each sorted by SIMD, so both measures are close.
    band = 3 * max(1, round(math.sqrt(len(sizes))))
    strips = [i for s in range(0, n, band)
              for i in sorted(by_roll[s:s + band], key=lambda i: (area.simd[i], tie[i]))]
    return [_cut(order, sizes) for order in (strips, by_sum)] + [_dealt(area, by_roll, sizes)]


def _dealt(area: Area, order: list[int], sizes: list[int]) -> list[list[int]]:
    """Valid whenever no cluster has more schools than there are groups: schools listed
    cluster by cluster (largest first) are dealt to the groups in turn, so a cluster's schools
    fall in different groups."""
    counts = Counter(area.cluster[i] for i in order)
    position = {i: p for p, i in enumerate(order)}
    listed = sorted(order, key=lambda i: (-counts[area.cluster[i]], area.cluster[i], position[i]))
    groups: list[list[int]] = [[] for _ in sizes]
    slot = 0
    for i in listed:
        while len(groups[slot % len(sizes)]) >= sizes[slot % len(sizes)]:
            slot += 1
        groups[slot % len(sizes)].append(i)
        slot += 1
    return groups


def _neighbours(area: Area, groups: list[list[int]]) -> list[list[int]]:
    """For each group, the groups nearest to it in profile (by centre), later ones only, so
    that each pair is looked at once."""
    centres = [area.centre(g) for g in groups]
    near: list[list[int]] = [[] for _ in groups]
    for a, (ra, sa) in enumerate(centres):
        ranked = heapq.nsmallest(WINDOW, ((abs(ra - rb) + abs(sa - sb), b)
                                          for b, (rb, sb) in enumerate(centres) if b != a))
        for _d, b in ranked:
            pair = (a, b) if a < b else (b, a)
            if pair[1] not in near[pair[0]]:
                near[pair[0]].append(pair[1])
    return [sorted(n) for n in near]


def _improve(area: Area, groups: list[list[int]]) -> tuple[list[list[int]], float]:
    """Swaps (and quad-trio moves) between groups near each other in profile, each taken when
    it lowers the total cost, until none does. A pair is looked at again only when one of
    its groups has changed; who is near whom is worked out afresh each round."""
    summaries = [area.summary(g) for g in groups]
    for _round in range(3):
        near = _neighbours(area, groups)
        dirty = set(range(len(groups)))
        moved = False
        for _ in range(MAX_PASSES):
            changed: set[int] = set()
            for a in range(len(groups)):
                for b in near[a]:
                    if (a in dirty or b in dirty) and _exchange(area, groups, summaries, a, b):
                        changed |= {a, b}
            if not changed:
                break
            dirty, moved = changed, True
        if not moved:
            break
    return groups, sum(_alone(s.whole) for s in summaries)


def _exchange(area: Area, groups: list[list[int]], summaries: list[_Summary], a: int,
              b: int) -> bool:
    """Make the best improving swap (or move) between groups a and b, if there is one."""
    ga, gb, sa, sb = groups[a], groups[b], summaries[a], summaries[b]
    roll, simd, cluster = area.roll, area.simd, area.cluster
    best = _alone(sa.whole) + _alone(sb.whole) - 1e-12
    choice: tuple[int, int] | None = None
    for x, i in enumerate(ga):
        ri, si, ci = roll[i], simd[i], cluster[i]
        armin, armax, asmin, asmax, aclusters, aconflicts = sa.without[x]
        for y, j in enumerate(gb):
            # Inlined _with twice: this loop is where the search spends its time.
            rj, sj, cj = roll[j], simd[j], cluster[j]
            brmin, brmax, bsmin, bsmax, bclusters, bconflicts = sb.without[y]
            total = ((armax if armax > rj else rj) - (armin if armin < rj else rj)
                     + (asmax if asmax > sj else sj) - (asmin if asmin < sj else sj)
                     + (brmax if brmax > ri else ri) - (brmin if brmin < ri else ri)
                     + (bsmax if bsmax > si else si) - (bsmin if bsmin < si else si))
            if aconflicts or bconflicts or cj in aclusters or ci in bclusters:
                total += CONFLICT_PENALTY * (aconflicts + bconflicts + (cj in aclusters)
                                             + (ci in bclusters))
            if total < best:
                best, choice = total, (x, y)
    # A quad may hand a school to a trio: the trio becomes the quad.
    if len(ga) != len(gb):
        big, s_big, s_small = (ga, sa, sb) if len(ga) > len(gb) else (gb, sb, sa)
        for x, i in enumerate(big):
            total = _alone(s_big.without[x]) + _with(s_small.whole, roll[i], simd[i], cluster[i])
            if total < best:
                best, choice = total, (x, -1 if big is ga else -2)
    if choice is None:
        return False
    x, y = choice
    if y >= 0:
        ga[x], gb[y] = gb[y], ga[x]
    elif y == -1:
        gb.append(ga.pop(x))
    else:
        ga.append(gb.pop(x))
    summaries[a], summaries[b] = area.summary(ga), area.summary(gb)
    return True


def solve(area: Area, sizes: list[int]) -> tuple[list[list[int]], float]:
    """The lowest-cost valid grouping found from every start."""
    best: tuple[list[list[int]], float] | None = None
    for start in _starts(area, sizes):
        groups, cost = _improve(area, [list(g) for g in start])
        if area.valid(groups) and (best is None or cost < best[1] - 1e-12):
            best = (groups, cost)
    assert best is not None  # the dealt start is valid and stays so: swaps never add conflicts
    return best
