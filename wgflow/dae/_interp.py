"""Local tensor-product cubic (4-point Lagrange) interpolation of fields on a grid.

Local on purpose: a global spline would carry boundary errors of fields that grow towards the
walls (displacements, ``log rho``) into the interior.  Exact for polynomials of degree 3 in each
coordinate, fourth order for smooth fields.  Near the walls the stencil is shifted inside
(one-sided); over the half cells between the outermost cell centres and the walls the end
polynomials are extrapolated, and beyond the walls the value at the wall is held.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from ..grid import Grid


def _axis_stencil(q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Node indices ``(4, k)`` and Lagrange weights ``(4, k)`` along one axis.

    ``q`` is the index coordinate (cell centres at 0..n-1).  With fewer than 4 nodes the
    interpolation is linear.
    """
    q = np.clip(q, -0.5, n - 0.5)
    if n < 4:
        base = np.clip(np.floor(q), 0, n - 2).astype(np.int64)
        s = q - base
        idx = np.stack([base, base + 1, base, base])
        w = np.stack([1.0 - s, s, np.zeros_like(s), np.zeros_like(s)])
        return idx, w
    base = np.clip(np.floor(q), 0, n - 2).astype(np.int64)
    start = np.clip(base - 1, 0, n - 4)
    r = q - start  # position relative to the first node, in [-0.5, 3.5]
    nodes = np.arange(4.0)
    w = np.empty((4, q.size))
    for j in range(4):
        others = [m for m in range(4) if m != j]
        num = np.ones_like(r)
        den = 1.0
        for m in others:
            num = num * (r - nodes[m])
            den *= nodes[j] - nodes[m]
        w[j] = num / den
    idx = start[None, :] + np.arange(4)[:, None]
    return idx, w


class LocalCubic:
    """Interpolation weights for a set of points, reusable across fields.

    Parameters
    ----------
    grid : Grid
        The grid of the fields.
    points : numpy.ndarray
        Shape ``(k, d)``, physical coordinates.
    """

    def __init__(self, grid: Grid, points: np.ndarray):
        self.grid = grid
        stencils = []
        for k, ((a, _), h, n) in enumerate(zip(grid.bounds, grid.spacing, grid.shape)):
            q = (points[:, k] - a) / h - 0.5
            stencils.append(_axis_stencil(q, n))
        strides = [int(np.prod(grid.shape[k + 1 :])) for k in range(grid.ndim)]
        flats, weights = [], []
        for combo in product(range(4), repeat=grid.ndim):
            flat = np.zeros(points.shape[0], dtype=np.int64)
            weight = np.ones(points.shape[0])
            for axis, j in enumerate(combo):
                idx, w = stencils[axis]
                flat += strides[axis] * idx[j]
                weight = weight * w[j]
            flats.append(flat)
            weights.append(weight)
        self._flat = np.stack(flats)  # (4^d, k)
        self._weights = np.stack(weights)

    def __call__(self, fields: np.ndarray) -> np.ndarray:
        """Interpolate ``fields`` of shape ``(m, *grid.shape)`` (or ``grid.shape``)."""
        fields = np.asarray(fields, dtype=float)
        single = fields.shape == self.grid.shape
        flat = fields.reshape(1 if single else fields.shape[0], -1)
        out = np.einsum("sk,msk->mk", self._weights, flat[:, self._flat])
        return out[0] if single else out
