"""Tests of wgflow.dae.noise: every law has mean 0 and covariance t I, its kernel moments and
its excess kurtosis are exact (against independent quadratures), the DAEs of the new laws
match closed forms for Gaussian data, and bad laws are refused with messages that say what is
accepted."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _helpers import raises_naming
from scipy.integrate import quad
from scipy.special import gammaln

import wgflow as wg
from wgflow.dae import (
    NOISE_NAMES,
    BimodalNoise,
    CustomNoise,
    GaussianNoise,
    LaplaceNoise,
    NoiseLaw,
    StudentTNoise,
    UniformBallNoise,
    UniformBoxNoise,
    dae_map,
    dae_velocity,
    resolve_noise,
)
from wgflow.dae.noise import quadrature_moments
from wgflow.errors import WgflowError

LAWS = [
    GaussianNoise(), LaplaceNoise(), UniformBoxNoise(), UniformBallNoise(), StudentTNoise(),
    BimodalNoise(),
]


def _std_normal(*e):
    return np.exp(-0.5 * sum(c * c for c in e)) / (2 * np.pi) ** (len(e) / 2)


LIGHT_TAILED = [law for law in LAWS if not isinstance(law, StudentTNoise)]


@pytest.mark.parametrize(
    "law", LIGHT_TAILED + [CustomNoise(_std_normal)], ids=lambda law: law.name
)
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
    assert NOISE_NAMES == (
        "gaussian", "laplace", "box", "uniform", "ball", "student-t", "bimodal"
    )
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


# ----------------------------------------------------------------------------------------------
# the Student-t and bimodal laws, and the excess kurtosis of every law
# ----------------------------------------------------------------------------------------------
def _radial_moment(law, d, p, t=1.0):
    """``E|eps|^p`` of a spherical law by adaptive quadrature of its density along a ray
    (surface of the unit sphere: 2 in 1-D, 2 pi in 2-D, 4 pi in 3-D), to infinity."""
    surface = {1: 2.0, 2: 2.0 * np.pi, 3: 4.0 * np.pi}[d]

    def integrand(r):
        point = np.zeros((1, d))
        point[0, 0] = r
        return surface * r ** (d - 1 + p) * float(law.pdf(point, t)[0])

    radius = math.sqrt((d + 2.0) * t) if isinstance(law, UniformBallNoise) else np.inf
    return quad(integrand, 0.0, radius, limit=400, epsabs=1e-13, epsrel=1e-12)[0]


@pytest.mark.parametrize("d", [1, 2, 3])
def test_student_t_is_standardised_with_its_kurtosis(d):
    """Mass 1, E|eps|^2 = d t and E[eps_1^4] = 3 E|eps|^4 / (d (d + 2)) = (3 + 6) t^2 for 5
    degrees of freedom, from the density along a ray integrated to infinity (the tails
    ~ r^-(5 + d) need it)."""
    law, t = StudentTNoise(), 0.3
    assert _radial_moment(law, d, 0, t) == pytest.approx(1.0, rel=1e-10)
    assert _radial_moment(law, d, 2, t) == pytest.approx(d * t, rel=1e-9)
    marginal4 = 3.0 * _radial_moment(law, d, 4, t) / (d * (d + 2))
    assert marginal4 / t**2 - 3.0 == pytest.approx(law.excess_kurtosis(d), rel=1e-8)
    assert law.excess_kurtosis(d) == 6.0
    # the marginal is the univariate t with 5 degrees of freedom scaled to variance t
    s = math.sqrt(3.0 * t / 5.0)
    u = np.array([0.0, 0.4, 1.3, 3.0])
    marginal = StudentTNoise().pdf(u[:, None], t)
    log_t5 = gammaln(3.0) - gammaln(2.5) - 0.5 * math.log(5 * math.pi) - 3.0 * np.log1p(
        (u / s) ** 2 / 5.0)
    np.testing.assert_allclose(marginal, np.exp(log_t5) / s, rtol=1e-13)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_ball_kurtosis_depends_on_the_dimension(d):
    """-6/(d + 4): -1.2 (the box), -1, -6/7; by quadrature along a ray."""
    law = UniformBallNoise()
    marginal4 = 3.0 * _radial_moment(law, d, 4) / (d * (d + 2))
    assert law.excess_kurtosis(d) == pytest.approx(-6.0 / (d + 4))
    assert marginal4 - 3.0 == pytest.approx(law.excess_kurtosis(d), rel=1e-9)


@pytest.mark.parametrize(
    "law, kappa",
    [(GaussianNoise(), 0.0), (LaplaceNoise(), 3.0), (UniformBoxNoise(), -1.2),
     (BimodalNoise(), -2 * 0.9**4)],
    ids=["gaussian", "laplace", "box", "bimodal"],
)
def test_separable_kurtosis_against_quadrature(law, kappa):
    """E[u^4] / t^2 - 3 of the one-dimensional factor by adaptive quadrature (breaks at the
    kink, the jumps and the bumps)."""
    t = 0.6
    pdf = lambda u: float(np.exp(law.log_pdf_1d(np.array(u), t)))  # noqa: E731
    lim = math.sqrt(3 * t) if isinstance(law, UniformBoxNoise) else 30 * math.sqrt(t)
    points = [0.0, -0.9 * math.sqrt(t), 0.9 * math.sqrt(t)]
    moments = [quad(lambda u, p=p: u**p * pdf(u), -lim, lim, points=points, limit=200,
                    epsabs=1e-14, epsrel=1e-12)[0] for p in (0, 2, 4)]
    assert moments[0] == pytest.approx(1.0, abs=1e-11)
    assert moments[1] == pytest.approx(t, rel=1e-10)
    assert moments[2] / t**2 - 3.0 == pytest.approx(kappa, abs=1e-9)
    assert law.excess_kurtosis() == pytest.approx(kappa, abs=1e-15)
    assert law.excess_kurtosis(3) == law.excess_kurtosis(1)  # a product law: every d


def test_fourth_cumulant_structure():
    """Product laws: kappa on the diagonal iiii only; spherical laws: (kappa/3)(d_ij d_kl +
    d_ik d_jl + d_il d_jk), so kappa_1122 = kappa/3 (E[x1^2 x2^2] - 1 by quadrature for the
    ball: E|x|^4 / (d (d + 2)) - 1)."""
    lap = LaplaceNoise().fourth_cumulant(2)
    assert lap[0, 0, 0, 0] == lap[1, 1, 1, 1] == 3.0
    assert np.count_nonzero(lap) == 2
    ball = UniformBallNoise().fourth_cumulant(2)
    cross = _radial_moment(UniformBallNoise(), 2, 4) / 8.0 - 1.0
    assert ball[0, 0, 1, 1] == ball[0, 1, 0, 1] == ball[1, 0, 0, 1] == pytest.approx(cross)
    assert ball[0, 0, 0, 0] == pytest.approx(-1.0) and ball[0, 0, 0, 1] == 0.0
    np.testing.assert_array_equal(GaussianNoise().fourth_cumulant(3), 0.0)
    heavy = StudentTNoise(4.0).fourth_cumulant(2)
    assert heavy[0, 0, 0, 0] == math.inf and heavy[0, 0, 1, 1] == math.inf
    assert heavy[0, 0, 0, 1] == 0.0 and StudentTNoise(3.5).excess_kurtosis() == math.inf


def test_quadrature_moments_of_a_custom_law_match_the_closed_forms():
    """A custom law given by the bimodal density: its quadrature kurtosis and cumulant tensor
    match BimodalNoise's closed forms (smooth density: the midpoint rule is spectral)."""
    law = BimodalNoise()

    def density(*e):
        return np.exp(sum(law.log_pdf_1d(c, 1.0) for c in e))

    custom = CustomNoise(density, name="bimodal-custom")
    for d in (1, 2):
        custom.check_standardised(d)
        np.testing.assert_allclose(custom.fourth_cumulant(d), law.fourth_cumulant(d), atol=1e-10)
    assert custom.excess_kurtosis(2) == pytest.approx(-1.3122, abs=1e-10)
    moments = quadrature_moments(lambda eps: law.pdf(eps, 1.0), 2)
    assert moments.mass == pytest.approx(1.0, abs=1e-13) and moments.tail_variance < 1e-50


@pytest.mark.parametrize("law", [StudentTNoise(), BimodalNoise()], ids=["student-t", "bimodal"])
def test_new_laws_are_sampled_with_covariance_t(law):
    x = law.sample(400_000, 2, 0.4, np.random.default_rng(3))
    assert x.shape == (400_000, 2)
    # the sample variance of a coordinate has standard error t sqrt((kappa + 2) / n): 5e-3
    # for the Student-t law (kappa = 6), 1e-3 for the bimodal one
    np.testing.assert_allclose(np.cov(x.T), 0.4 * np.eye(2), atol=6e-3)
    kurt = np.mean(x[:, 0] ** 4) / np.mean(x[:, 0] ** 2) ** 2 - 3.0
    if isinstance(law, BimodalNoise):  # the Student-t sample kurtosis converges too slowly
        assert kurt == pytest.approx(law.excess_kurtosis(), abs=0.02)


# ----------------------------------------------------------------------------------------------
# the DAEs of the new laws for Gaussian data
# ----------------------------------------------------------------------------------------------
def test_bimodal_dae_of_gaussian_data_is_a_mixture_of_linear_maps():
    """x~ = y + eps, y ~ N(0, s), eps a two-bump mixture: the joint law is a mixture of two
    Gaussians, so E[y | x~] = sum_k w_k(x~) s (x~ - m_k) / (s + v), with w_k proportional to
    N(x~; m_k, s + v) (m_k = -+0.9 sqrt(t), v = 0.19 t)."""
    grid = wg.Grid([(-7, 7)], 1400)
    s, t = 1.3, 0.25
    rho = wg.exact.heat_gaussian(grid, 0.0, s, 0.0)
    x = grid.axes[0]
    m, v = 0.9 * math.sqrt(t), 0.19 * t
    logw = np.stack([-0.5 * (x - mk) ** 2 / (s + v) for mk in (-m, m)])
    w = np.exp(logw - logw.max(0))
    w /= w.sum(0)
    exact = sum(wk * s * (x - mk) / (s + v) for wk, mk in zip(w, (-m, m)))
    phi = dae_map(rho, t, "bimodal")[0]
    inside = np.abs(x) < 4.5
    assert np.abs(phi - exact)[inside].max() < 1e-9  # midpoint rule, bumps of 20 cells


@pytest.mark.parametrize("d", [1, 2])
def test_student_t_dae_of_gaussian_data_is_a_scale_mixture(d):
    """The Student-t law is N(0, tau I) with tau = 3 t / W, W ~ chi^2_5: for y ~ N(0, s I),
    E[y | x~] = x~ E[s / (s + tau) | x~], the posterior over W weighting the chi^2 density by
    N(x~; 0, (s + tau) I); a one-dimensional quadrature, independent of the grid."""
    s, t = 1.0, 0.2
    grid = wg.Grid([(-8, 8)] * d, 800 if d == 1 else 160)
    rho = wg.exact.heat_gaussian(grid, np.zeros(d), s, 0.0)
    phi = dae_map(rho, t, "student-t")
    index = (560,) if d == 1 else (104, 70)
    x = np.array([ax[i] for ax, i in zip(grid.axes, index)])
    r2 = float(x @ x)

    def weight(w, shrink):
        tau = 3.0 * t / w
        log = (1.5 * math.log(w) - 0.5 * w - 0.5 * d * math.log(s + tau)
               - 0.5 * r2 / (s + tau))
        return math.exp(log) * (s / (s + tau) if shrink else 1.0)

    num = quad(weight, 0, np.inf, args=(True,), epsabs=0, epsrel=1e-12, limit=200)[0]
    den = quad(weight, 0, np.inf, args=(False,), epsabs=0, epsrel=1e-12, limit=200)[0]
    exact = x * num / den
    got = phi[(slice(None), *index)]
    # midpoint rule of a smooth kernel of width 0.35 on cells of 0.02 (1-D), 0.1 (2-D)
    assert np.abs(got - exact).max() < (1e-10 if d == 1 else 2e-4)


def test_ball_noise_with_matched_moments():
    """Matching the kernel's mass and second moment takes the 2-D ball DAE of N(0, I) from a
    relative velocity error of about h^2 / (12 t) to second order in h (against adaptive polar
    quadrature of eq. 4 at one point)."""
    t = 0.03
    r = math.sqrt(4 * t)

    def reference(x):
        def polar(f):
            return quad(lambda th: quad(lambda rr: rr * f(rr * np.cos(th), rr * np.sin(th)),
                                        0, r, epsabs=1e-13)[0], 0, 2 * np.pi, epsabs=1e-13)[0]

        def mu(e1, e2):
            return np.exp(-0.5 * ((x[0] - e1) ** 2 + (x[1] - e2) ** 2))

        den = polar(mu)
        return -np.array([polar(lambda e1, e2, k=k: (e1, e2)[k] * mu(e1, e2))
                          for k in range(2)]) / den / t

    errors = {}
    for n in (64, 128):
        grid = wg.Grid([(-6, 6), (-6, 6)], n)
        rho = wg.exact.heat_gaussian(grid, [0.0, 0.0], 1.0, 0.0)
        i, j = int(0.6 * n), int(0.45 * n)
        ref = reference(np.array([grid.axes[0][i], grid.axes[1][j]]))
        for matched in (False, True):
            v = dae_velocity(rho, t, UniformBallNoise(match_moments=matched))[:, i, j]
            errors[n, matched] = np.abs(v - ref).max() / np.abs(ref).max()
    print({k: f"{e:.2e}" for k, e in errors.items()})
    assert errors[128, True] < 1e-3 < 1e-2 < errors[128, False]
    assert errors[64, True] / errors[128, True] > 3.0  # second order: 4


def test_bad_new_laws_are_refused():
    for dof in (2.0, 1.5, -1, math.inf, "5", True):
        with raises_naming("dof", "> 2", repr(dof)):
            StudentTNoise(dof)
    for offset in (1.0, -0.1, "0.5"):
        with raises_naming("offset", "[0, 1)", repr(offset)):
            BimodalNoise(offset)
    with raises_naming("match_moments must be True or False, got 1"):
        UniformBallNoise(match_moments=1)
    with raises_naming("d (the dimension) must be 1, 2 or 3, got 4"):
        LaplaceNoise().excess_kurtosis(4)
    assert StudentTNoise(7).name == "student-t7" and resolve_noise("student-t").dof == 5.0
    assert repr(BimodalNoise(0.5)) == "BimodalNoise(offset=0.5)"


def test_custom_law_of_infinite_variance_is_refused():
    """A Student-t law with 2 degrees of freedom, scaled so that its moments on [-10, 10] look
    standardised: its second moment keeps growing beyond the box, and the check says so."""

    def t2(e):
        scale = 0.3
        return (1.0 + (e / scale) ** 2 / 2.0) ** -1.5 / (2.0 * math.sqrt(2.0) * scale)

    law = CustomNoise(t2, name="t2")
    with raises_naming("'t2'", "infinite variance", "finite variance"):
        law.check_standardised(1)
    with raises_naming("'t2'", "infinite variance"):
        law.excess_kurtosis(1)


def test_user_law_is_checked_by_quadrature():
    """A NoiseLaw subclass that is not standardised (variance 2 t) fails the base check."""

    class Wide(NoiseLaw):
        name = "wide"

        def log_pdf_1d(self, u, t):
            return -0.25 * np.asarray(u) ** 2 / t - 0.5 * math.log(4.0 * math.pi * t)

    with raises_naming("'wide'", "standardised", "covariance [[2.0]]"):
        Wide().check_standardised(1)
    with raises_naming("'wide'", "standardised"):
        Wide().excess_kurtosis(1)

    class Narrow(Wide):  # the Gaussian again, through the base class's quadrature
        name = "narrow"

        def log_pdf_1d(self, u, t):
            return GaussianNoise().log_pdf_1d(u, t)

    Narrow().check_standardised(2)
    np.testing.assert_allclose(Narrow().fourth_cumulant(2), 0.0, atol=1e-12)
