"""Noise laws ``nu_t`` of the corruption ``x~ = x + eps`` (paper section 2.1) and their kernels.

Every law is parametrised by its *per-coordinate variance* ``t`` (the paper's transport time):
``E[eps] = 0`` and ``Cov[eps] = t I``.  The DAE of eq. (4) for the law is computed by
:func:`wgflow.dae.dae_map` from two convolutions with the law's density
(:mod:`wgflow.dae.convolution`); a law provides what those convolutions need:

* a separable law (a product of one-dimensional densities, one per axis) gives its
  one-dimensional log-density (midpoint rule) and, where it has them in closed form, the
  moments of its kernel over an interval (the ``"cubic"`` quadrature);
* a non-separable law gives its kernel on the grid of cell offsets (FFT convolution).

Laws
----
``"gaussian"``
    :class:`GaussianNoise`, ``N(0, t I)``, eq. (7).
``"laplace"``
    :class:`LaplaceNoise`, independent Laplace coordinates of scale ``sqrt(t/2)``.
``"box"``
    :class:`UniformBoxNoise` (alias ``"uniform"``), uniform on ``[-a, a]^d``,
    ``a = sqrt(3 t)``.
``"ball"``
    :class:`UniformBallNoise`, uniform on the ball of radius ``sqrt((d + 2) t)``.
``"student-t"``
    :class:`StudentTNoise`, the multivariate (elliptical, not a product) Student-t law with 5
    degrees of freedom (any ``dof > 2`` by the class), scaled to covariance ``t I``.
``"bimodal"``
    :class:`BimodalNoise`, independent coordinates, each the mixture
    ``(N(-0.9 sqrt(t), 0.19 t) + N(0.9 sqrt(t), 0.19 t)) / 2`` (variance ``0.81 t + 0.19 t``).
any callable
    :class:`CustomNoise`: the density of a *standardised* noise (mean 0, covariance
    ``I``), scaled as ``nu_t(eps) = t^(-d/2) nu_1(eps / sqrt(t))``.

Cumulants
---------
Every law is symmetric (odd cumulants vanish) and standardised, so the first cumulant beyond
the covariance is the fourth, ``kappa_ijkl = E[xi_i xi_j xi_k xi_l] - (d_ij d_kl + d_ik d_jl +
d_il d_jk)`` of the standardised noise ``xi = eps / sqrt(t)``
(:meth:`NoiseLaw.fourth_cumulant`); its diagonal entry is the *excess kurtosis* of a
coordinate (:meth:`NoiseLaw.excess_kurtosis`): Gaussian 0, Laplace 3, box -6/5, ball
``-6 / (d + 4)`` (-6/5, -1, -6/7 in 1, 2, 3 dimensions), Student-t ``6 / (dof - 4)`` (6 for 5
degrees of freedom, infinite for ``dof <= 4``), bimodal ``-2 b^4 = -1.3122`` (``b = 0.9``).
Product laws have ``kappa_ijkl`` on the diagonal ``i = j = k = l`` only; the spherical laws
(ball, Student-t) have ``kappa_ijkl = (kappa / 3)(d_ij d_kl + d_ik d_jl + d_il d_jk)``.  The
fourth cumulant sets the first departure of a DAE from the Gaussian one at small ``t``
(:mod:`wgflow.dae.lyapunov`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np
from scipy.special import gammainc, gammaln, logsumexp

from ..errors import (
    WgflowError,
    check_bool,
    check_broadcast,
    check_choice,
    check_finite_nonnegative,
    check_integer,
)

__all__ = [
    "NoiseLaw",
    "GaussianNoise",
    "LaplaceNoise",
    "UniformBoxNoise",
    "UniformBallNoise",
    "StudentTNoise",
    "BimodalNoise",
    "CustomNoise",
    "NOISE_NAMES",
    "resolve_noise",
]


class NoiseLaw:
    """A family of noise densities ``nu_t`` with mean 0 and covariance ``t I``.

    Attributes
    ----------
    name : str
        Short name (the key of :data:`NOISE_NAMES` for built-in laws).
    separable : bool
        True when ``nu_t(eps) = prod_k p_t(eps_k)`` (one-dimensional factor :meth:`log_pdf_1d`).
    quadratures : tuple of str
        Quadrature rules this law supports; the first one is the default (``"auto"``).
    """

    name: str = ""
    separable: bool = True
    quadratures: tuple[str, ...] = ("midpoint",)

    def pdf(self, eps: np.ndarray, t: float) -> np.ndarray:
        """Density ``nu_t(eps)`` at points ``eps`` of shape ``(..., d)``; returns ``(...)``.

        For a separable law the product of its one-dimensional factors :meth:`log_pdf_1d`.
        """
        return np.exp(np.sum(self.log_pdf_1d(np.asarray(eps, dtype=float), t), axis=-1))

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` noise vectors in ``R^d``, shape ``(n, d)``."""
        raise WgflowError(f"the noise law {self.name!r} cannot be sampled")

    # -- cumulants ----------------------------------------------------------------------------
    def excess_kurtosis(self, d: int = 1) -> float:
        """Excess kurtosis ``E[xi_1^4] - 3`` of a coordinate of the standardised law in ``R^d``.

        The base class computes it by quadrature (:func:`quadrature_moments`); the built-in
        laws return their closed forms (module docstring).  ``inf`` where the fourth moment is
        infinite.
        """
        return float(self.fourth_cumulant(d)[0, 0, 0, 0])

    def fourth_cumulant(self, d: int) -> np.ndarray:
        """``kappa_ijkl`` of the standardised law in ``R^d``, shape ``(d, d, d, d)``.

        ``E[xi_i xi_j xi_k xi_l] - (d_ij d_kl + d_ik d_jl + d_il d_jk)``; zero for the Gaussian.
        The base class computes it by quadrature of :meth:`pdf` at ``t = 1``
        (:func:`quadrature_moments`), after checking that the law is standardised.
        """
        moments = quadrature_moments(lambda eps: self.pdf(eps, 1.0), _check_dim(d))
        moments.check(self.name)
        return moments.cumulant4

    def check_standardised(self, d: int) -> None:
        """Raise unless the law has mass 1, mean 0, covariance ``I`` and a finite variance in
        ``R^d``.

        The base class checks by quadrature (:func:`quadrature_moments`, tolerance 2e-2); the
        built-in laws are standardised by construction and do nothing.
        """
        quadrature_moments(lambda eps: self.pdf(eps, 1.0), _check_dim(d)).check(self.name)

    # -- separable laws -----------------------------------------------------------------------
    def log_pdf_1d(self, u: np.ndarray, t: float) -> np.ndarray:
        """``log p_t(u)`` of the one-dimensional factor (separable laws only)."""
        raise WgflowError(f"the noise law {self.name!r} is not separable")

    def interval_moments(
        self, delta: np.ndarray, lo: float, hi: float, t: float, pmax: int
    ) -> np.ndarray:
        """``∫_lo^hi p_t(delta - u) u^p du``, ``p = 0..pmax``; shape ``(pmax+1, *delta.shape)``.

        Needed by the ``"cubic"`` quadrature (separable laws with closed-form moments).
        """
        raise WgflowError(
            f"the noise law {self.name!r} has no closed-form kernel moments; use "
            "quadrature='midpoint'"
        )

    # -- non-separable laws -------------------------------------------------------------------
    def kernel_on_offsets(
        self, offsets: tuple[np.ndarray, ...], spacing: tuple[float, ...], t: float
    ) -> np.ndarray:
        """The density on the grid of cell offsets (coordinate arrays, ``ij`` order).

        The default is the density at the offset itself (midpoint rule).
        """
        eps = np.stack(offsets, axis=-1)
        return np.asarray(self.pdf(eps, t), dtype=float)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_dim(d: int) -> int:
    """A dimension: 1, 2 or 3."""
    d = check_integer("d (the dimension)", d)
    if d > 3:
        raise WgflowError(f"d (the dimension) must be 1, 2 or 3, got {d}")
    return d


def _gaussian_pairing(d: int) -> np.ndarray:
    """``d_ij d_kl + d_ik d_jl + d_il d_jk``, shape ``(d, d, d, d)``: the fourth moments of
    ``N(0, I)`` and the structure of the fourth cumulant of every spherical law."""
    eye = np.eye(d)
    return (
        np.einsum("ij,kl->ijkl", eye, eye)
        + np.einsum("ik,jl->ijkl", eye, eye)
        + np.einsum("il,jk->ijkl", eye, eye)
    )


def _product_cumulant(kappa: float, d: int) -> np.ndarray:
    """The fourth cumulant of a law with independent coordinates of excess kurtosis
    ``kappa``: ``kappa`` on the diagonal ``i = j = k = l``, 0 elsewhere."""
    out = np.zeros((d,) * 4)
    for i in range(d):
        out[i, i, i, i] = kappa
    return out


def _spherical_cumulant(kappa: float, d: int) -> np.ndarray:
    """The fourth cumulant of a spherically symmetric law whose coordinates have excess
    kurtosis ``kappa``: ``(kappa / 3)(d_ij d_kl + d_ik d_jl + d_il d_jk)`` (``inf`` where the
    structure is non-zero, if ``kappa`` is)."""
    pairing = _gaussian_pairing(d)
    if math.isinf(kappa):
        return np.where(pairing > 0, kappa, 0.0)
    return kappa / 3.0 * pairing


#: Tolerance of :meth:`StandardMoments.check` (mass, mean, covariance, tail second moment).
STANDARD_TOL = 2e-2


class StandardMoments:
    """Moments of a standardised noise density by midpoint quadrature (:func:`quadrature_moments`).

    Attributes
    ----------
    mass : float
    mean : numpy.ndarray
        Shape ``(d,)``.
    covariance : numpy.ndarray
        Shape ``(d, d)``.
    cumulant4 : numpy.ndarray
        ``E[xi_i xi_j xi_k xi_l] - (d_ij d_kl + d_ik d_jl + d_il d_jk)``, shape ``(d,) * 4``.
    tail_variance : float
        ``∫ |xi|^2 nu_1`` over ``[-40, 40]^d`` outside ``[-10, 10]^d``: large for a law whose
        variance is infinite even when the moments on ``[-10, 10]^d`` look standardised.
    """

    def __init__(
        self, mass: float, mean: np.ndarray, covariance: np.ndarray, cumulant4: np.ndarray,
        tail_variance: float,
    ):
        self.mass = mass
        self.mean = mean
        self.covariance = covariance
        self.cumulant4 = cumulant4
        self.tail_variance = tail_variance

    def check(self, name: str) -> None:
        """Raise unless mass 1, mean 0, covariance ``I`` and a small tail variance (all to
        :data:`STANDARD_TOL`), naming the law ``name`` and what is accepted."""
        d = self.mean.size
        if self.tail_variance > STANDARD_TOL:
            raise WgflowError(
                f"the noise law {name!r} appears to have an infinite variance: its second "
                f"moment outside [-10, 10]^{d} is {self.tail_variance:.3g} in {d}-D; accepted: "
                "a standardised law (mass 1, mean 0, covariance I) of finite variance"
            )
        worst = max(
            abs(self.mass - 1.0),
            float(np.abs(self.mean).max()),
            float(np.abs(self.covariance - np.eye(d)).max()),
        )
        if worst > STANDARD_TOL:
            raise WgflowError(
                f"the density of noise law {name!r} must be standardised (mass 1, mean 0, "
                f"covariance I); in {d}-D it has mass {self.mass:.4g}, mean "
                f"{np.round(self.mean, 4).tolist()}, covariance "
                f"{np.round(self.covariance, 4).tolist()}"
            )


def quadrature_moments(pdf: Callable[[np.ndarray], np.ndarray], d: int) -> StandardMoments:
    """Mass, mean, covariance, fourth cumulant and tail variance of a density on ``R^d``.

    Midpoint quadrature on ``[-10, 10]^d`` (201 points per axis in 1-D and 2-D, 61 in 3-D),
    and on ``[-40, 40]^d`` with as many points for the tail variance.  Exact to about
    ``1e-12`` for smooth densities whose tails are negligible beyond 10; the edges of a
    discontinuous density make it first order in the spacing (``2e-3`` for the ball).

    Parameters
    ----------
    pdf : callable
        ``pdf(eps)`` for points of shape ``(..., d)``, returning shape ``(...)``.
    d : int
        The dimension.
    """
    n = 201 if d <= 2 else 61

    def midpoint(half: float) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        h = 2.0 * half / n
        axis = -half + (np.arange(n) + 0.5) * h
        grids = np.meshgrid(*([axis] * d), indexing="ij")
        return grids, np.asarray(pdf(np.stack(grids, axis=-1)), dtype=float) * h**d

    grids, w = midpoint(10.0)
    mass = float(w.sum())
    mean = np.array([(g * w).sum() for g in grids])
    cov = np.array([[(u * v * w).sum() for v in grids] for u in grids])
    flat = np.stack([g.ravel() for g in grids])  # (d, points)
    weights = w.ravel()
    fourth = np.einsum("ip,jp,kp,lp,p->ijkl", flat, flat, flat, flat, weights, optimize=True)
    wide, w_wide = midpoint(40.0)
    outside = np.max(np.abs(np.stack(wide)), axis=0) > 10.0
    tail = float((sum(g * g for g in wide) * w_wide)[outside].sum())
    return StandardMoments(mass, mean, cov, fourth - _gaussian_pairing(d), tail)


# ----------------------------------------------------------------------------------------------
# built-in laws
# ----------------------------------------------------------------------------------------------
class _ClosedForm(NoiseLaw):
    """A built-in law: standardised by construction, its excess kurtosis in closed form, its
    fourth cumulant that of a product law (separable) or of a spherical law (otherwise).
    Subclasses implement :meth:`excess_kurtosis`."""

    def fourth_cumulant(self, d: int) -> np.ndarray:
        d = _check_dim(d)
        kappa = self.excess_kurtosis(d)
        return _product_cumulant(kappa, d) if self.separable else _spherical_cumulant(kappa, d)

    def check_standardised(self, d: int) -> None:
        """Nothing to check: the law is standardised by construction (tested)."""
        _check_dim(d)


class GaussianNoise(_ClosedForm):
    """``nu_t = N(0, t I)``: the Gaussian DAE, eq. (7) ``Phi_t = x + t grad log(W_t * mu0)``.

    The kernel is smooth, so the midpoint rule (a sum over cell centres, computed in the log
    domain) converges spectrally once ``sqrt(t)`` spans a few cells.
    """

    name = "gaussian"
    quadratures = ("midpoint",)

    def log_pdf_1d(self, u: np.ndarray, t: float) -> np.ndarray:
        return -0.5 * np.asarray(u) ** 2 / t - 0.5 * math.log(2.0 * math.pi * t)

    def excess_kurtosis(self, d: int = 1) -> float:
        """0: every cumulant beyond the covariance vanishes."""
        _check_dim(d)
        return 0.0

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        return math.sqrt(t) * rng.standard_normal((n, d))


class LaplaceNoise(_ClosedForm):
    """Independent Laplace coordinates, ``p_t(u) = exp(-|u|/b) / (2b)`` with ``b = sqrt(t/2)``.

    The kernel has a kink at 0 (a cell centre), so its default quadrature is ``"cubic"``: the
    kernel is integrated exactly against the local cubic interpolant of the grid values.
    """

    name = "laplace"
    quadratures = ("cubic", "midpoint")

    @staticmethod
    def scale(t: float) -> float:
        """The Laplace scale ``b = sqrt(t / 2)`` (variance ``2 b^2 = t``)."""
        return math.sqrt(0.5 * t)

    def log_pdf_1d(self, u: np.ndarray, t: float) -> np.ndarray:
        b = self.scale(t)
        return -np.abs(np.asarray(u)) / b - math.log(2.0 * b)

    def excess_kurtosis(self, d: int = 1) -> float:
        """3: ``E[u^4] = 24 b^4 = 6 t^2`` for the variance ``2 b^2 = t``."""
        _check_dim(d)
        return 3.0

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        return rng.laplace(0.0, self.scale(t), size=(n, d))

    def interval_moments(
        self, delta: np.ndarray, lo: float, hi: float, t: float, pmax: int
    ) -> np.ndarray:
        b = self.scale(t)
        delta = np.asarray(delta, dtype=float)
        flat = delta.ravel()
        q = np.arange(pmax + 1)
        res = np.zeros((pmax + 1, flat.size))
        # u in [lo, min(hi, delta)]: kernel exp(-(delta - u)/b), u = anchor - r (sign -1);
        # u in [max(lo, delta), hi]: kernel exp(-(u - delta)/b), u = anchor + r (sign +1);
        # the binomial expansion of u^p = (anchor + sign r)^p leaves the moments G_k of r
        for anchor, width, sign in (
            (np.minimum(hi, flat), np.minimum(hi, flat) - lo, -1.0),
            (np.maximum(lo, flat), hi - np.maximum(lo, flat), 1.0),
        ):
            sel = width > 0
            if not sel.any():
                continue
            u = anchor[sel]
            # G_k(w) = ∫_0^w r^k exp(-r/b) dr = b^(k+1) k! P(k+1, w/b)
            gq = (b ** (q + 1) * np.exp(gammaln(q + 1.0)))[:, None] * gammainc(
                (q + 1.0)[:, None], (width[sel] / b)[None, :]
            )
            pref = np.exp(-sign * (u - flat[sel]) / b) / (2.0 * b)
            for p in range(pmax + 1):
                acc = np.zeros(u.size)
                for k in range(p + 1):
                    acc += math.comb(p, k) * u ** (p - k) * sign**k * gq[k]
                res[p, sel] += pref * acc
        return res.reshape((pmax + 1, *delta.shape))


class UniformBoxNoise(_ClosedForm):
    """Uniform noise on the box ``[-a, a]^d`` with ``a = sqrt(3 t)`` (variance ``t`` per axis).

    The kernel jumps at ``±a``, so its default quadrature is ``"cubic"`` (exact integral of
    the kernel against the local cubic interpolant of the grid values).
    """

    name = "box"
    quadratures = ("cubic", "midpoint")

    @staticmethod
    def half_width(t: float) -> float:
        """``a = sqrt(3 t)``."""
        return math.sqrt(3.0 * t)

    def log_pdf_1d(self, u: np.ndarray, t: float) -> np.ndarray:
        a = self.half_width(t)
        u = np.asarray(u, dtype=float)
        return np.where(np.abs(u) <= a, -math.log(2.0 * a), -np.inf)

    def excess_kurtosis(self, d: int = 1) -> float:
        """-6/5: ``E[u^4] = a^4 / 5 = 9 t^2 / 5``."""
        _check_dim(d)
        return -1.2

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        a = self.half_width(t)
        return rng.uniform(-a, a, size=(n, d))

    def interval_moments(
        self, delta: np.ndarray, lo: float, hi: float, t: float, pmax: int
    ) -> np.ndarray:
        a = self.half_width(t)
        delta = np.asarray(delta, dtype=float)
        lower = np.clip(delta - a, lo, hi)
        upper = np.clip(delta + a, lo, hi)
        p = np.arange(pmax + 1).reshape((-1,) + (1,) * delta.ndim)
        return (upper[None] ** (p + 1) - lower[None] ** (p + 1)) / ((p + 1) * 2.0 * a)


class _NonSeparable(NoiseLaw):
    """Shared code of non-separable laws: the kernel on the grid of cell offsets, averaged over
    ``subcells^d`` points per cell, with its second moment matched to ``d t`` on request.

    Matching the moments: the convolutions take the data at the cell centres, so the posterior
    mean is that of the discrete kernel; expanding the data in a Taylor series shows that its
    error is set by the discrete kernel's moments.  A kernel averaged over the cells has the
    variance ``t - h^2/12`` per axis (plus the error of the cut edge cells), which is a
    relative error ``h^2 / (12 t)`` of the velocity ``(Phi_t - x) / t``.  ``match_moments``
    multiplies the averaged kernel by ``alpha + beta |eps|^2``, with ``alpha, beta`` chosen so
    that its mass and its second moment are exact (1 and ``d t``); measured on a 2-D Gaussian
    with ball noise this takes the velocity error from 1.2e-1 to 9e-4 at ``t = 0.01`` on 128^2
    cells of width 0.094 (second order in the spacing).  Where the corrected kernel would not
    be positive (a ball narrower than about a cell) the averaged kernel is used as it is.
    """

    separable = False
    quadratures = ("midpoint",)

    def __init__(self, subcells: int = 1, match_moments: bool = False):
        self.subcells = check_integer("subcells", subcells)
        self.match_moments = check_bool("match_moments", match_moments)

    def kernel_on_offsets(
        self, offsets: tuple[np.ndarray, ...], spacing: tuple[float, ...], t: float
    ) -> np.ndarray:
        k = self.subcells
        d = len(offsets)
        shifts = (np.arange(k) + 0.5) / k - 0.5
        total = np.zeros(offsets[0].shape)
        for combo in np.stack(np.meshgrid(*([shifts] * d), indexing="ij"), -1).reshape(-1, d):
            eps = np.stack([o + s * h for o, s, h in zip(offsets, combo, spacing)], axis=-1)
            total += np.asarray(self.pdf(eps, t), dtype=float)
        kernel = total / k**d
        if not self.match_moments:
            return kernel
        r2 = sum(o * o for o in offsets)
        volume = float(np.prod(spacing))
        m0, m2, m4 = ((kernel * r2**p).sum() * volume for p in range(3))
        det = m0 * m4 - m2 * m2
        if not det > 1e-12 * m0 * m4:  # the kernel sits on (almost) one shell of offsets
            return kernel
        alpha = (m4 - m2 * d * t) / det
        beta = (m0 * d * t - m2) / det
        factor = alpha + beta * r2
        if (factor[kernel > 0] <= 0).any():
            return kernel
        return kernel * factor


class UniformBallNoise(_NonSeparable, _ClosedForm):
    """Uniform noise on the ball of radius ``r = sqrt((d + 2) t)`` (variance ``t`` per axis).

    Not separable: the convolutions use the kernel on the grid of cell offsets, averaged over
    ``subcells^d`` points in each cell, with its mass and second moment made exact
    (``match_moments``): the ball's edge cuts cells, and without the matching the velocity
    ``(Phi_t - x) / t`` is off by about ``h^2 / (12 t)`` relative.  Matching multiplies the
    averaged kernel by ``alpha + beta |eps|^2`` so that its mass is 1 and its second moment
    ``d t``; measured on a 2-D Gaussian it takes the velocity error from 1.2e-1 to 9e-4 at
    ``t = 0.01`` on 128^2 cells of width 0.094 (second order in the spacing).  Where the
    corrected kernel would not be positive (a ball narrower than about a cell) the averaged
    kernel is used as it is.

    Parameters
    ----------
    subcells : int
        Points per axis and cell at which the indicator is averaged (default 4).
    match_moments : bool
        Match the kernel's mass and second moment (default True).
    """

    name = "ball"

    def __init__(self, subcells: int = 4, match_moments: bool = True):
        super().__init__(subcells, match_moments)

    @staticmethod
    def radius(t: float, d: int) -> float:
        """``r = sqrt((d + 2) t)``."""
        return math.sqrt((d + 2.0) * t)

    def excess_kurtosis(self, d: int = 1) -> float:
        """``-6 / (d + 4)``: ``E|xi|^4 = d r^4 / (d + 4)`` and, by symmetry,
        ``E[xi_1^4] = 3 E|xi|^4 / (d (d + 2))`` with ``r^2 = d + 2``, so ``E[xi_1^4] =
        3 (d + 2) / (d + 4)`` (-6/5 in 1-D, where the ball is the box; -1 in 2-D; -6/7 in 3-D).
        """
        return -6.0 / (_check_dim(d) + 4.0)

    def pdf(self, eps: np.ndarray, t: float) -> np.ndarray:
        eps = np.asarray(eps, dtype=float)
        d = eps.shape[-1]
        r = self.radius(t, d)
        volume = math.pi ** (d / 2.0) * r**d / math.gamma(d / 2.0 + 1.0)
        return np.where(np.sum(eps * eps, axis=-1) <= r * r, 1.0 / volume, 0.0)

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        direction = rng.standard_normal((n, d))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        return self.radius(t, d) * rng.uniform(size=(n, 1)) ** (1.0 / d) * direction


class StudentTNoise(_NonSeparable, _ClosedForm):
    """The multivariate Student-t law with ``dof`` degrees of freedom, scaled to covariance
    ``t I``: elliptical (spherical), not a product of one-dimensional t laws.

    ``nu_t(eps) = G((dof + d)/2) / (G(dof/2) (pi (dof - 2) t)^(d/2))
    (1 + |eps|^2 / ((dof - 2) t))^(-(dof + d)/2)``, the law of
    ``sqrt((dof - 2) t) Z / sqrt(W)`` with ``Z ~ N(0, I)`` and ``W ~ chi^2_dof`` independent.
    Its coordinates are Student-t laws with excess kurtosis ``6 / (dof - 4)`` (infinite for
    ``dof <= 4``); its tails decay like ``|eps|^-(dof + d)``.

    Not separable in 2-D and 3-D: the convolutions use the density on the grid of cell offsets
    (FFT, midpoint rule), which is spectrally accurate once the kernel's width
    ``sqrt((dof - 2) t / dof)`` spans a few cells.

    Parameters
    ----------
    dof : float
        Degrees of freedom, a finite number ``> 2`` (the variance is infinite for
        ``dof <= 2``).  Default 5: excess kurtosis 6.
    subcells : int
        Points per axis and cell at which the density is averaged (default 1: midpoint).
    """

    dof: float

    def __init__(self, dof: float = 5.0, subcells: int = 1):
        if isinstance(dof, bool) or not isinstance(dof, numbers.Real) or not math.isfinite(
            dof
        ) or not dof > 2.0:
            raise WgflowError(
                f"dof (the degrees of freedom of the Student-t noise) must be a finite number "
                f"> 2, got {dof!r}: the variance is infinite for dof <= 2, and the DAE's noise "
                "variance t needs a finite one"
            )
        super().__init__(subcells)
        self.dof = float(dof)
        self.name = "student-t" if dof == 5.0 else f"student-t{float(dof):g}"

    def pdf(self, eps: np.ndarray, t: float) -> np.ndarray:
        eps = np.asarray(eps, dtype=float)
        d = eps.shape[-1]
        nu = self.dof
        scale2 = (nu - 2.0) * t
        log_norm = (
            gammaln(0.5 * (nu + d)) - gammaln(0.5 * nu) - 0.5 * d * math.log(math.pi * scale2)
        )
        return np.exp(log_norm - 0.5 * (nu + d) * np.log1p(np.sum(eps * eps, axis=-1) / scale2))

    def excess_kurtosis(self, d: int = 1) -> float:
        """``6 / (dof - 4)`` for ``dof > 4`` (6 for the default 5), ``inf`` otherwise: the
        coordinates are Student-t laws, whatever ``d``."""
        _check_dim(d)
        return 6.0 / (self.dof - 4.0) if self.dof > 4.0 else math.inf

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        w = rng.chisquare(self.dof, size=(n, 1))
        return math.sqrt((self.dof - 2.0) * t) * rng.standard_normal((n, d)) / np.sqrt(w)

    def __repr__(self) -> str:
        return f"StudentTNoise(dof={self.dof:g})"


class BimodalNoise(_ClosedForm):
    """Independent coordinates, each the two-bump mixture
    ``(N(-b sqrt(t), (1 - b^2) t) + N(b sqrt(t), (1 - b^2) t)) / 2``: mean 0, variance ``t``.

    With the default ``b = 0.9`` each bump has variance ``0.19 t`` and the coordinate is
    ``sqrt(t) (B + Z)`` with ``B = ±0.9`` equally likely and ``Z ~ N(0, 0.19)``; its excess
    kurtosis is that of ``B``, ``-2 b^4 = -1.3122`` (cumulants of independent terms add and
    ``Z`` has none beyond the variance).  ``b = 0`` is the Gaussian law.

    The kernel is smooth: the midpoint rule (log domain, like the Gaussian's) converges
    spectrally once a bump's standard deviation ``sqrt((1 - b^2) t)`` spans a cell.

    Parameters
    ----------
    offset : float
        ``b``, the bumps' offset in units of ``sqrt(t)``: ``0 <= b < 1``.
    """

    name = "bimodal"
    quadratures = ("midpoint",)
    offset: float

    def __init__(self, offset: float = 0.9):
        if isinstance(offset, bool) or not isinstance(offset, numbers.Real) or not (
            0.0 <= offset < 1.0
        ):
            raise WgflowError(
                f"offset (of the bumps of the bimodal noise, in units of sqrt(t)) must be a "
                f"number in [0, 1) so that each bump keeps a positive variance, got {offset!r}"
            )
        self.offset = float(offset)

    def log_pdf_1d(self, u: np.ndarray, t: float) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        b = self.offset * math.sqrt(t)
        var = (1.0 - self.offset**2) * t
        bumps = np.stack([-0.5 * (u - b) ** 2 / var, -0.5 * (u + b) ** 2 / var])
        return logsumexp(bumps, axis=0) - math.log(2.0) - 0.5 * math.log(2.0 * math.pi * var)

    def excess_kurtosis(self, d: int = 1) -> float:
        """``-2 b^4`` (-1.3122 for ``b = 0.9``), whatever ``d``."""
        _check_dim(d)
        return -2.0 * self.offset**4

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        signs = rng.choice(np.array([-1.0, 1.0]), size=(n, d))
        bumps = self.offset * signs + math.sqrt(1.0 - self.offset**2) * rng.standard_normal(
            (n, d)
        )
        return math.sqrt(t) * bumps

    def __repr__(self) -> str:
        return f"BimodalNoise(offset={self.offset:g})"


class CustomNoise(_NonSeparable):
    """A noise law given by the density of its standardised member (mean 0, covariance ``I``).

    ``nu_t(eps) = t^(-d/2) nu_1(eps / sqrt(t))`` so that ``Cov = t I`` (the paper's ``t`` is a
    variance).  The convolutions use the midpoint rule on the grid of cell offsets (FFT), so
    the accuracy depends on the smoothness of ``nu_1``.

    Parameters
    ----------
    pdf : callable
        ``pdf(e_1, ..., e_d)`` takes coordinate arrays of equal shape and returns the values of
        ``nu_1`` (finite, non-negative, not all zero on the grid of offsets).
    name : str
        Name shown in messages and results.
    sampler : callable, optional
        ``sampler(n, d, rng)`` returning ``n`` draws of the standardised noise, shape ``(n, d)``
        (needed only to train a DAE on this law).
    subcells : int
        Points per axis and cell at which the density is averaged (default 1: midpoint).
    match_moments : bool
        Match the kernel's mass and second moment as :class:`UniformBallNoise` does (default
        False; useful for a density with jumps).
    """

    def __init__(
        self,
        pdf: Callable[..., np.ndarray],
        name: str = "custom",
        sampler: Callable[[int, int, np.random.Generator], np.ndarray] | None = None,
        subcells: int = 1,
        match_moments: bool = False,
    ):
        if not callable(pdf):
            raise WgflowError(
                f"CustomNoise needs a callable density pdf(e_1, ..., e_d), got {type(pdf).__name__}"
            )
        if sampler is not None and not callable(sampler):
            raise WgflowError(f"sampler must be callable or None, got {type(sampler).__name__}")
        super().__init__(subcells, match_moments)
        self._pdf = pdf
        self._sampler = sampler
        self.name = str(name)
        self._moments_by_dim: dict[int, StandardMoments] = {}

    def _moments(self, d: int) -> StandardMoments:
        """The quadrature moments of ``nu_1`` in dimension ``d`` (computed once per ``d``)."""
        if d not in self._moments_by_dim:
            self._moments_by_dim[d] = quadrature_moments(self._evaluate, d)
        return self._moments_by_dim[d]

    def check_standardised(self, d: int) -> None:
        """Raise unless ``nu_1`` has mass 1, mean 0, covariance ``I`` and a finite variance in
        dimension ``d`` (:func:`quadrature_moments`; the tolerance, 2e-2, allows for that
        quadrature on non-smooth densities)."""
        self._moments(_check_dim(d)).check(self.name)

    def fourth_cumulant(self, d: int) -> np.ndarray:
        """``kappa_ijkl`` by quadrature (:func:`quadrature_moments`): accurate to about
        ``1e-10`` for smooth densities with negligible mass beyond 10, first order in the
        quadrature's spacing (0.1) at the jumps of a discontinuous one."""
        self.check_standardised(d)
        return self._moments(d).cumulant4

    def pdf(self, eps: np.ndarray, t: float) -> np.ndarray:
        eps = np.asarray(eps, dtype=float)
        d = eps.shape[-1]
        self.check_standardised(d)
        return self._evaluate(eps / math.sqrt(t)) * t ** (-0.5 * d)

    def _evaluate(self, scaled: np.ndarray) -> np.ndarray:
        """``nu_1`` at points ``scaled`` (shape ``(..., d)``), checked to be a density."""
        d = scaled.shape[-1]
        try:
            values = np.asarray(
                self._pdf(*[scaled[..., k] for k in range(d)]), dtype=float
            )
        except Exception as exc:  # the user's function failed: say which law
            raise WgflowError(
                f"the density of noise law {self.name!r} failed on coordinate arrays of "
                f"shape {scaled.shape[:-1]}: {exc}"
            ) from exc
        values = check_broadcast(
            f"the density of noise law {self.name!r} (on its coordinate arrays)", values,
            scaled.shape[:-1],
        )
        check_finite_nonnegative(f"the density of noise law {self.name!r}", values)
        return values

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        if self._sampler is None:
            raise WgflowError(
                f"the noise law {self.name!r} has no sampler; pass sampler=... to CustomNoise "
                "to train a DAE on it"
            )
        draws = np.asarray(self._sampler(n, d, rng), dtype=float)
        if draws.shape != (n, d) or not np.isfinite(draws).all():
            raise WgflowError(
                f"the sampler of noise law {self.name!r} must return {(n, d)} finite draws, got "
                f"shape {draws.shape}"
            )
        return math.sqrt(t) * draws

    def __repr__(self) -> str:
        return f"CustomNoise(name={self.name!r})"


_BY_NAME: dict[str, type[NoiseLaw]] = {
    "gaussian": GaussianNoise,
    "laplace": LaplaceNoise,
    "box": UniformBoxNoise,
    "uniform": UniformBoxNoise,
    "ball": UniformBallNoise,
    "student-t": StudentTNoise,
    "bimodal": BimodalNoise,
}

#: Names accepted by :func:`resolve_noise` (``"uniform"`` is an alias of ``"box"``).
NOISE_NAMES: tuple[str, ...] = tuple(_BY_NAME)


#: What the DAE functions accept as ``noise``: a name, a law, or a standardised density.
NoiseLike = str | NoiseLaw | Callable[..., np.ndarray]


def resolve_noise(noise: NoiseLike) -> NoiseLaw:
    """A :class:`NoiseLaw` from a name of :data:`NOISE_NAMES`, a law, or a standardised density.

    Raises
    ------
    WgflowError
        For an unknown name or an object that is neither a law nor a callable density.
    """
    if isinstance(noise, NoiseLaw):
        return noise
    if isinstance(noise, str):
        return _BY_NAME[check_choice("noise", noise.strip().lower(), NOISE_NAMES)]()
    if callable(noise):
        return CustomNoise(noise)
    raise WgflowError(
        f"noise must be a name ({', '.join(map(repr, NOISE_NAMES))}), a wgflow.dae.NoiseLaw or "
        f"a callable standardised density, got {type(noise).__name__}"
    )
