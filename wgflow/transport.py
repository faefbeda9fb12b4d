"""The one module that calls POT (Python Optimal Transport).

Everything optimal-transport in wgflow goes through here: the Gibbs kernels of the
entropic JKO step (separable, each product over the band its array needs, from
:mod:`wgflow.kernels`; or dense from ``ot.dist``), the Wasserstein distance that trackers
record (:func:`wasserstein2`, computed by :mod:`wgflow.wasserstein` on the separable kernel;
the point-mass linear program ``ot.emd2`` and ``ot.wasserstein_1d`` remain as the reference
:func:`point_mass_wasserstein2`), the Bures–Wasserstein distance between
Gaussians (``ot.gaussian``) and the dense reference solvers the tests compare with
(``ot.sinkhorn2``, ``ot.unbalanced.sinkhorn_unbalanced``).

Kernels act on arrays of shape ``grid.shape`` holding cell masses.  Both give
``K x`` with ``K_ij = exp(-|x_i - x_j|^2 / gamma)`` (exp domain) and
``log(K exp(l))`` (log domain, stable for any gamma and for vacuum), on the arrays of one
:class:`~wgflow.backend.ArrayBackend` (numpy, jax, torch or cupy; POT's backend objects
``nx`` come from :func:`get_backend` here).
"""

from __future__ import annotations

import functools
import operator
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import ot

from .density import Density
from .errors import WgflowError, check_choice, check_density, check_positive
from .grid import Grid
from .kernels import AxisKernel, LogAxisKernel, apply_separable
from .wasserstein import W2Result, grid_wasserstein2

if TYPE_CHECKING:
    from .backend import ArrayBackend

#: Largest number of cells (per density, after dropping empty cells) for which
#: :func:`point_mass_wasserstein2` solves the exact linear program; larger supports are
#: coarsened.
EXACT_W2_MAX_POINTS = 1024


def get_backend(*arrays: Any) -> Any:
    """POT's backend object ``nx`` for ``arrays`` (``ot.backend.get_backend``); a
    ``ValueError`` for arrays of no backend or of several."""
    return ot.backend.get_backend(*arrays)


class SeparableGibbsKernel:
    """The Gibbs kernel ``exp(-|x - y|^2 / gamma)`` on a grid, applied axis by axis.

    Because the squared distance is a sum over axes, ``K`` is the tensor product of one
    ``n_k x n_k`` matrix per axis, and each is numerically banded.  Every product runs over
    the band that its array needs (:mod:`wgflow.kernels`): entry by entry it equals the dense
    per-axis product to ``2^-52`` relative plus round-off, for scalings spanning any range
    and for densities with vacuum.  It costs about ``2 * 8 + 1`` terms per cell and axis for
    a smooth positive array at ``gamma = 2 h^2``, the support of the array times the band of
    the exact zeros of the kernel for an array with vacuum, and never more than the dense
    product; memory is linear in the number of cells and BLAS runs on one thread.  A kernel
    keeps work arrays: one kernel must not be used by two threads at once.

    Parameters
    ----------
    grid : Grid
        The grid.
    gamma : float
        Entropic regularisation (units of squared length).
    """

    def __init__(self, grid: Grid, gamma: float, backend: ArrayBackend | None = None) -> None:
        self.grid = grid
        self.gamma = check_positive("gamma", gamma)
        self.backend = _numpy_backend() if backend is None else backend
        self._cost = [(x[:, None] - x[None, :]) ** 2 / self.gamma for x in grid.axes]
        self.nx = self.backend.nx
        self._kernels = [AxisKernel(np.exp(-c)) for c in self._cost]
        self._buffers = [np.empty(grid.shape) for _ in range(min(grid.ndim - 1, 2))]
        if not self.backend.is_numpy:  # dense per-axis products on the backend's device
            self._matrices = [self.backend.asarray(k.matrix) for k in self._kernels]
            self._device_cost = [self.backend.asarray(c) for c in self._cost]

    @functools.cached_property
    def _cost_kernels(self) -> list[AxisKernel]:
        """Per axis, the matrix ``K_k * |x_i - x_j|^2`` (:meth:`cost_apply`)."""
        return [AxisKernel(k.matrix * c * self.gamma) for k, c in zip(self._kernels, self._cost)]

    @functools.cached_property
    def _log_kernels(self) -> list[LogAxisKernel]:
        return [LogAxisKernel(c) for c in self._cost]

    def apply(self, x: Any) -> Any:
        """``K x`` for an array of shape ``grid.shape`` on the kernel's backend (exp domain)."""
        if self.backend.is_numpy:
            return apply_separable(self._kernels, x, self._buffers)
        for axis, matrix in enumerate(self._matrices):
            x = self.backend.axis_product(matrix, x, axis)
        return x

    def cost_apply(self, x: np.ndarray) -> np.ndarray:
        """``(K * C) x`` with ``C_ij = |x_i - x_j|^2``, so that ``<C, P> = sum(a * cost_apply(b))``
        for the plan ``P = diag(a) K diag(b)``.  Separable because ``C`` is a sum over axes
        (numpy arrays; the numpy backend's kernel)."""
        terms = (
            apply_separable(
                [c if k == axis else m
                 for k, (m, c) in enumerate(zip(self._kernels, self._cost_kernels))],
                x, self._buffers,
            )
            for axis in range(self.grid.ndim)
        )
        return functools.reduce(operator.add, terms)

    def log_apply(self, log_x: Any) -> Any:
        """``log(K exp(log_x))`` by a log-sum-exp along each axis (log domain; ``-inf`` entries
        are vacuum, never NaN): banded on numpy, dense per axis on the other backends."""
        out = log_x
        if not self.backend.is_numpy:
            for axis, cost in enumerate(self._device_cost):
                out = self.backend.axis_log_product(cost, out, axis)
            return out
        for axis, kernel in enumerate(self._log_kernels):
            out = kernel.apply(out, axis)
        return out


class DenseGibbsKernel:
    """The same kernel as a dense ``N x N`` matrix built from ``ot.dist`` (small grids only).

    Used as the reference for the separable kernel and for POT's dense solvers; on any
    backend (``nx.dot``, ``nx.logsumexp``).
    """

    def __init__(self, grid: Grid, gamma: float, backend: ArrayBackend | None = None) -> None:
        if grid.size > 64 * 64:
            raise WgflowError(
                f"a dense Gibbs kernel on {grid.size} cells needs {grid.size**2 * 8 / 2**30:.1f}"
                " GiB; use the separable kernel for grids above 64^2 cells"
            )
        self.grid = grid
        self.gamma = check_positive("gamma", gamma)
        self.backend = _numpy_backend() if backend is None else backend
        cost = ot.dist(grid.points, grid.points, metric="sqeuclidean")
        self.cost = self.backend.asarray(cost)
        self.nx = self.backend.nx
        self.matrix = self.backend.asarray(np.exp(-cost / self.gamma))

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``K x`` (exp domain)."""
        return self.nx.reshape(self.nx.dot(self.matrix, self.nx.reshape(x, (-1,))), self.grid.shape)

    def cost_apply(self, x: np.ndarray) -> np.ndarray:
        """``(K * C) x``: ``<C, P> = sum(a * cost_apply(b))`` for ``P = diag(a) K diag(b)``."""
        flat = self.nx.reshape(x, (-1,))
        return self.nx.reshape(self.nx.dot(self.matrix * self.cost, flat), self.grid.shape)

    def log_apply(self, log_x: np.ndarray) -> np.ndarray:
        """``log(K exp(log_x))`` (log domain)."""
        flat = self.nx.reshape(log_x, (1, -1))
        return self.nx.reshape(
            self.nx.logsumexp(flat - self.cost / self.gamma, axis=1), self.grid.shape
        )


def make_kernel(
    grid: Grid, gamma: float, kind: str = "separable", backend: ArrayBackend | None = None
) -> SeparableGibbsKernel | DenseGibbsKernel:
    """A Gibbs kernel of the given ``kind``: ``"separable"`` (default) or ``"dense"``, acting
    on arrays of ``backend`` (:func:`wgflow.backend.resolve`; default numpy)."""
    check_choice("kernel kind", kind, ("separable", "dense"))
    kernel = SeparableGibbsKernel if kind == "separable" else DenseGibbsKernel
    return kernel(grid, gamma, backend)


def _numpy_backend() -> ArrayBackend:
    """The numpy :class:`~wgflow.backend.ArrayBackend` (imported here: that module takes POT's
    backends from this one)."""
    from .backend import resolve

    return resolve()


# -- Wasserstein distances -------------------------------------------------------------


def _coarsen(masses: np.ndarray) -> np.ndarray:
    """Sum masses over blocks of 2 cells per axis (odd trailing cells join the last block)."""
    for axis in range(masses.ndim):
        n = masses.shape[axis]
        if n >= 2:
            masses = np.add.reduceat(masses, np.arange(0, n - n % 2, 2), axis=axis)
    return masses


def wasserstein2(
    rho: Density,
    sigma: Density,
    *,
    rtol: float = 1e-3,
    atol: float | None = None,
    min_blur: float = 2.0,
    max_iterations: int = 10_000,
    strict: bool = True,
) -> float:
    """Quadratic Wasserstein distance ``W2(rho, sigma)`` between the normalised densities.

    In 1-D exactly, between the piecewise-constant densities of the cell values; in 2-D and
    3-D between the smooth densities the cell values sample, to the relative accuracy
    ``rtol`` (estimated, by default ``1e-3``): a shift by a fraction of a cell is that
    fraction, two sampled Gaussians are at their Bures distance (:mod:`wgflow.wasserstein`
    says how and why).  :func:`wasserstein2_result` takes the same options and also returns
    the error estimate and the work done.

    Parameters
    ----------
    rho, sigma : Density
        Densities on one grid, of positive mass (each is normalised).
    rtol, atol, min_blur, max_iterations, strict
        See :func:`wgflow.wasserstein.grid_wasserstein2`.

    Raises
    ------
    WgflowError
        For densities on different grids (:class:`~wgflow.errors.GridMismatchError`) or of
        zero mass, bad options, and a value not resolved to ``rtol`` (with ``strict``).
    """
    return wasserstein2_result(
        rho, sigma, rtol=rtol, atol=atol, min_blur=min_blur, max_iterations=max_iterations,
        strict=strict,
    ).value


def wasserstein2_result(
    rho: Density,
    sigma: Density,
    *,
    rtol: float = 1e-3,
    atol: float | None = None,
    min_blur: float = 2.0,
    max_iterations: int = 10_000,
    strict: bool = True,
) -> W2Result:
    """:func:`wasserstein2` with its error estimate, the blurs solved and the kernel products
    (:func:`wgflow.wasserstein.grid_wasserstein2` on :class:`SeparableGibbsKernel`)."""
    check_density("rho", rho)
    check_density("sigma", sigma)
    rho.grid.check_same(sigma.grid, "the densities compared by W2")
    return grid_wasserstein2(
        rho.grid, rho.masses, sigma.masses, SeparableGibbsKernel, rtol=rtol, atol=atol,
        min_blur=min_blur, max_iterations=max_iterations, strict=strict,
    )


def point_mass_wasserstein2(rho: Density, sigma: Density) -> float:
    """``W2`` between the point masses of the cell masses at the cell centres (normalised).

    The discrete measures, not the densities: a shift by ``s < h`` gives about
    ``sqrt(s h)``.  Kept as the reference of the tests and the baseline of the benchmark
    (it was the ``"w2"`` tracker).  In 1-D ``ot.wasserstein_1d`` gives it exactly (it returns
    ``W2^2``; the square root is taken here).  In 2-D and 3-D ``ot.emd2`` solves the exact
    linear program on the cells with positive mass; when either support exceeds
    :data:`EXACT_W2_MAX_POINTS` cells both densities are coarsened by 2 per axis until it
    does (a bias of order the coarse spacing).
    """
    check_density("rho", rho)
    check_density("sigma", sigma)
    grid = rho.grid
    grid.check_same(sigma.grid, "the densities compared by W2")
    a = rho.masses / rho.mass
    b = sigma.masses / sigma.mass
    if grid.ndim == 1:
        x = grid.axes[0]
        return float(np.sqrt(max(ot.wasserstein_1d(x, x, a, b, p=2), 0.0)))
    coordinates = grid.coordinates
    while (
        max(np.count_nonzero(a), np.count_nonzero(b)) > EXACT_W2_MAX_POINTS
        and max(a.shape) >= 2
    ):
        cell_mass = _coarsen(np.ones_like(a))
        coordinates = tuple(_coarsen(c) / cell_mass for c in coordinates)
        a, b = _coarsen(a), _coarsen(b)
    points = np.stack([c.ravel() for c in coordinates], axis=1)
    a, b = a.ravel(), b.ravel()
    support_a, support_b = a > 0, b > 0
    cost = ot.dist(points[support_a], points[support_b], metric="sqeuclidean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        value = ot.emd2(a[support_a] / a[support_a].sum(), b[support_b] / b[support_b].sum(), cost,
                        numItermax=10_000_000)
    return float(np.sqrt(max(value, 0.0)))


def bures_wasserstein(
    mean0: np.ndarray, cov0: np.ndarray, mean1: np.ndarray, cov1: np.ndarray
) -> float:
    """``W2(N(mean0, cov0), N(mean1, cov1))`` from ``ot.gaussian.bures_wasserstein_distance``.

    ``W2^2 = |mean0 - mean1|^2 + tr(cov0 + cov1 - 2 (cov0^{1/2} cov1 cov0^{1/2})^{1/2})``;
    POT returns ``W2`` itself.  Use :func:`wgflow.gaussian.bures_distance` for two
    :class:`~wgflow.gaussian.Gaussian` (it checks them).
    """
    return float(ot.gaussian.bures_wasserstein_distance(mean0, mean1, cov0, cov1))


# -- dense reference solvers (tests and baselines) ---------------------------------------


def dense_sinkhorn_cost(
    a: np.ndarray, b: np.ndarray, grid: Grid, gamma: float, **options: Any
) -> float:
    """``<P, M>`` of POT's log-domain Sinkhorn plan between cell masses ``a`` and ``b``.

    Dense squared-Euclidean cost from ``ot.dist``; ``ot.sinkhorn2(..., method="sinkhorn_log")``.
    """
    cost = ot.dist(grid.points, grid.points, metric="sqeuclidean")
    return float(ot.sinkhorn2(a.ravel(), b.ravel(), cost, gamma, method="sinkhorn_log", **options))


def dense_kl_jko_step(
    masses: np.ndarray, reference: np.ndarray, grid: Grid, gamma: float, dt: float, **options: Any
) -> np.ndarray:
    """POT's dense entropic JKO step of ``KL(. | reference)`` (heat, linear Fokker–Planck).

    ``ot.unbalanced.sinkhorn_unbalanced(mu_k, nu, M, reg=gamma, reg_m=(inf, 2 dt),
    reg_type="entropy")`` minimises ``<P, M> + gamma E(P) + 2 dt KL(P^T 1 | nu)`` with
    ``P 1 = mu_k``: the JKO step ``min KL(mu | nu) + W_gamma(mu_k, mu) / (2 dt)`` of time
    step ``dt``, with the entropic transport cost ``W_gamma``.  Returns the new cell masses
    ``P^T 1``.
    """
    cost = ot.dist(grid.points, grid.points, metric="sqeuclidean")
    plan = ot.unbalanced.sinkhorn_unbalanced(
        masses.ravel(), reference.ravel(), cost, reg=gamma, reg_m=(np.inf, 2.0 * dt),
        reg_type="entropy", **options,
    )
    return np.asarray(plan).sum(axis=0).reshape(grid.shape)
