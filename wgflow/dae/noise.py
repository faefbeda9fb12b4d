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
any callable
    :class:`CustomNoise`: the density of a *standardised* noise (mean 0, covariance
    ``I``), scaled as ``nu_t(eps) = t^(-d/2) nu_1(eps / sqrt(t))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import gammainc, gammaln

from ..errors import (
    WgflowError,
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


# ----------------------------------------------------------------------------------------------
# built-in laws
# ----------------------------------------------------------------------------------------------
class GaussianNoise(NoiseLaw):
    """``nu_t = N(0, t I)``: the Gaussian DAE, eq. (7) ``Phi_t = x + t grad log(W_t * mu0)``.

    The kernel is smooth, so the midpoint rule (a sum over cell centres, computed in the log
    domain) converges spectrally once ``sqrt(t)`` spans a few cells.
    """

    name = "gaussian"
    quadratures = ("midpoint",)

    def log_pdf_1d(self, u: np.ndarray, t: float) -> np.ndarray:
        return -0.5 * np.asarray(u) ** 2 / t - 0.5 * math.log(2.0 * math.pi * t)

    def sample(self, n: int, d: int, t: float, rng: np.random.Generator) -> np.ndarray:
        return math.sqrt(t) * rng.standard_normal((n, d))


class LaplaceNoise(NoiseLaw):
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


class UniformBoxNoise(NoiseLaw):
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
    """Shared code of non-separable laws: kernel averaged over ``subcells^d`` points per cell."""

    separable = False
    quadratures = ("midpoint",)

    def __init__(self, subcells: int = 1):
        self.subcells = check_integer("subcells", subcells)

    def kernel_on_offsets(
        self, offsets: tuple[np.ndarray, ...], spacing: tuple[float, ...], t: float
    ) -> np.ndarray:
        k = self.subcells
        shifts = (np.arange(k) + 0.5) / k - 0.5
        total = np.zeros(offsets[0].shape)
        for combo in np.stack(np.meshgrid(*([shifts] * len(offsets)), indexing="ij"), -1).reshape(
            -1, len(offsets)
        ):
            eps = np.stack([o + s * h for o, s, h in zip(offsets, combo, spacing)], axis=-1)
            total += np.asarray(self.pdf(eps, t), dtype=float)
        return total / k ** len(offsets)


class UniformBallNoise(_NonSeparable):
    """Uniform noise on the ball of radius ``r = sqrt((d + 2) t)`` (variance ``t`` per axis).

    Not separable: the convolutions use the kernel on the grid of cell offsets, averaged over
    ``subcells^d`` points in each cell (the ball's edge cuts cells, so the quadrature is first
    order in the spacing for ``subcells = 1`` and improves with ``subcells``).

    Parameters
    ----------
    subcells : int
        Points per axis and cell at which the indicator is averaged (default 4).
    """

    name = "ball"

    def __init__(self, subcells: int = 4):
        super().__init__(subcells)

    @staticmethod
    def radius(t: float, d: int) -> float:
        """``r = sqrt((d + 2) t)``."""
        return math.sqrt((d + 2.0) * t)

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
    """

    def __init__(
        self,
        pdf: Callable[..., np.ndarray],
        name: str = "custom",
        sampler: Callable[[int, int, np.random.Generator], np.ndarray] | None = None,
        subcells: int = 1,
    ):
        if not callable(pdf):
            raise WgflowError(
                f"CustomNoise needs a callable density pdf(e_1, ..., e_d), got {type(pdf).__name__}"
            )
        if sampler is not None and not callable(sampler):
            raise WgflowError(f"sampler must be callable or None, got {type(sampler).__name__}")
        super().__init__(subcells)
        self._pdf = pdf
        self._sampler = sampler
        self.name = str(name)
        self._checked_dims: set[int] = set()

    def _check_standardised(self, d: int) -> None:
        """Raise unless ``nu_1`` has mass 1, mean 0 and covariance ``I`` in dimension ``d``.

        Midpoint quadrature on ``[-10, 10]^d`` (201 points per axis in 1-D and 2-D, 61 in
        3-D); the tolerance (2e-2) allows for that quadrature on non-smooth densities.
        """
        if d in self._checked_dims:
            return
        n = 201 if d <= 2 else 61
        h = 20.0 / n
        axis = -10.0 + (np.arange(n) + 0.5) * h
        grids = np.meshgrid(*([axis] * d), indexing="ij")
        values = self._evaluate(np.stack(grids, axis=-1)) * h**d
        mass = float(values.sum())
        mean = np.array([(g * values).sum() for g in grids])
        cov = np.array([[(u * v * values).sum() for v in grids] for u in grids])
        worst = max(abs(mass - 1.0), np.abs(mean).max(), np.abs(cov - np.eye(d)).max())
        if worst > 2e-2:
            raise WgflowError(
                f"the density of noise law {self.name!r} must be standardised (mass 1, mean 0, "
                f"covariance I); in {d}-D it has mass {mass:.4g}, mean {np.round(mean, 4).tolist()}"
                f", covariance {np.round(cov, 4).tolist()}"
            )
        self._checked_dims.add(d)

    def pdf(self, eps: np.ndarray, t: float) -> np.ndarray:
        eps = np.asarray(eps, dtype=float)
        d = eps.shape[-1]
        self._check_standardised(d)
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
