"""Tests of wgflow.plotting, one section per module: the convention for axes and figures
(``_figures``), snapshots and animations, tracked curves, the result picture, maps."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _helpers import gaussian_entropies, raises_naming  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import wgflow as wg  # noqa: E402
from wgflow.plotting import (  # noqa: E402
    animate_densities,
    plot_displacement,
    plot_result,
    plot_snapshots,
    plot_tracked,
    plot_trajectories,
    save_figure,
)


def gaussians(ndim, n=12, count=3):
    grid = wg.Grid([(-1, 1)] * ndim, n)
    times = np.linspace(0, 0.02, count)
    return [wg.exact.heat_gaussian(grid, [0.0] * ndim, 0.05, t) for t in times]


def not_uniform(path):
    pixels = mpimg.imread(path)
    return pixels.ndim == 3 and not np.all(pixels == pixels[0, 0])


@pytest.fixture(scope="module")
def result_1d():
    grid = wg.Grid([(-1, 1)], 32)
    rho0 = wg.exact.heat_gaussian(grid, 0.0, 0.02, 0.0)
    return wg.solve(wg.flows.Heat(), rho0, t_end=0.004, dt=1e-3, track=["shannon", "mass"])


@pytest.fixture(scope="module")
def result_2d():
    grid = wg.Grid([(-1, 1), (-1, 1)], 16)
    rho0 = wg.exact.heat_gaussian(grid, [0.0, 0.0], 0.03, 0.0)
    return wg.solve(wg.flows.Heat(), rho0, t_end=0.002, dt=1e-3, track=["shannon", "renyi:2"])


def small_paths():
    """Two particles moving to the origin over t in [0, 1] (11 times)."""
    t = np.linspace(0.0, 1.0, 11)
    return np.stack([np.outer(1 - t, [1.0, 2.0]), np.outer(1 - t, [-1.0, 0.5])], axis=1), t


def displacement_case():
    grid = wg.Grid([(-3, 3), (-3, 3)], 24)
    rho = wg.exact.heat_gaussian(grid, [0, 0], 1.0, 0.0)
    return grid, wg.dae.dae_map(rho, 0.5), rho


def axes_within(fig):
    """The axes of a (sub)figure and of its subfigures."""
    return fig.axes + [ax for sub in fig.subfigs for ax in axes_within(sub)]


# -- the convention: fig= for panel layouts, ax= for one panel, the top-level Figure back ----
FIG_CALLS = {
    "plot_snapshots": lambda result, fig: plot_snapshots(result.densities, fig=fig),
    "plot_tracked": lambda result, fig: plot_tracked(result, fig=fig),
    "plot_result": lambda result, fig: plot_result(result, fig=fig),
}
AX_CALLS = {
    "plot_trajectories": lambda ax: plot_trajectories(small_paths()[0], ax=ax),
    "plot_displacement": lambda ax: plot_displacement(*displacement_case()[:2], ax=ax),
}


@pytest.mark.parametrize("name", FIG_CALLS)
def test_fig_functions_fill_the_given_subfigure_and_return_its_root(name, result_2d):
    root = Figure()
    left, right = root.subfigures(1, 2)
    assert FIG_CALLS[name](result_2d, right) is root
    assert axes_within(right) and not axes_within(left)
    with raises_naming("fig", "str"):
        FIG_CALLS[name](result_2d, "not a figure")


@pytest.mark.parametrize("name", FIG_CALLS)
def test_fig_functions_make_new_figures_outside_pyplot(name, result_2d):
    before = plt.get_fignums()
    fig = FIG_CALLS[name](result_2d, None)
    assert isinstance(fig, Figure) and fig.axes
    assert plt.get_fignums() == before


@pytest.mark.parametrize("name", AX_CALLS)
def test_ax_functions_draw_into_the_given_axes_and_return_its_root(name):
    root = Figure()
    left, right = root.subfigures(1, 2)
    axes = right.subplots(1, 2)
    assert AX_CALLS[name](axes[1]) is root
    assert axes[1].lines or axes[1].collections
    assert not (axes[0].lines or axes[0].collections)
    with raises_naming("ax", "Axes", "str"):
        AX_CALLS[name]("not axes")
    before = plt.get_fignums()
    fig = AX_CALLS[name](None)
    assert isinstance(fig, Figure) and plt.get_fignums() == before


def test_draws_into_a_pyplot_figure():
    fig = plt.figure()
    try:
        assert plot_snapshots(gaussians(1), fig=fig) is fig
    finally:
        plt.close(fig)


def test_save_figure_writes_the_root_of_a_subfigure(tmp_path):
    root = Figure()
    sub = root.subfigures(1, 2)[0]
    plot_snapshots(gaussians(2), fig=sub)
    path = save_figure(sub, tmp_path / "sub" / "snap")
    assert path == tmp_path / "sub" / "snap.png" and not_uniform(path)
    assert save_figure(root, tmp_path / "snap.pdf").read_bytes().startswith(b"%PDF")


def test_save_figure_rejects_non_figures(tmp_path):
    with raises_naming("fig", "Figure", "str"):
        save_figure("not a figure", tmp_path / "x.png")


# -- snapshots: plot_snapshots and animate_densities ---------------------------------------
def test_snapshots_1d_draws_one_curve_per_density():
    densities = gaussians(1, n=40, count=4)
    fig = plot_snapshots(densities, [0, 0.1, 0.2, 0.3])
    (ax,) = fig.axes
    assert len(ax.lines) == 4
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), densities[2].values)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), densities[0].grid.axes[0])
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "t = 0.1"
    assert ax.lines[0].get_color() != ax.lines[-1].get_color()  # early to late shades


def test_snapshots_2d_share_one_colour_scale(tmp_path):
    densities = gaussians(2, count=3)
    fig = plot_snapshots(densities, [0, 1, 2], title="heat")
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 3
    assert len({im.get_clim() for im in images}) == 1
    assert images[0].get_clim() == (0.0, pytest.approx(densities[0].values.max()))
    # first grid axis horizontal: the image array is the transpose of the values
    np.testing.assert_array_equal(images[1].get_array(), densities[1].values.T)
    assert images[1].get_extent() == [-1.0, 1.0, -1.0, 1.0]
    assert len(fig.axes) == 4  # three images and the colour bar
    assert fig.get_suptitle() == "heat"
    path = save_figure(fig, tmp_path / "snap.png")
    assert path.stat().st_size > 0 and not_uniform(path)


def test_snapshots_3d_show_middle_slice():
    densities = gaussians(3, n=8, count=2)
    fig = plot_snapshots(densities)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 2
    np.testing.assert_array_equal(images[0].get_array(), densities[0].values[:, :, 4].T)
    assert "middle slice z = 0.125" in fig.get_suptitle()


def test_snapshots_select_evenly_keeping_first_and_last():
    densities = gaussians(1, count=10)
    fig = plot_snapshots(densities, np.arange(10.0), max_snapshots=3)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["t = 0", "t = 4", "t = 9"]
    fig = plot_snapshots(densities, np.arange(10.0), max_snapshots=1)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["t = 9"]
    assert len(plot_snapshots(densities, max_snapshots=None).axes[0].lines) == 10
    untimed = plot_snapshots(densities[:2])
    assert [t.get_text() for t in untimed.axes[0].get_legend().get_texts()] == ["#0", "#1"]


def test_single_density_and_labels_and_view():
    (rho,) = gaussians(2, count=1)
    fig = plot_snapshots(rho, labels=["exact"], view=[(-0.5, 0.5), (-0.25, 0.25)])
    ax = fig.axes[0]
    assert ax.get_title() == "exact"
    assert ax.get_xlim() == (-0.5, 0.5) and ax.get_ylim() == (-0.25, 0.25)


@pytest.mark.parametrize(
    "densities, kwargs, fragments",
    [
        ([], {}, ["empty"]),
        (np.ones((4, 4)), {}, ["densities", "Density"]),
        ([1.0, 2.0], {}, ["densities[0]", "float", "not a wgflow Density"]),
        (gaussians(1) + gaussians(2), {}, ["same dimension", "densities[3] is 2-D"]),
        (gaussians(1, count=3), {"times": [0, 1]}, ["one time per density", "3 densities"]),
        (gaussians(1, count=2), {"times": [0, np.nan]}, ["times", "finite", "nan"]),
        (gaussians(1, count=3), {"labels": ["a"]}, ["one label per density", "1 labels"]),
        (gaussians(2), {"view": [(0, 1)]}, ["view must hold 2", "[(0, 1)]"]),
        (gaussians(1), {"view": [(1, 0)]}, ["lo < hi", "[(1, 0)]"]),
        (gaussians(1), {"max_snapshots": 0}, ["max_snapshots", ">= 1", "0"]),
        (gaussians(1), {"cmap": "no-such-map"}, ["colour map", "'no-such-map'"]),
    ],
)
def test_snapshots_bad_input(densities, kwargs, fragments):
    with raises_naming(*fragments):
        plot_snapshots(densities, **kwargs)


def test_animate_densities(tmp_path):
    grid = wg.Grid([(-2, 2)], 32)
    frames = [wg.exact.heat_gaussian(grid, 0.0, 0.1, t) for t in (0.0, 0.05, 0.1)]
    path = animate_densities(frames, [0.0, 0.05, 0.1], tmp_path / "heat", title="heat")
    assert path.suffix == ".gif" and path.read_bytes().startswith(b"GIF")
    path = animate_densities(gaussians(2, count=2), [0.0, 1.0], tmp_path / "2d" / "frames.gif")
    assert path.read_bytes().startswith(b"GIF")


@pytest.mark.parametrize(
    "frames, times, kwargs, fragments",
    [
        ([], [], {}, ["empty"]),
        (gaussians(1), [0.0], {}, ["one time per", "3 densities"]),
        ([np.zeros(4)], [0.0], {}, ["Density"]),
        (gaussians(3, n=4, count=1), [0.0], {}, ["1-D and 2-D", "3-D"]),
        (gaussians(1), [0, 1, 2], {"fps": 0}, ["fps", ">= 1"]),
        (gaussians(2), [0, 1, 2], {"cmap": "nope"}, ["colour map", "'nope'"]),
    ],
)
def test_animate_densities_bad_input(tmp_path, frames, times, kwargs, fragments):
    with raises_naming(*fragments):
        animate_densities(frames, times, tmp_path / "x.gif", **kwargs)


# -- tracked: plot_tracked -------------------------------------------------------------------
def test_tracked_one_panel_per_name_with_exact_dashed(result_1d):
    times = np.linspace(0, 0.004, 9)
    exact = {"shannon": (times, [gaussian_entropies(0.02 + 2 * t, 2.0)[0] for t in times])}
    fig = plot_tracked(result_1d, exact=exact)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["Shannon entropy H", "mass"]
    dashed = [line for line in visible[0].lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1
    np.testing.assert_array_equal(dashed[0].get_xdata(), times)
    solid = visible[0].lines[0]
    np.testing.assert_array_equal(solid.get_ydata(), result_1d.tracked["shannon"])
    np.testing.assert_array_equal(solid.get_xdata(), result_1d.tracked_times["shannon"])


def test_tracked_names_and_extra_panel(result_1d, result_2d):
    fig = plot_tracked(result_1d, names="mass", extra={"error": ([1, 2, 3], [1e-3, 1e-2, 1e-1])})
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["mass", "error"]
    assert visible[1].get_yscale() == "log"
    fig = plot_tracked(result_2d, ncols=1, title="entropies")
    assert [ax.get_title() for ax in fig.axes] == ["Shannon entropy H", "Rényi entropy R_2"]
    assert fig.get_suptitle() == "entropies"


@pytest.mark.parametrize(
    "kwargs, fragments",
    [
        ({"names": ["renyi:2"]}, ["not tracked", "'renyi:2'", "'shannon', 'mass'"]),
        ({"exact": {"renyi:2": ([0], [1])}}, ["not plotted", "'renyi:2'"]),
        ({"exact": {"shannon": ([0, 1], [1])}}, ["exact['shannon']", "equal", "2 times"]),
        ({"exact": {"shannon": 3.0}}, ["exact['shannon']", "pair"]),
        ({"extra": {"err": ([], [])}}, ["extra['err']", "non-zero length"]),
        ({"ncols": 0}, ["ncols", ">= 1", "0"]),
    ],
)
def test_tracked_bad_input(result_1d, kwargs, fragments):
    with raises_naming(*fragments):
        plot_tracked(result_1d, **kwargs)


def test_tracked_needs_a_result_with_tracked_values(result_1d):
    with raises_naming("SolveResult", "dict"):
        plot_tracked({"shannon": [1, 2]})
    empty = wg.solve(wg.flows.Heat(), result_1d.densities[0], t_end=1e-3, dt=1e-3)
    with raises_naming("tracked no functionals"):
        plot_tracked(empty)


# -- result: plot_result -------------------------------------------------------------------
def test_result_1d_with_exact_and_error(result_1d, tmp_path):
    exact_final = wg.exact.heat_gaussian(result_1d.grid, 0.0, 0.02, result_1d.times[-1])
    errors = [rho.relative_l1_error(wg.exact.heat_gaussian(rho.grid, 0.0, 0.02, t))
              for rho, t in zip(result_1d.densities, result_1d.times)]
    fig = plot_result(result_1d, exact_final=exact_final, error=(result_1d.times, errors))
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "relative L1 error vs exact" in titles
    assert any(t.startswith("final relative L1 error") for t in titles)
    assert any(line.get_linestyle() == "--" for line in fig.axes[0].lines)
    assert fig.get_suptitle().startswith("heat flow, method jko: success")
    path = save_figure(fig, tmp_path / "sub" / "result")
    assert path.name == "result.png" and not_uniform(path)


def test_result_2d_adds_exact_image(result_2d):
    exact_final = wg.exact.heat_gaussian(result_2d.grid, [0, 0], 0.03, result_2d.times[-1])
    fig = plot_result(result_2d, exact_final=exact_final, max_snapshots=2, title="mine")
    images = [ax for ax in fig.axes if ax.get_images()]
    assert [ax.get_title() for ax in images][-1].startswith("exact")
    assert len(images) == 3
    assert fig.get_suptitle() == "mine"


def test_result_without_tracked_values(result_1d):
    plain = wg.solve(wg.flows.Heat(), result_1d.densities[0], t_end=1e-3, dt=1e-3)
    exact_final = wg.exact.heat_gaussian(plain.grid, 0.0, 0.02, 1e-3)
    fig = plot_result(plain, exact_final=exact_final)
    assert len(fig.axes) == 1
    assert "final relative L1 error vs exact" in fig.get_suptitle()


def test_result_bad_input(result_1d, result_2d):
    with raises_naming("SolveResult", "list"):
        plot_result(result_1d.densities)
    empty = wg.SolveResult(times=np.array([]), densities=[], tracked={}, tracked_times={},
                           success=False, message="nothing", flow="heat", method="jko")
    with raises_naming("empty"):
        plot_result(empty)
    with pytest.raises(wg.WgflowError, match="different grids"):
        plot_result(result_1d, exact_final=result_2d.final)
    with raises_naming("exact_final", "Density", "ndarray"):
        plot_result(result_1d, exact_final=np.zeros(32))


# -- maps: plot_trajectories and plot_displacement -----------------------------------------
def test_plot_trajectories_draws_lines_and_dots():
    paths, t = small_paths()
    fig = plot_trajectories(paths, t, midpoint_every=0.2, color="gray", label="particles")
    ax = fig.axes[0]
    assert len(ax.lines) == 4                       # a line and a set of dots per particle
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), paths[:, 0, 0])
    np.testing.assert_allclose(ax.lines[1].get_xdata(), paths[::2, 0, 0])  # t = 0, 0.2, ...
    assert ax.lines[0].get_label() == "particles" and ax.lines[2].get_label().startswith("_")
    coloured = plot_trajectories(paths, color=["red", "blue"]).axes[0]
    assert [line.get_color() for line in coloured.lines] == ["red", "blue"]


@pytest.mark.parametrize(
    "paths, kwargs, fragments",
    [
        (np.zeros((5, 3)), {}, ["(T, n, 2)", "(5, 3)"]),
        (np.zeros((5, 3, 3)), {}, ["(T, n, 2)", "(5, 3, 3)"]),
        (np.zeros((0, 3, 2)), {}, ["empty", "(0, 3, 2)"]),
        (np.zeros((4, 0, 2)), {}, ["empty", "(4, 0, 2)"]),
        (np.full((4, 2, 2), np.nan), {}, ["paths", "finite"]),
        ("abc", {}, ["paths", "numeric"]),
        (np.zeros((4, 2, 2)), {"times": [0.0, 1.0]}, ["one time per", "2 times"]),
        (np.zeros((4, 2, 2)), {"times": [0, 1, 2, 3], "midpoint_every": 0.0},
         ["midpoint_every", "> 0", "0.0"]),
        (np.zeros((4, 2, 2)), {"color": ["r", "g", "b"]}, ["color", "2 particles"]),
        (np.zeros((4, 2, 2)), {"color": 3}, ["color", "3"]),
    ],
)
def test_plot_trajectories_bad_input(paths, kwargs, fragments):
    with raises_naming(*fragments):
        plot_trajectories(paths, **kwargs)


def test_plot_displacement():
    grid, phi, rho = displacement_case()
    fig = plot_displacement(grid, phi, step=3, density=rho, title="DAE")
    ax = fig.axes[0]
    (quiver,) = ax.collections
    np.testing.assert_allclose(quiver.U, (phi[0] - grid.coordinates[0])[1::3, 1::3].ravel())
    assert ax.get_images() and ax.get_title() == "DAE"
    assert len(fig.axes) == 2  # the axes and the colour bar of |T(x) - x|


@pytest.mark.parametrize(
    "call, fragments",
    [
        (lambda grid, phi: plot_displacement(wg.Grid([(-1, 1)], 8), np.zeros((1, 8))),
         ["2-D grid", "1-D"]),
        (lambda grid, phi: plot_displacement(grid, phi[:, :10]),
         ["map_values", "shape", "(2, 24, 24)"]),
        (lambda grid, phi: plot_displacement(grid, phi, step=0), ["step", ">= 1", "0"]),
        (lambda grid, phi: plot_displacement(grid, np.full_like(phi, np.inf)),
         ["map_values", "finite"]),
        (lambda grid, phi: plot_displacement("grid", phi), ["Grid", "str"]),
        (lambda grid, phi: plot_displacement(grid, phi, density=np.zeros((24, 24))),
         ["density", "2-D wgflow Density"]),
    ],
)
def test_plot_displacement_bad_input(call, fragments):
    grid, phi, _ = displacement_case()
    with raises_naming(*fragments):
        call(grid, phi)
