"""Compiled loops of HDBSCAN and of the exact KDE (numba, cached on disk).

HDBSCAN: the sequential parts of `hotspots.cluster._weighted_hdbscan`: the
minimum spanning tree of the mutual-reachability graph (Borůvka's algorithm over
a k-d tree), the single-linkage hierarchy with ties joined at once, and the
condensing of that hierarchy with its excess-of-mass selection. Over the
county's 35,000 locations the tree took 0.36 s with scipy's k-d trees and
Python's joins, now 0.07 s; the rest took 0.25 s of Python loops, now 0.004 s.

KDE: `kde_sums`, the exact density and count of `hotspots.density._kde_exact`,
summed cell by cell as each location is visited; numpy needed every
location-cell pair in arrays first (3 million pairs, 100 MB, at 250 m / 50 m),
0.25-0.37 s for a new bandwidth over the county, now 0.05-0.12 s (two threads).

Each function is plain loops over arrays, so it reads (and runs, with
``NUMBA_DISABLE_JIT=1``) as Python.

Compiled once per machine: ``cache=True`` keeps the machine code beside this
file (``__pycache__``), and `warm` compiles or loads it on tiny input, which
the dashboard's start-up and ``make setup`` call so that no user waits for it.
``nogil``: the dashboard serves its pages in threads, and these release the GIL.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

_Float = NDArray[np.float64]
_Int = NDArray[np.int64]


@njit(cache=True, nogil=True)
def _root(links: _Int, x: int) -> int:  # pragma: no cover (compiled)
    """The root of `x` in the union-find forest `links`, its path made to point there."""
    root = x
    while links[root] != root:
        root = links[root]
    while links[x] != root:
        links[x], x = root, links[x]
    return root


@njit(cache=True, nogil=True)
def tie_hierarchy(
    a: _Int, b: _Int, dist: _Float, n: int
) -> tuple[_Int, _Int, _Float]:  # pragma: no cover (compiled)
    """Single linkage of sorted tree edges, equal weights joined at once.

    Returns CSR arrays: node ``n + i`` has children
    ``kids[start[i]:start[i + 1]]`` (points ``< n`` or earlier nodes) joined at
    ``heights[i]``. See `hotspots.cluster._tie_hierarchy` for the rule; the
    children of a node come in the order the edges joined them (the left
    side's, then the right side's), and a weight's new nodes in the order of
    their last join.
    """
    m = len(dist)
    parent = np.arange(n)
    node_of = np.arange(n)
    # a root's pending children within the current weight: a linked list
    head = np.full(n, -1, dtype=np.int64)
    tail = np.full(n, -1, dtype=np.int64)
    nxt = np.full(2 * m + n, -1, dtype=np.int64)
    item = np.empty(2 * m + n, dtype=np.int64)
    n_items = 0
    stamp = np.full(n, -1, dtype=np.int64)
    touched = np.empty(m, dtype=np.int64)
    kids = np.empty(max(2 * m, 1), dtype=np.int64)
    start = np.zeros(m + 1, dtype=np.int64)
    heights = np.empty(m, dtype=np.float64)
    n_nodes = 0
    n_kids = 0
    clock = 0
    i = 0
    while i < m:
        j = i
        while j < m and dist[j] == dist[i]:
            j += 1
        n_touched = 0
        for e in range(i, j):
            ra, rb = _root(parent, a[e]), _root(parent, b[e])
            if ra == rb:
                continue
            for r in (ra, rb):  # a root new to this weight: itself, one child
                if head[r] == -1:
                    item[n_items] = node_of[r]
                    nxt[n_items] = -1
                    head[r] = tail[r] = n_items
                    n_items += 1
            nxt[tail[ra]] = head[rb]  # rb's list becomes ra's, then rb's
            head[rb] = head[ra]
            head[ra] = tail[ra] = -1
            parent[ra] = rb
            stamp[ra] = -1
            stamp[rb] = clock + n_touched  # when it was last joined
            touched[n_touched] = rb
            n_touched += 1
        # the weight's components, in the order of their last join
        for t in range(n_touched):
            r = touched[t]
            if stamp[r] != clock + t:  # joined again later, or into another
                continue
            x = head[r]
            while x != -1:
                kids[n_kids] = item[x]
                n_kids += 1
                x = nxt[x]
            head[r] = tail[r] = -1
            stamp[r] = -1
            node_of[r] = n + n_nodes
            heights[n_nodes] = dist[i]
            n_nodes += 1
            start[n_nodes] = n_kids
        n_items = 0
        clock += n_touched
        i = j
    return start[: n_nodes + 1].copy(), kids[:n_kids].copy(), heights[:n_nodes].copy()


@njit(cache=True, nogil=True)
def node_sizes(w: _Float, start: _Int, kids: _Int) -> _Float:  # pragma: no cover
    """Each point's weight, then each node's: the sum of its children's."""
    n, n_nodes = len(w), len(start) - 1
    size = np.empty(n + n_nodes)
    size[:n] = w
    for i in range(n_nodes):
        s = 0.0
        for k in range(start[i], start[i + 1]):
            s += size[kids[k]]
        size[n + i] = s
    return size


@njit(cache=True, nogil=True)
def condense(
    start: _Int, kids: _Int, heights: _Float, size: _Float, min_cluster_size: float
) -> tuple[_Int, _Int, _Float, _Float, int]:  # pragma: no cover (compiled)
    """The condensed tree of a hierarchy (sklearn's ``_condense_tree`` order).

    Breadth-first from the root; a node's children smaller than
    `min_cluster_size` (and points) fall out of its cluster at its λ = 1/height;
    a node with two or more big children splits into all of them at once, each
    a new cluster; one big child goes on as its parent's cluster. Rows
    (parent cluster, child: point or cluster, λ, child's size); clusters are
    numbered from ``n``, the root's; also returns how many clusters.
    """
    n_nodes = len(start) - 1
    n = len(size) - n_nodes
    root = n + n_nodes - 1
    relabel = np.zeros(n + n_nodes, dtype=np.int64)
    relabel[root] = n
    next_label = n + 1
    cap = n + n_nodes
    par = np.empty(cap, dtype=np.int64)
    chi = np.empty(cap, dtype=np.int64)
    lam_ = np.empty(cap, dtype=np.float64)
    csz = np.empty(cap, dtype=np.float64)
    rows = 0
    queue = np.empty(n_nodes + 1, dtype=np.int64)
    queue[0] = root
    q_in, q_out = 1, 0
    stack = np.empty(n + n_nodes, dtype=np.int64)
    while q_out < q_in:
        node = queue[q_out]
        q_out += 1
        i = node - n
        d = heights[i]
        lam = 1.0 / d if d > 0 else np.inf
        n_big = 0
        for k in range(start[i], start[i + 1]):
            c = kids[k]
            if c >= n and size[c] >= min_cluster_size:
                n_big += 1
        me = relabel[node]
        for k in range(start[i], start[i + 1]):
            child = kids[k]
            if not (child >= n and size[child] >= min_cluster_size):
                stack[0] = child  # falls out: every point below it, depth first
                top = 1
                while top:
                    top -= 1
                    x = stack[top]
                    if x < n:
                        par[rows], chi[rows], lam_[rows], csz[rows] = (
                            me,
                            x,
                            lam,
                            size[x],
                        )
                        rows += 1
                    else:
                        for kk in range(start[x - n], start[x - n + 1]):
                            stack[top] = kids[kk]
                            top += 1
                continue
            if n_big >= 2:
                relabel[child] = next_label
                next_label += 1
                par[rows], chi[rows] = me, relabel[child]
                lam_[rows], csz[rows] = lam, size[child]
                rows += 1
            else:
                relabel[child] = me
            queue[q_in] = child
            q_in += 1
    n_clusters = next_label - n
    return (
        par[:rows].copy(),
        chi[:rows].copy(),
        lam_[:rows].copy(),
        csz[:rows].copy(),
        n_clusters,
    )


@njit(cache=True, nogil=True)
def excess_of_mass(
    stability: _Float, cluster_parent: _Int
) -> NDArray[np.bool_]:  # pragma: no cover (compiled)
    """The clusters excess of mass selects, the root (0) excluded.

    Bottom up (a child's number is above its parent's): a cluster is kept when
    its own stability is at least its children's summed; else it carries their
    sum upwards. `stability` is changed in place. Keeping a cluster drops every
    cluster below it.
    """
    k = len(stability)
    n_children = np.zeros(k + 1, dtype=np.int64)
    for c in range(1, k):
        n_children[cluster_parent[c] + 1] += 1
    first = np.cumsum(n_children)
    fill = first[:-1].copy()
    child = np.empty(max(k - 1, 1), dtype=np.int64)
    for c in range(1, k):
        p = cluster_parent[c]
        child[fill[p]] = c
        fill[p] += 1
    selected = np.zeros(k, dtype=np.bool_)
    stack = np.empty(k, dtype=np.int64)
    for c in range(k - 1, 0, -1):
        sub = 0.0
        for t in range(first[c], first[c + 1]):
            sub += stability[child[t]]
        if sub > stability[c]:
            stability[c] = sub
        else:
            selected[c] = True
            top = 0
            for t in range(first[c], first[c + 1]):
                stack[top] = child[t]
                top += 1
            while top:
                top -= 1
                x = stack[top]
                selected[x] = False
                for t in range(first[x], first[x + 1]):
                    stack[top] = child[t]
                    top += 1
    return selected


@njit(cache=True, nogil=True)
def owners(
    selected: NDArray[np.bool_], cluster_parent: _Int
) -> _Int:  # pragma: no cover (compiled)
    """Each cluster's selected cluster: itself or its nearest selected ancestor.

    Selected clusters are numbered 0, 1, ... in cluster order; -1 for none.
    """
    k = len(selected)
    number = np.full(k, -1, dtype=np.int64)
    count = 0
    for c in range(k):
        if selected[c]:
            number[c] = count
            count += 1
    owner = np.full(k, -1, dtype=np.int64)
    for c in range(1, k):
        owner[c] = number[c] if selected[c] else owner[cluster_parent[c]]
    return owner


# --------------------------------------------------------------------------- Borůvka


@njit(cache=True, nogil=True)
def _kd_tree(
    xy: _Float, leaf_size: int
) -> tuple[_Int, _Int, _Int, _Float]:  # pragma: no cover
    """A balanced k-d tree over 2-D points, as flat arrays.

    Node ``i`` has children ``2i + 1`` and ``2i + 2``; its points are
    ``perm[lo[i]:hi[i]]``, split at the middle along the box's longer side;
    ``box[i]`` is (x min, y min, x max, y max). Leaves hold at most `leaf_size`
    points (at least one).
    """
    n = len(xy)
    levels = 1
    while (n + (1 << (levels - 1)) - 1) >> (levels - 1) > leaf_size:
        levels += 1
    n_nodes = (1 << levels) - 1
    perm = np.arange(n)
    lo = np.zeros(n_nodes, dtype=np.int64)
    hi = np.zeros(n_nodes, dtype=np.int64)
    box = np.empty((n_nodes, 4))
    lo[0], hi[0] = 0, n
    first_leaf = (1 << (levels - 1)) - 1
    for i in range(first_leaf):  # parents before children
        s, e = lo[i], hi[i]
        mid = s + (e - s) // 2
        if e - s > 1:
            pts = perm[s:e]
            wx = xy[pts, 0].max() - xy[pts, 0].min()
            wy = xy[pts, 1].max() - xy[pts, 1].min()
            dim = 0 if wx >= wy else 1
            order = np.argsort(xy[pts, dim], kind="mergesort")
            perm[s:e] = pts[order]
        lo[2 * i + 1], hi[2 * i + 1] = s, mid
        lo[2 * i + 2], hi[2 * i + 2] = mid, e
    for i in range(n_nodes - 1, -1, -1):  # children before parents
        if i >= first_leaf:
            if hi[i] > lo[i]:
                pts = perm[lo[i] : hi[i]]
                box[i, 0], box[i, 1] = xy[pts, 0].min(), xy[pts, 1].min()
                box[i, 2], box[i, 3] = xy[pts, 0].max(), xy[pts, 1].max()
            else:  # empty: a box no point is near
                box[i, 0] = box[i, 1] = np.inf
                box[i, 2] = box[i, 3] = -np.inf
        else:
            left, right = 2 * i + 1, 2 * i + 2
            box[i, 0] = min(box[left, 0], box[right, 0])
            box[i, 1] = min(box[left, 1], box[right, 1])
            box[i, 2] = max(box[left, 2], box[right, 2])
            box[i, 3] = max(box[left, 3], box[right, 3])
    return perm, lo, hi, box


@njit(cache=True, nogil=True)
def _box_distance(box: _Float, i: int, x: float, y: float) -> float:
    dx = max(box[i, 0] - x, 0.0, x - box[i, 2])
    dy = max(box[i, 1] - y, 0.0, y - box[i, 3])
    return np.sqrt(dx * dx + dy * dy)


@njit(cache=True, nogil=True)
def boruvka(
    xy: _Float, core: _Float
) -> tuple[_Int, _Int, _Float]:  # pragma: no cover (compiled)
    """A minimum spanning tree of the mutual-reachability graph (unsorted).

    Weights ``max(core_a, core_b, d_ab)``. Borůvka's algorithm over a k-d
    tree: each round finds every component's lightest edge to another, then
    joins them lightest first, skipping any that would close a loop (equal
    weights can make two components choose edges between the same pair). A
    point's search skips the nodes whose points all lie in its component, and
    those whose least possible weight (its own core distance, the node's least
    core distance, the distance to the node's box) reaches its component's
    lightest edge so far; a point whose core distance reaches that edge is not
    searched at all. About log₂(L) rounds for L points.
    """
    n = len(xy)
    m = max(n - 1, 0)
    out_a = np.empty(m, dtype=np.int64)
    out_b = np.empty(m, dtype=np.int64)
    out_w = np.empty(m, dtype=np.float64)
    if n < 2:
        return out_a, out_b, out_w
    perm, lo, hi, box = _kd_tree(xy, 16)
    n_nodes = len(lo)
    first_leaf = (n_nodes - 1) // 2
    least_core = np.empty(n_nodes)
    for i in range(n_nodes - 1, -1, -1):
        if i >= first_leaf:
            c = np.inf
            for t in range(lo[i], hi[i]):
                c = min(c, core[perm[t]])
            least_core[i] = c
        else:
            least_core[i] = min(least_core[2 * i + 1], least_core[2 * i + 2])
    links = np.arange(n)
    comp = np.arange(n)
    node_comp = np.empty(n_nodes, dtype=np.int64)
    best_w = np.empty(n)
    best_a = np.empty(n, dtype=np.int64)
    best_b = np.empty(n, dtype=np.int64)
    # depth first, a node popped puts its two children on: at most one waits
    # per level, and a tree of int64 positions has under 64 levels
    stack = np.empty(128, dtype=np.int64)
    stack_lb = np.empty(len(stack))
    n_edges = 0
    while n_edges < n - 1:
        for p in range(n):  # every point's component, by its root
            comp[p] = _root(links, p)
        for i in range(n_nodes - 1, -1, -1):  # a node's one component, or -1
            if i >= first_leaf:
                c = -2  # empty
                for t in range(lo[i], hi[i]):
                    cp = comp[perm[t]]
                    if c == -2:
                        c = cp
                    elif c != cp:
                        c = -1
                        break
                node_comp[i] = c
            else:
                cl, cr = node_comp[2 * i + 1], node_comp[2 * i + 2]
                node_comp[i] = (
                    cl if (cl == cr or cr == -2) else (cr if cl == -2 else -1)
                )
        best_w[:] = np.inf
        for t in range(n):  # in the tree's order: neighbours one after another
            q = perm[t]
            c = comp[q]
            cq = core[q]
            if cq >= best_w[c]:
                continue
            x, y = xy[q, 0], xy[q, 1]
            # a node's least possible weight from q (its core distance, the
            # node's least core distance, the distance to its box), found as it
            # is put on the stack; inf: all in q's component, or empty. Written
            # out here and for the children below: a function for it, called in
            # this loop, made the search 3 times slower
            top = 0
            if node_comp[0] != c and node_comp[0] != -2:
                stack[0] = 0
                stack_lb[0] = max(cq, least_core[0], _box_distance(box, 0, x, y))
                top = 1
            while top:
                top -= 1
                i = stack[top]
                if stack_lb[top] >= best_w[c]:
                    continue
                if i >= first_leaf:
                    for s in range(lo[i], hi[i]):
                        p = perm[s]
                        if comp[p] == c:
                            continue
                        dx, dy = xy[p, 0] - x, xy[p, 1] - y
                        w = max(cq, core[p], np.sqrt(dx * dx + dy * dy))
                        if w < best_w[c]:
                            best_w[c], best_a[c], best_b[c] = w, q, p
                    continue
                left, right = 2 * i + 1, 2 * i + 2
                lb_left = lb_right = np.inf
                if node_comp[left] != c and node_comp[left] != -2:
                    lb_left = max(cq, least_core[left], _box_distance(box, left, x, y))
                if node_comp[right] != c and node_comp[right] != -2:
                    lb_right = max(
                        cq, least_core[right], _box_distance(box, right, x, y)
                    )
                bound = best_w[c]
                if lb_left > lb_right:  # the lighter searched first (pushed last)
                    left, right = right, left
                    lb_left, lb_right = lb_right, lb_left
                if lb_right < bound:
                    stack[top], stack_lb[top] = right, lb_right
                    top += 1
                if lb_left < bound:
                    stack[top], stack_lb[top] = left, lb_left
                    top += 1
        # the components' edges, lightest first (ties: by their ends)
        roots = np.flatnonzero(np.isfinite(best_w))
        if len(roots) == 0:
            raise RuntimeError("the mutual-reachability graph fell apart")
        ea, eb, ew = best_a[roots], best_b[roots], best_w[roots]
        lo_end, hi_end = np.minimum(ea, eb), np.maximum(ea, eb)
        order = np.argsort(hi_end, kind="mergesort")
        order = order[np.argsort(lo_end[order], kind="mergesort")]
        order = order[np.argsort(ew[order], kind="mergesort")]
        for k in order:
            ra, rb = _root(links, ea[k]), _root(links, eb[k])
            if ra != rb:
                links[ra] = rb
                out_a[n_edges], out_b[n_edges], out_w[n_edges] = ea[k], eb[k], ew[k]
                n_edges += 1
    return out_a, out_b, out_w


@njit(cache=True, nogil=True)
def kde_sums(
    row: _Int,
    col: _Int,
    rel_x: _Float,
    rel_y: _Float,
    weight: _Float,
    nx: int,
    rows: tuple[int, int],
    cell: float,
    reach: float,
    h: float,
    gaussian: bool,
    density: _Float,
    count: _Float,
) -> None:  # pragma: no cover (compiled)
    """Add each location's kernel and weight to the cells of `rows` near it.

    Locations in the cells ``(row, col)`` of a grid `nx` cells wide, at
    ``(rel_x, rel_y)`` metres from its corner, with their summed `weight`.
    Every cell of rows ``rows[0] <= r < rows[1]`` whose centre is within
    `reach` of a location gets ``weight × kernel × 1e6`` (per km²) added to
    `density` (flat, row by row) and, within `h`, ``weight`` to `count`: the
    quartic kernel ``3 / (π h²) (1 - d²/h²)²``, or the Gaussian
    ``exp(-d² / 2h²) / (2π h²)`` cut at ``4h`` (`hotspots.density._kernel_values`,
    the same arithmetic). Cells are visited column offset by column offset, each
    location in turn, then row offset by row offset, so a cell's terms are
    added in the same order whichever `rows` a call covers.
    """
    r2 = reach * reach
    h2 = h * h
    big = math.ceil(reach / cell) + 1
    quartic = 3.0 / (math.pi * h * h)
    spread = 2.0 * h * h
    norm = 2.0 * math.pi * h * h
    cut = (4.0 * h) ** 2
    first, last = rows
    for di in range(-big, big + 1):
        for p in range(len(row)):
            if row[p] + big < first or row[p] - big >= last:
                continue
            cc = col[p] + di
            if cc < 0 or cc >= nx:
                continue
            dx2 = ((cc + 0.5) * cell - rel_x[p]) ** 2
            if dx2 > r2:
                continue
            for dj in range(-big, big + 1):
                rr = row[p] + dj
                if rr < first or rr >= last:
                    continue
                d2 = dx2 + ((rr + 0.5) * cell - rel_y[p]) ** 2
                if d2 > r2:
                    continue
                if gaussian:
                    k = np.exp(-d2 / spread) / norm if d2 < cut else 0.0
                else:
                    u = d2 / h2
                    k = quartic * (1.0 - u) ** 2 if u < 1.0 else 0.0
                at = rr * nx + cc
                density[at] += weight[p] * (k * 1e6)
                if d2 <= h2:
                    count[at] += weight[p]


def warm() -> None:
    """Compile these functions, or load them from the disk cache (a tiny run)."""
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [6.0, 0.0]])
    a, b, d = boruvka(xy, np.zeros(4))
    order = np.argsort(d, kind="mergesort")
    start, kids, heights = tie_hierarchy(a[order], b[order], d[order], 4)
    size = node_sizes(np.ones(4), start, kids)
    _, _, _, _, k = condense(start, kids, heights, size, 2.0)
    parent = np.full(k, -1, dtype=np.int64)
    owners(excess_of_mass(np.zeros(k), parent), parent)
    one = np.zeros(1, dtype=np.int64)
    for gaussian in (False, True):
        kde_sums(
            one, one, np.full(1, 25.0), np.full(1, 25.0), np.ones(1), 2, (0, 2),
            50.0, 50.0, 50.0, gaussian, np.zeros(4), np.zeros(4),
        )  # fmt: skip
