"""Tests of wgflow.dae.noise: every law has mean 0 and covariance t I, its kernel moments are
exact, and bad laws are refused with messages that say what is accepted."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from wgflow.dae import (
    NOISE_NAMES,
    CustomNoise,
    GaussianNoise,
    LaplaceNoise,
    UniformBallNoise,
    UniformBoxNoise,
    resolve_noise,
)
from wgflow.errors import WgflowError

LAWS = [GaussianNoise(), LaplaceNoise(), UniformBoxNoise(), UniformBallNoise()]


def _std_normal(*e):
    return np.exp(-0.5 * sum(c * c for c in e)) / (2 * np.pi) ** (len(e) / 2)


@pytest.mark.parametrize("law", LAWS + [CustomNoise(_std_normal)], ids=lambda law: law.name)
def test_density_has_mass_one_mean_zero_covariance_t(law):
    """Midpoint quadrature of nu_t on a fine 2-D grid (the box and ball edges cut cells: 2e-3)."""
    t, n = 0.7, 801
    u = np.linspace(-8, 8, n)
    h = u[1] - u[0]
    e1, e2 = np.meshgrid(u, u, indexing="ij")
    w = law.pdf(np.stack([e1, e2], axis=-1), t) * h * h
    assert w.sum() == pytest.approx(1.0, abs=2e-3)
    assert abs((w * e1).sum()) < 1e-12 and abs((w * e2).sum()) < 1e-12
    cov = [[(w * a * b).sum() for b in (e1, e2)] for a in (e1, e2)]
    np.testing.assert_allclose(cov, t * np.eye(2), atol=3e-3)


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.name)
def test_samples_have_covariance_t(law):
    x = law.sample(200_000, 3, 0.4, np.random.default_rng(0))
    assert x.shape == (200_000, 3)
    np.testing.assert_allclose(np.cov(x.T), 0.4 * np.eye(3), atol=6e-3)
    if isinstance(law, UniformBallNoise):
        assert np.linalg.norm(x, axis=1).max() <= law.radius(0.4, 3)


def test_separable_densities_match_their_closed_forms():
    """nu_t in 2-D from the one-dimensional factors: N(0, t I), Laplace of scale sqrt(t/2)
    per axis, uniform on [-sqrt(3t), sqrt(3t)]^2."""
    t = 0.5
    e = np.random.default_rng(1).uniform(-1.5, 1.5, (200, 2))
    b, a = np.sqrt(t / 2), np.sqrt(3 * t)
    np.testing.assert_allclose(
        GaussianNoise().pdf(e, t), np.exp(-(e**2).sum(1) / (2 * t)) / (2 * np.pi * t), rtol=1e-14
    )
    np.testing.assert_allclose(
        LaplaceNoise().pdf(e, t), np.exp(-np.abs(e).sum(1) / b) / (2 * b) ** 2, rtol=1e-14
    )
    inside = (np.abs(e) <= a).all(axis=1)
    assert 0 < inside.sum() < len(e)
    np.testing.assert_allclose(UniformBoxNoise().pdf(e, t), inside / (2 * a) ** 2, rtol=1e-14)


@pytest.mark.parametrize("law", [LaplaceNoise(), UniformBoxNoise()], ids=["laplace", "box"])
def test_interval_moments_are_exact(law):
    """The closed forms of ∫_lo^hi p_t(delta - u) u^p du against adaptive quadrature, with
    the kink (Laplace) or the jumps (box) inside, at the ends and outside the interval."""
    t, lo, hi = 0.3, -0.2, 0.5
    deltas = np.array([-1.0, -0.2, 0.0, 0.17, 0.5, 0.9, 1.6])
    moments = law.interval_moments(deltas, lo, hi, t, 3)
    assert moments.shape == (4, deltas.size)
    for j, delta in enumerate(deltas):
        breaks = [delta] if isinstance(law, LaplaceNoise) else [
            delta - law.half_width(t), delta + law.half_width(t)]
        for p in range(4):
            ref = quad(
                lambda u, p=p, delta=delta: np.exp(law.log_pdf_1d(delta - u, t)) * u**p,
                lo, hi, points=[b for b in breaks if lo < b < hi] or None,
                epsabs=1e-15, epsrel=1e-13,
            )[0]
            assert moments[p, j] == pytest.approx(ref, rel=1e-11, abs=1e-15)


def test_resolve_noise():
    assert NOISE_NAMES == ("gaussian", "laplace", "box", "uniform", "ball")
    assert isinstance(resolve_noise(" Laplace "), LaplaceNoise)
    assert isinstance(resolve_noise("uniform"), UniformBoxNoise)
    law = UniformBallNoise(subcells=2)
    assert resolve_noise(law) is law
    custom = resolve_noise(_std_normal)
    assert isinstance(custom, CustomNoise) and custom.name == "custom"
    with pytest.raises(WgflowError, match="unknown noise 'cauchy'; accepted: 'gaussian', 'lap"):
        resolve_noise("cauchy")
    with pytest.raises(WgflowError, match="noise must be a name .* got float"):
        resolve_noise(3.0)


def test_what_a_law_cannot_do_is_refused():
    with pytest.raises(WgflowError, match="no closed-form kernel moments; use quadrature='midp"):
        GaussianNoise().interval_moments(np.zeros(3), 0.0, 1.0, 0.5, 3)
    with pytest.raises(WgflowError, match="'ball' is not separable"):
        UniformBallNoise().log_pdf_1d(np.zeros(3), 0.5)
    with pytest.raises(WgflowError, match="has no sampler; pass sampler="):
        CustomNoise(_std_normal).sample(5, 2, 0.5, np.random.default_rng(0))
    with pytest.raises(WgflowError, match="subcells must be an integer >= 1, got 0"):
        UniformBallNoise(subcells=0)


def test_custom_noise_is_checked():
    with pytest.raises(WgflowError, match="needs a callable density"):
        CustomNoise("gauss")
    with pytest.raises(WgflowError, match="sampler must be callable or None"):
        CustomNoise(_std_normal, sampler=3)
    bad = CustomNoise(_std_normal, name="bad", sampler=lambda n, d, rng: np.zeros((n, d + 1)))
    with pytest.raises(WgflowError, match=r"sampler of noise law 'bad' must return \(4, 2\)"):
        bad.sample(4, 2, 0.5, np.random.default_rng(0))
    with pytest.raises(WgflowError, match="returned shape"):
        CustomNoise(lambda a, b: np.ones(3)).pdf(np.zeros((5, 2)), 0.5)
    with pytest.raises(WgflowError, match="failed on coordinate arrays"):
        CustomNoise(lambda a: a.missing).pdf(np.zeros((5, 1)), 0.5)
    shifted = CustomNoise(lambda a: np.exp(-0.5 * (a - 1) ** 2) / np.sqrt(2 * np.pi))
    with pytest.raises(WgflowError, match=r"must be standardised .* mean \[1\.0\]"):
        shifted.pdf(np.zeros((5, 1)), 0.5)
    sampled = CustomNoise(_std_normal, sampler=lambda n, d, rng: rng.standard_normal((n, d)))
    assert sampled.sample(3, 2, 4.0, np.random.default_rng(0)).shape == (3, 2)
