"""Helpers shared by the test modules (imported as ``from _helpers import ...``).

Plain functions and constants live here; the pytest fixtures live in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import scipy.optimize

from wgflow import Density, Grid, WgflowError
from wgflow.functionals import Functional


def loglog_slope(x, y) -> float:
    """The least-squares slope of ``log y`` against ``log x``: a measured convergence order."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


@contextlib.contextmanager
def raises_naming(*fragments: str, error: type[Exception] = WgflowError) -> Iterator[None]:
    """``pytest.raises(error)`` whose message contains every fragment, in any order.

    Bad input must be answered by an error that names the bad value and what is accepted;
    the fragments are those names, so the test does not depend on the sentence around them.
    """
    with pytest.raises(error) as info:
        yield
    message = str(info.value)
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"the message {message!r} does not name {missing}"


def image_not_uniform(path) -> bool:
    """Whether the image file at ``path`` is in colour and not one flat colour (a plot was
    drawn)."""
    from matplotlib.image import imread

    pixels = imread(path)
    return pixels.ndim == 3 and not np.all(pixels == pixels[0, 0])


def gaussian_entropies(cov: np.ndarray, a: float) -> tuple[float, float, float]:
    """``(H, R_a, S_a)`` of ``N(m, cov)`` from the textbook formulas (independent of wgflow):
    ``H = d/2 (1 + log 2 pi) + log det / 2`` and
    ``log ∫ N^a = (1 - a)/2 (d log 2 pi + log det) - d/2 log a``."""
    cov = np.atleast_2d(cov)
    d = cov.shape[0]
    logdet = np.log(np.linalg.det(cov))
    shannon = 0.5 * d * (1.0 + np.log(2.0 * np.pi)) + 0.5 * logdet
    log_int = 0.5 * (1 - a) * (d * np.log(2 * np.pi) + logdet) - 0.5 * d * np.log(a)
    renyi = log_int / (1.0 - a)
    tsallis = (1.0 - np.exp(log_int)) / (a - 1.0)
    return float(shannon), float(renyi), float(tsallis)


# -- first variations of functionals -----------------------------------------------------------

#: A smooth potential for first-variation checks, V(x, y).
V_FD = lambda x, y: x**2 - 0.5 * y + np.sin(x * y)  # noqa: E731


def assert_first_variation(
    functional: Functional, formula: Callable[[np.ndarray, Grid], np.ndarray]
) -> None:
    """The first variation equals ``formula(values, grid)`` (written out by the test) and the
    directional derivative of the functional.

    A central difference ``(F(rho + e phi) - F(rho - e phi)) / (2e)`` has truncation error
    ``(e^2/6) d^3F[phi, phi, phi]`` and round-off about ``1e-16 |F| / e``; with rho in
    [0.5, 1.5], ``|phi| <= 1`` and ``e = 1e-5`` both are below 1e-9 relative, so 1e-8 of the
    scale ``∫ |dF/drho phi|`` is a safe bound.
    """
    grid = Grid([(-1.0, 1.0), (0.0, 1.5)], (7, 5))
    x, y = grid.coordinates
    rho = Density(grid, 1.0 + 0.5 * np.sin(2 * x + 3 * y))  # in [0.5, 1.5]
    phi = np.cos(3 * x - y) * np.exp(-(x**2))  # |phi| <= 1, signed
    variation = functional.first_variation(rho)
    np.testing.assert_allclose(variation, formula(rho.values, grid), rtol=1e-13, atol=1e-13)
    e = 1e-5
    fd = (
        functional(Density(grid, rho.values + e * phi))
        - functional(Density(grid, rho.values - e * phi))
    ) / (2 * e)
    predicted = float((variation * phi).sum() * grid.cell_volume)
    scale = float(np.abs(variation * phi).sum() * grid.cell_volume)
    assert abs(fd - predicted) <= 1e-8 * scale, (fd, predicted)


# -- KL-proximal maps ----------------------------------------------------------------------------

PROX_GRID = Grid([(0.0, 1.0), (0.0, 2.0)], (5, 4))  # cell volume 0.1
#: A potential of both signs on PROX_GRID, V(x, y).
V_PROX = lambda x, y: 1.5 * x - y**2 + 0.3  # noqa: E731


def prox_masses(seed: int = 11) -> np.ndarray:
    """Cell masses on PROX_GRID spanning four decades (densities 1e-3 ... 10)."""
    rng = np.random.default_rng(seed)
    return 10.0 ** rng.uniform(-4, 0, PROX_GRID.shape)


def check_prox(
    functional: Functional,
    weight: float,
    integrand: Callable[[float, tuple[int, ...]], float],
    variation: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Check ``functional.log_prox_ratio`` on PROX_GRID and return it.

    ``integrand(rho, index)`` is f with ``F = ∫ f(rho)`` (cells are independent) and
    ``variation(rho)`` is ``f'(rho)``, both written out by the test.  The optimality condition
    ``weight f'(q/V) + log(q/p) = 0`` must hold to round-off (1e-12); a per-cell bounded
    scalar minimisation locates the minimiser only to about sqrt(machine eps) relative (the
    objective is flat to second order there), so it is compared at 1e-6 in ``log q``.
    """
    grid = PROX_GRID
    vol = grid.cell_volume
    log_p = np.log(prox_masses())
    ratio = functional.log_prox_ratio(log_p, weight, grid)
    assert ratio.shape == log_p.shape and np.isfinite(ratio).all()
    q = np.exp(log_p + ratio)
    residual = weight * variation(q / vol) + ratio
    scale = np.abs(ratio) + np.abs(weight * variation(q / vol)) + 1.0
    np.testing.assert_array_less(np.abs(residual) / scale, 1e-12)
    # direct minimisation over s = log q of  weight V f(q/V) + q log(q/p) - q + p, per cell
    for index in np.ndindex(grid.shape):
        lp = log_p[index]

        def objective(s, lp=lp, index=index):
            qq = np.exp(s)
            return weight * vol * integrand(qq / vol, index) + qq * (s - lp) - qq

        res = scipy.optimize.minimize_scalar(
            objective, bounds=(lp - 40.0, lp + 40.0), method="bounded",
            options={"xatol": 1e-12, "maxiter": 2000},
        )
        assert res.x - lp == pytest.approx(ratio[index], abs=1e-6 * max(1.0, abs(ratio[index])))
    return ratio


def quantile_w2(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """W2 between sum a_i delta_{x_i} and sum b_i delta_{x_i} from the quantile functions."""
    a, b = a / a.sum(), b / b.sum()
    ca, cb = np.cumsum(a), np.cumsum(b)
    levels = np.unique(np.concatenate([[0.0], ca, cb]))
    levels = levels[levels <= 1.0]
    levels[-1] = 1.0
    mids = 0.5 * (levels[1:] + levels[:-1])
    qa = x[np.minimum(np.searchsorted(ca, mids), len(x) - 1)]
    qb = x[np.minimum(np.searchsorted(cb, mids), len(x) - 1)]
    return float(np.sqrt(np.sum(np.diff(levels) * (qa - qb) ** 2)))
