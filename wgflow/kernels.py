"""One-dimensional Gibbs kernels applied along an axis of an array, at the cost of their band.

The Gibbs kernel ``K_ij = exp(-(x_i - x_j)^2 / gamma)`` of a grid axis is numerically
banded: it falls below ``2^-52`` of its peak beyond ``sqrt(36.04 gamma)`` (8.5 cells at
``gamma = 2 h^2``) and underflows to exactly zero beyond ``sqrt(745 gamma)`` (38 cells).
Dropping the entries below ``2^-52`` changes ``K x`` by at most ``2^-52 max x``, but the
arrays that a Sinkhorn iteration multiplies span many orders of magnitude: where mass moves
into vacuum the scalings grow like ``exp(d^2 / gamma)``, and a kernel entry ``exp(-40)``
times a scaling ``exp(40)`` is the whole of the result at that cell.  (Truncated at
``2^-52``, one heat step from an indicator function on 512 cells changes by 23% of its
maximum.)  So each product chooses its band from the array it multiplies, with a
certificate that no entry of the result changes by more than ``2^-52`` of itself:

* exp domain (:class:`AxisKernel`): the dropped entries change the result at a cell by at
  most ``tail(w) max x`` and the result is at least ``floor min x`` (all terms are
  nonnegative; ``floor = min_i max_j K_ij``, 1 for the Gibbs kernel), so the band is the
  smallest ``w`` with ``tail(w) <= 2^-52 floor min x / max x``.  An array with zeros (vacuum)
  or negative entries keeps every entry that the dense matrix does not hold as an exact zero,
  and the product runs only over the bounding box of its nonzero entries, grown by the band:
  term by term the dense product, at the cost of the support.
* log domain (:class:`LogAxisKernel`): ``log sum_j exp(l_j - C_ij)`` over a band, stable for
  ``l = -inf`` (vacuum, never NaN).  The dropped terms add up to at most
  ``exp(max l) tail(w)`` and the result is at least ``exp(min l)`` when every entry is
  finite; with vacuum the computed minimum of the result certifies the band or gives the
  band that it certifies (the whole axis where a cell has no mass within reach: the log
  domain keeps every term, however small).

Products run on numpy arrays (another backend needs its own version of this module): in
blocks of :data:`BLOCK` rows of the dense matrix that see the columns within the band, or as
one product over the box where blocks would not be much cheaper, on one BLAS thread
(:func:`single_blas_thread`): the products are small, and BLAS threads that wait for each
other made two processes sharing two cores 50 times slower.  Intermediate products go to
buffers that the caller keeps (fresh arrays of a few MiB cost page faults on every product).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

#: Relative change of an entry of a product that dropping the entries beyond the band may
#: cause: float64 resolution ``2^-52``.
EPS = float(np.finfo(float).eps)

#: Rows of the matrix per block product (exp domain); the most cells per block of the log
#: domain's whole-axis sum (:meth:`LogAxisKernel._whole_axis`).
BLOCK = 32

#: One product over the box instead of blocks when a block's columns (``BLOCK + 2 w``) reach
#: this fraction of the box, or the product has at most ``2 BLOCK`` rows.  Measured on
#: ``n x n`` arrays (time of the single product / time of the blocks): 1.10 at ``n = 96, w =
#: 24`` (fraction 0.83), 0.96 at ``n = 96, w = 38`` (1.12), 1.25 at ``n = 128, w = 38``
#: (0.84), 2.0 at ``n = 128, w = 8``, 4.0 at ``n = 256, w = 8``; 0.94 at ``n = 64, w = 8``.
DENSE_FRACTION = 0.9

#: Measured cost (ns, numpy on one core) of the log-sum-exp: per term of the whole-axis sum by
#: blocks (1.5 on 256 lines of 256 cells, 3.6 on one line of 512), per term of the banded sum,
#: and per offset of the band.
LOG_COSTS = (3.0, 7.0, 5000.0)

#: ``(lo, hi)`` per axis: the entries of an array outside are zero.
Box = list[tuple[int, int]]


@cache
def _blas_libraries() -> list[Any]:
    """threadpoolctl's controllers of the BLAS libraries loaded (numpy's among them)."""
    return list(ThreadpoolController().select(user_api="blas").lib_controllers)


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block inside on one BLAS thread, then restore each library's setting."""
    libraries = [(lib, lib.get_num_threads()) for lib in _blas_libraries()]
    for lib, _ in libraries:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, threads in libraries:
            lib.set_num_threads(threads)


def support_box(x: np.ndarray) -> Box:
    """Bounding box of the nonzero (or NaN) entries of ``x``; ``(0, 0)`` per axis if none."""
    box = []
    for axis in range(x.ndim):
        others = tuple(k for k in range(x.ndim) if k != axis)
        hits = np.flatnonzero(np.any(x, axis=others))
        if hits.size == 0:
            return [(0, 0)] * x.ndim
        box.append((int(hits[0]), int(hits[-1]) + 1))
    return box


def apply_separable(
    kernels: Sequence[AxisKernel], x: np.ndarray, buffers: Sequence[np.ndarray]
) -> np.ndarray:
    """``kernels[k]`` applied along each axis ``k`` of ``x`` (exp domain), entry by entry
    within ``EPS`` of the dense products (plus round-off).

    A positive ``x`` gets the band of its ratio ``max x / min x`` (after each axis the ratio
    grows at most by the matrix's :attr:`AxisKernel.spread`); any other ``x`` every nonzero
    entry of the matrices, over the bounding box of its support.  ``buffers`` (two arrays of
    ``x.shape`` for three axes, one for two) take the intermediate products; the result is a
    new array.
    """
    smallest = float(x.min())
    ratio = float(x.max()) / smallest if smallest > 0 else math.inf
    if not ratio < math.inf:  # zeros, negative entries, inf or NaN
        ratio, box = math.inf, support_box(x)
    else:
        box = [(0, n) for n in x.shape]
    with single_blas_thread():
        for axis, kernel in enumerate(kernels):
            out = np.empty(x.shape) if axis == len(kernels) - 1 else buffers[axis % 2]
            box = kernel.apply(x, axis, box, kernel.band(ratio), out)
            ratio *= kernel.spread
            x = out
    return x


def _lines(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    """``(p, n, q)``: an array of ``shape`` as ``p x q`` lines of ``n`` entries along ``axis``."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])


def _distance_sums(entries: np.ndarray, add: Any, empty: float) -> np.ndarray:
    """``out[i, k]``: ``add`` of the entries ``(i, i - k)`` and ``(i, i + k)`` of a square array."""
    n = len(entries)
    out = np.full((n, n), empty)
    out[:, 0] = np.diagonal(entries)
    for k in range(1, n):
        out[: n - k, k] = add(out[: n - k, k], np.diagonal(entries, k))
        out[k:, k] = add(out[k:, k], np.diagonal(entries, -k))
    return out


class AxisKernel:
    """A symmetric matrix with nonnegative entries, applied along one axis (exp domain).

    Parameters
    ----------
    matrix : ndarray
        The ``n x n`` matrix, for example ``exp(-C / gamma)``.

    Attributes
    ----------
    tail : ndarray
        ``tail[w] = max_i sum_{|j - i| > w} M_ij``: the most that dropping the entries beyond
        distance ``w`` takes from a row sum; exactly zero from the last nonzero distance on.
    floor : float
        ``min_i max_j M_ij``: a product of a positive array is at least ``floor min x``.
    spread : float
        ``max_i sum_j M_ij / floor``: the most a product can raise ``max x / min x`` by.
    """

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix
        by_distance = _distance_sums(matrix, np.add, 0.0)
        beyond = np.zeros_like(by_distance)
        beyond[:, :-1] = np.cumsum(by_distance[:, :0:-1], axis=1)[:, ::-1]
        self.tail = beyond.max(axis=0)
        self.floor = float(matrix.max(axis=1).min())
        largest = float(matrix.sum(axis=1).max())
        self.spread = largest / self.floor if self.floor > 0 else math.inf

    def band(self, ratio: float) -> int:
        """Smallest band ``w`` that changes no entry of ``M x`` by more than ``EPS`` of itself
        for a positive ``x`` with ``max x / min x = ratio`` (``inf``: only exact zeros)."""
        return int(np.argmax(self.tail <= EPS * self.floor / ratio))

    def apply(self, x: np.ndarray, axis: int, box: Box, w: int, out: np.ndarray) -> Box:
        """Write to ``out`` the entries of ``M`` within ``w`` of the diagonal (and the others
        that a block holds) applied along ``axis`` of ``x``, whose entries outside ``box`` are
        zero; return the box of the product (``box`` grown by ``w`` along ``axis``)."""
        lo, hi = box[axis]
        out_box = list(box)
        out_box[axis] = (max(lo - w, 0), min(hi + w, x.shape[axis]))
        full = all(b == (0, n) for b, n in zip(out_box, x.shape))
        if not full:
            out.fill(0.0)
        part = x[tuple(slice(a, b) for a, b in box)]
        if part.size == 0:
            return box
        p, _, q = _lines(part.shape, axis)
        rows = out_box[axis][1] - out_box[axis][0]
        target = out.reshape(p, rows, q) if full else np.empty((p, rows, q))
        self._product(part.reshape(p, hi - lo, q), lo, hi, out_box[axis], w, target)
        if not full:
            out[tuple(slice(a, b) for a, b in out_box)] = target.reshape(
                tuple(b - a for a, b in out_box))
        return out_box

    def _product(self, lines: np.ndarray, lo: int, hi: int, rows: tuple[int, int], w: int,
                 out: np.ndarray) -> None:
        """Rows ``rows`` of ``M[:, lo:hi] @ lines`` into ``out`` (``lines``: ``p x (hi - lo) x
        q``), in blocks of :data:`BLOCK` rows that see the columns within ``w`` of them."""
        first, last = rows
        if BLOCK + 2 * w >= DENSE_FRACTION * (hi - lo) or last - first <= 2 * BLOCK:
            _matmul(self.matrix[first:last, lo:hi], lines, out)
            return
        for r0 in range(first, last, BLOCK):
            r1 = min(r0 + BLOCK, last)
            c0, c1 = max(lo, r0 - w), min(hi, r1 + w)
            _matmul(self.matrix[r0:r1, c0:c1], lines[:, c0 - lo : c1 - lo],
                    out[:, r0 - first : r1 - first])


def _matmul(block: np.ndarray, lines: np.ndarray, out: np.ndarray) -> None:
    """``out = block @ lines`` for ``lines`` of shape ``p x c x q``: one product when ``p`` or
    ``q`` is 1, else one per leading index."""
    p, _, q = lines.shape
    if q == 1:
        np.matmul(lines[:, :, 0], block.T, out=out[:, :, 0])
    elif p == 1:
        np.matmul(block, lines[0], out=out[0])
    else:
        np.matmul(block, lines, out=out)


class LogAxisKernel:
    """``log sum_j exp(l_j - C_ij)`` along a uniform axis, ``C_ij = c (i - j)^2`` (log domain).

    Parameters
    ----------
    cost : ndarray
        The ``n x n`` cost ``C = (x_i - x_j)^2 / gamma`` of a uniform axis.

    Attributes
    ----------
    log_tail : ndarray
        ``log_tail[w] = max_i log sum_{|j - i| > w} exp(-C_ij)`` (``-inf`` for ``w = n - 1``).
    block : int
        Cells per block of the whole-axis sum (:meth:`_whole_axis`): at most :data:`BLOCK`,
        and ``c (block - 1)^2 <= 600``.
    """

    def __init__(self, cost: np.ndarray) -> None:
        self.cost = cost
        n = len(cost)
        self._step = float(cost[0, 1]) if n > 1 else 1.0
        distances = np.arange(n, dtype=float)
        uniform = self._step * (distances[:, None] - distances[None, :]) ** 2
        if not np.allclose(cost, uniform, rtol=1e-12, atol=0.0):
            raise ValueError("LogAxisKernel needs the cost of a uniform axis, c (i - j)^2")
        self.block = max(1, min(BLOCK, int(1 + math.sqrt(600.0 / self._step)), n))
        offsets = np.arange(self.block, dtype=float)
        self._block_matrix = np.exp(-self._step * (offsets[:, None] - offsets[None, :]) ** 2)
        self._diagonals = [np.diagonal(cost, k)[:, None] for k in range(n)]
        by_distance = _distance_sums(-cost, np.logaddexp, -np.inf)
        beyond = np.full_like(by_distance, -np.inf)
        beyond[:, :-1] = np.logaddexp.accumulate(by_distance[:, :0:-1], axis=1)[:, ::-1]
        self.log_tail = beyond.max(axis=0)

    def band(self, spread: float) -> int:
        """Smallest band ``w`` whose dropped terms, each at most ``exp(max l - C_ij)``, add up
        to at most ``EPS`` of any result ``>= max l - spread``."""
        return int(np.argmax(self.log_tail <= math.log(EPS) - spread))

    def apply(self, log_x: np.ndarray, axis: int) -> np.ndarray:
        """``log(M exp(log_x))`` along ``axis`` (``M = exp(-C)``), ``-inf`` for ``exp = 0``."""
        shape = log_x.shape
        p, n, q = _lines(shape, axis)
        lines = log_x.reshape(p, n, q)
        top, bottom = float(lines.max()), float(lines.min())
        if top == -math.inf:
            return log_x  # vacuum everywhere
        if not top < math.inf:  # NaN or inf: every term, as the dense sum has them
            return self._sum(lines, n - 1).reshape(shape)
        vacuum = bottom == -math.inf
        if vacuum:  # a first guess, checked below
            bottom = float(np.min(lines, where=np.isfinite(lines), initial=math.inf))
        # the result is at least log_x: a priori certified when every entry is finite
        w = self.band(top - bottom)
        while True:
            out = self._sum(lines, w)
            if not vacuum:
                return out.reshape(shape)
            occupied = lines.max(axis=1) > -math.inf  # the other lines stay -inf
            needed = self.band(top - float(out.min(axis=1)[occupied].min()))
            if needed <= w:
                return out.reshape(shape)
            w = needed

    def _sum(self, lines: np.ndarray, w: int) -> np.ndarray:
        """The log-sum-exp over the entries within ``w`` of each cell: banded, or over the
        whole axis by blocks where that costs less (:data:`LOG_COSTS`)."""
        size, n = lines.size, lines.shape[1]
        whole, banded, offset = LOG_COSTS
        if whole * size * n < (2 * w + 1) * (banded * size + offset):
            return self._whole_axis(lines)
        return self._banded(lines, w)

    def _banded(self, lines: np.ndarray, w: int) -> np.ndarray:
        """Log-sum-exp over the entries within ``w`` of each cell, shifted by their maximum."""
        top = lines.copy()
        for k in range(1, w + 1):
            cost = self._diagonals[k]
            np.maximum(top[:, k:], lines[:, :-k] - cost, out=top[:, k:])
            np.maximum(top[:, :-k], lines[:, k:] - cost, out=top[:, :-k])
        shift = np.where(np.isfinite(top), top, 0.0)
        total = np.exp(lines - shift)
        for k in range(1, w + 1):
            cost = self._diagonals[k]
            total[:, k:] += np.exp(lines[:, :-k] - cost - shift[:, k:])
            total[:, :-k] += np.exp(lines[:, k:] - cost - shift[:, :-k])
        with np.errstate(divide="ignore"):
            return shift + np.log(total)

    def _whole_axis(self, lines: np.ndarray) -> np.ndarray:
        """The log-sum-exp over the whole axis (``p x n x q`` lines), by blocks of ``B`` cells.

        On a uniform axis ``C_ij = c (i - j)^2``.  For the cells ``i = R B + r`` of row block
        ``R`` and ``j = J B + s`` of column block ``J``, ``D = (R - J) B``,

            l_j - C_ij = (l_j + 2 c D s) - c D^2 - 2 c D r - c (r - s)^2,

        so with ``w_s = l_j + 2 c D s`` and its maximum ``m`` over the block the pair adds
        ``m - c D^2 - 2 c D r + log sum_s E_rs exp(w_s - m)``, ``E_rs = exp(-c (r - s)^2)`` one
        fixed ``B x B`` matrix: a matrix product instead of ``B^2`` exponentials, and a
        log-sum-exp over ``n / B`` block terms per cell.  Exact to round-off: the inner sum
        of a row is at least ``E_rs* >= exp(-c (B - 1)^2) >= e^-600`` (:attr:`block`), so the
        entries of ``exp(w_s - m)`` that underflow (below ``e^-708`` of the largest) change it
        by less than ``e^-108`` of itself.  ``-inf`` entries (vacuum) contribute nothing.
        """
        p, n, q = lines.shape
        b = self.block
        blocks_n = -(-n // b)
        padded = np.full((p, blocks_n * b, q), -np.inf)
        padded[:, :n] = lines
        blocks = padded.reshape(p, blocks_n, b, q)
        offsets = np.arange(b, dtype=float)[None, None, :, None]
        top = np.full(blocks.shape, -np.inf)
        total = np.zeros(blocks.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            for delta in range(1 - blocks_n, blocks_n):  # row block R = column block J + delta
                d = float(delta * b)
                j0, j1 = max(0, -delta), min(blocks_n, blocks_n - delta)
                w = blocks[:, j0:j1] + (2.0 * self._step * d) * offsets
                m = w.max(axis=2, keepdims=True)
                m = np.where(np.isfinite(m), m, 0.0)
                inner = np.einsum("rs,pjsq->pjrq", self._block_matrix, np.exp(w - m))
                term = m - self._step * d * d - (2.0 * self._step * d) * offsets + np.log(inner)
                rows = slice(j0 + delta, j1 + delta)
                largest = np.maximum(top[:, rows], term)
                shift = np.where(np.isfinite(largest), largest, 0.0)
                total[:, rows] = total[:, rows] * np.exp(top[:, rows] - shift) + np.exp(
                    term - shift)
                top[:, rows] = largest
            out = top + np.log(total)
        return out.reshape(p, blocks_n * b, q)[:, :n]
