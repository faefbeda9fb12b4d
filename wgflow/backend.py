"""The array operations of the JKO step on each array backend: numpy, jax, torch, cupy.

The entropic JKO step (:mod:`wgflow.solvers.sinkhorn`) is written on POT's backend object
``nx`` (``nx.exp``, ``nx.log``, ``nx.sum``, ``nx.where``, ``nx.logsumexp``, ...), which
:mod:`wgflow.transport` supplies.  :class:`ArrayBackend` holds it together with the device
and the floating-point type of a run and adds what POT's backend lacks:

* the Gibbs kernel of one grid axis applied along an axis of an array, ``K x`` (a dense
  ``n x n`` product per axis, :meth:`ArrayBackend.axis_product`) and
  ``log sum_j exp(l_j - C_ij)`` (:meth:`ArrayBackend.axis_log_product`); memory is linear
  in the number of cells (the log-sum-exp runs in chunks of at most
  :data:`LOG_CHUNK_TERMS` terms).  The numpy backend keeps its banded products
  (:mod:`wgflow.kernels`);
* the Wright omega function ``z + log z = y`` (:meth:`ArrayBackend.wright_omega`) by a
  fixed number of Newton steps, so that no convergence test copies a value to the host;
* a division where a mask holds, floating-point warnings switched off, and the few host
  copies of scalars the iteration's stopping rule needs.

On the numpy backend every operation is the numpy call the step made before backends
existed, so its results are bitwise unchanged.  jax computes in float32 unless its
64-bit mode is on: :func:`resolve` turns ``jax_enable_x64`` on when a jax run in float64
is requested (it stays on for the process); importing wgflow changes nothing.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import WgflowError, check_choice
from .transport import get_backend

#: The array backends: POT's backend names without ``Backend``, in lower case.
BACKENDS = ("numpy", "jax", "torch", "cupy")
#: The floating-point types a run computes in.
DTYPES = ("float64", "float32")
#: How to install each optional backend.
INSTALL = {
    "jax": 'pip install "wgflow[jax]"',
    "torch": 'pip install "wgflow[torch]"',
    "cupy": 'pip install "wgflow[cupy]"',
}
#: Device names accepted besides ``"cuda:N"``; ``"gpu"`` means ``"cuda"``.
DEVICES = ("cpu", "cuda", "gpu")
#: Newton steps of :meth:`ArrayBackend.wright_omega`: from its starting guess the sixth
#: step is below ``1e-13`` (round-off) for every ``y`` in ``[-1e4, 1e300]`` (measured), so
#: the result is converged wherever it is finite.
OMEGA_NEWTON_STEPS = 6
#: Largest number of terms of one chunk of :meth:`ArrayBackend.axis_log_product`.
LOG_CHUNK_TERMS = 2**24
#: Smallest Sinkhorn tolerance (relative L1 marginal error) of a float32 run, and its
#: default: float32 resolves the marginal to about 1e-7 (8 ulps), so 1e-5 is reached in
#: as many sweeps as in float64.
FLOAT32_MIN_TOL = 1e-5
#: The documented accuracy of ``dtype="float32"``: the relative L1 difference between float32
#: and float64 densities after three JKO steps at :data:`FLOAT32_MIN_TOL` (measured at most
#: 6e-6: heat and Barenblatt on 32^2 cells, backward heat on 64 and 96 cells, backward porous
#: medium on 32^2; about 2e-6 per step).
FLOAT32_ACCURACY = 1e-5

Array = Any


class ArrayBackend:
    """POT's backend ``nx`` for one library, device and floating-point type.

    Parameters
    ----------
    nx : ot.backend.Backend
        POT's backend object (from :func:`wgflow.transport.get_backend`).
    name : str
        One of :data:`BACKENDS`.
    device : str
        ``"cpu"`` or ``"cuda:N"``.
    dtype : str
        One of :data:`DTYPES`.
    template : array
        A scalar of the backend on ``device`` with ``dtype`` (``type_as`` of POT's
        conversions).
    """

    def __init__(self, nx: Any, name: str, device: str, dtype: str, template: Array) -> None:
        self.nx = nx
        self.name = name
        self.device = device
        self.dtype = dtype
        self.template = template

    @property
    def is_numpy(self) -> bool:
        """Whether this is the numpy backend (the banded kernels of :mod:`wgflow.kernels`)."""
        return self.name == "numpy"

    def __repr__(self) -> str:
        return f"ArrayBackend({self.name!r}, device={self.device!r}, dtype={self.dtype!r})"

    # -- copies between host and backend -------------------------------------------------
    def asarray(self, x: np.ndarray) -> Array:
        """A host array on this backend, device and type (numpy float64: ``x`` itself)."""
        if self.is_numpy:
            return np.asarray(x, dtype=float)
        return self.nx.from_numpy(np.asarray(x, dtype=float), type_as=self.template)

    def to_host(self, x: Array) -> np.ndarray:
        """``x`` as a numpy float64 array (a copy from the device)."""
        if self.is_numpy:
            return np.asarray(x)
        return np.asarray(self.nx.to_numpy(x), dtype=float)

    def to_float(self, x: Array) -> float:
        """A scalar as a Python float (one value copied to the host)."""
        return float(x)

    # -- elementwise operations ----------------------------------------------------------
    def errstate(self) -> contextlib.AbstractContextManager[Any]:
        """No floating-point warnings inside (numpy's ``errstate``; the others do not warn)."""
        if self.is_numpy:
            return np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore")
        return contextlib.nullcontext()

    def divide(self, numerator: Array, denominator: Array, where: Array,
               fill: float = 0.0) -> Array:
        """``numerator / denominator`` where ``where`` holds, ``fill`` elsewhere."""
        if self.is_numpy:
            out = np.zeros_like(numerator) if fill == 0.0 else np.full_like(numerator, fill)
            return np.divide(numerator, denominator, out=out, where=where)
        return self.nx.where(where, numerator / denominator, fill)

    def all_finite(self, x: Array) -> bool:
        """Whether every entry of ``x`` is finite (one value copied to the host)."""
        if self.is_numpy:
            return bool(np.isfinite(x).all())
        return not bool(self.nx.any(~self.nx.isfinite(x)))

    def any(self, x: Array) -> bool:
        """Whether an entry of the boolean ``x`` holds (one value copied to the host)."""
        return bool(self.nx.any(x))

    # -- the Gibbs kernel of one axis ----------------------------------------------------
    def axis_product(self, matrix: Array, x: Array, axis: int) -> Array:
        """``sum_j M_ij x_..j..`` along ``axis``: the dense product of an ``n x n`` matrix."""
        p, n, q = _lines(x.shape, axis)
        lines = self.nx.reshape(x, (p, n, q))
        return self.nx.reshape(self.nx.einsum("ij,pjq->piq", matrix, lines), x.shape)

    def axis_log_product(self, cost: Array, log_x: Array, axis: int) -> Array:
        """``log sum_j exp(l_j - C_ij)`` along ``axis`` (``-inf`` entries are vacuum; a line
        of vacuum stays ``-inf``), in chunks of at most :data:`LOG_CHUNK_TERMS` terms."""
        nx = self.nx
        p, n, q = _lines(log_x.shape, axis)
        lines = nx.reshape(log_x, (p, n, q))
        step = max(1, LOG_CHUNK_TERMS // (n * n * (q if p > 1 else 1)))
        chunks = []
        if p > 1:
            for start in range(0, p, step):
                part = lines[start : start + step]
                chunks.append(self._logsumexp(part[:, None, :, :] - cost[None, :, :, None], 2))
            out = chunks[0] if len(chunks) == 1 else nx.concatenate(chunks, axis=0)
        else:
            for start in range(0, q, step):
                part = lines[0, :, start : start + step]
                chunks.append(self._logsumexp(part[None, :, :] - cost[:, :, None], 1))
            out = chunks[0] if len(chunks) == 1 else nx.concatenate(chunks, axis=1)
        return nx.reshape(out, log_x.shape)

    def _logsumexp(self, terms: Array, axis: int) -> Array:
        """``log sum exp`` over ``axis``, shifted by the largest term (elementwise operations:
        jax compiles its own ``logsumexp`` anew for every shape, slowly)."""
        nx = self.nx
        top = nx.max(terms, axis=axis, keepdims=True)
        top = nx.where(nx.isfinite(top), top, 0.0)
        total = nx.sum(nx.exp(terms - top), axis=axis)
        return nx.log(total) + nx.sum(top, axis=axis)

    # -- the Wright omega function -------------------------------------------------------
    def wright_omega(self, y: Array) -> tuple[Array, Array]:
        """``(z, log z)`` with ``z + log z = y`` elementwise (``y = -inf``: ``z = 0``; ``+inf``:
        ``z = inf``), by :data:`OMEGA_NEWTON_STEPS` safeguarded Newton steps on ``u = log z``
        from the guess ``u = y`` (``y < 1``) or ``log(y - log y)`` (the numpy version with a
        convergence test: :func:`wgflow.functionals._prox.solve_z_plus_log_z`)."""
        nx = self.nx
        finite = nx.isfinite(y)
        y0 = nx.where(finite, y, 0.0)
        large = y0 > 1.0
        log_y = nx.log(nx.where(large, y0, 1.0))
        u = nx.where(large, nx.log(nx.where(large, y0 - log_y, 1.0)), y0)
        upper = nx.where(large, log_y, y0)
        u = nx.minimum(u, upper)
        for _ in range(OMEGA_NEWTON_STEPS):
            eu = nx.exp(u)
            step = (eu + u - y0) / (eu + 1.0)
            u = nx.minimum(u - step, upper)
        z = eu * (1.0 - step)
        outside = y > 0.0
        z = nx.where(finite, z, nx.where(outside, math.inf, 0.0))
        log_z = nx.where(finite, u, nx.where(outside, math.inf, -math.inf))
        return z, log_z


def _lines(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    """``(p, n, q)``: an array of ``shape`` as ``p x q`` lines of ``n`` entries along ``axis``."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])


# -- choosing a backend ---------------------------------------------------------------------


def _import(name: str) -> Any:
    """The library of backend ``name``, or an error that says how to install it."""
    module = {"jax": "jax", "torch": "torch", "cupy": "cupy"}[name]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise WgflowError(
            f"backend {name!r} needs the {module} package, which is not installed; install it "
            f"with: {INSTALL[name]}"
        ) from None


def _device_name(device: str | None, name: str) -> str:
    """``device`` as ``"cpu"`` or ``"cuda:N"`` (``None``: ``"cpu"``, or the first GPU for
    cupy); an error naming the accepted devices otherwise."""
    if device is None:
        return "cuda:0" if name == "cupy" else "cpu"
    if not isinstance(device, str):
        raise WgflowError(
            f"device must be a string such as 'cpu', 'cuda', 'gpu' or 'cuda:1', got {device!r}"
        )
    text = device.strip().lower()
    if text in ("cuda", "gpu"):
        return "cuda:0"
    if text.startswith(("cuda:", "gpu:")) and text.split(":", 1)[1].isdigit():
        return "cuda:" + text.split(":", 1)[1]
    if text == "cpu":
        if name == "cupy":
            raise WgflowError("the cupy backend runs on a GPU only; got device 'cpu' "
                              "(accepted: 'cuda', 'gpu', 'cuda:N')")
        return "cpu"
    raise WgflowError(
        f"unknown device {device!r}; accepted: 'cpu', 'cuda', 'gpu', 'cuda:N' (N a GPU index)"
    )


def _no_gpu(name: str, device: str) -> WgflowError:
    return WgflowError(f"device {device!r} was requested for the {name} backend, but {name} "
                       "finds no GPU; use device='cpu'")


def _template(name: str, device: str, dtype: str) -> Array:
    """A scalar zero of backend ``name`` on ``device`` with ``dtype``."""
    if name == "numpy":
        if device != "cpu":
            raise WgflowError(f"the numpy backend runs on the cpu; got device {device!r} (use "
                              "backend='torch', 'jax' or 'cupy' for a GPU)")
        if dtype != "float64":
            raise WgflowError("the numpy backend computes in float64; dtype='float32' is "
                              "offered on the jax, torch and cupy backends")
        return np.zeros(())
    library = _import(name)
    index = int(device.split(":")[1]) if device.startswith("cuda") else 0
    if name == "jax":
        if dtype == "float64" and not library.config.read("jax_enable_x64"):
            library.config.update("jax_enable_x64", True)
        kind = "gpu" if device.startswith("cuda") else "cpu"
        try:
            devices = library.devices(kind)
        except RuntimeError:
            devices = []
        if index >= len(devices):
            raise _no_gpu(name, device)
        return library.device_put(library.numpy.zeros((), dtype=dtype), devices[index])
    if name == "torch":
        if device.startswith("cuda") and index >= library.cuda.device_count():
            raise _no_gpu(name, device)
        return library.zeros((), dtype=getattr(library, dtype), device=device)
    try:
        count = library.cuda.runtime.getDeviceCount()
    except Exception:  # cupy without a driver raises its own runtime error
        count = 0
    if index >= count:
        raise _no_gpu(name, device)
    with library.cuda.Device(index):
        return library.zeros((), dtype=dtype)


def _array_device(name: str, array: Array) -> str:
    """The device of a backend array, as ``"cpu"`` or ``"cuda:N"``."""
    if name == "numpy":
        return "cpu"
    if name == "torch":
        device = array.device
        return "cpu" if device.type == "cpu" else f"cuda:{device.index or 0}"
    if name == "cupy":
        return f"cuda:{array.device.id}"
    (device,) = array.devices()
    return "cpu" if device.platform == "cpu" else f"cuda:{device.id}"


def _of_arrays(arrays: Sequence[Array]) -> tuple[str, str]:
    """The backend name and device of arrays that share them; an error naming both where
    they differ."""
    found = []
    for array in arrays:
        try:
            nx = get_backend(array)
        except ValueError:
            raise WgflowError(
                f"backend must be a name ({', '.join(map(repr, BACKENDS))}) or an array of one "
                f"of these libraries, got {type(array).__name__}"
            ) from None
        name = type(nx).__name__.removesuffix("Backend").lower()
        found.append((name, _array_device(name, array)))
    for other in found[1:]:
        if other != found[0]:
            raise WgflowError(
                f"the arrays live on different backends or devices: {found[0][0]} on "
                f"{found[0][1]!r} and {other[0]} on {other[1]!r}; put them on one"
            )
    return found[0]


@functools.cache
def _cached(name: str, device: str, dtype: str) -> ArrayBackend:
    template = _template(name, device, dtype)  # first: says how to install a missing library
    try:
        nx = get_backend(template)
    except ValueError:
        raise WgflowError(
            f"POT offers no {name} backend in this process (the library is installed, but POT "
            f"did not load its backend: see the environment variable POT_BACKEND_DISABLE_"
            f"{name.upper()} and POT's version)"
        ) from None
    return ArrayBackend(nx, name, device, dtype, template)


def resolve(backend: str | Array | Sequence[Array] | None = None, device: str | None = None,
            dtype: str | None = None) -> ArrayBackend:
    """The :class:`ArrayBackend` of a run.

    Parameters
    ----------
    backend : str, array or sequence of arrays, optional
        A name of :data:`BACKENDS` (default ``"numpy"``), or arrays whose library and device
        the run takes (they must share both).
    device : str, optional
        ``"cpu"`` (default; the first GPU for cupy), ``"cuda"``/``"gpu"`` or ``"cuda:N"``.
        With arrays, it must be theirs.
    dtype : {"float64", "float32"}, optional
        The floating-point type of the arrays (float32: not on the numpy backend).  Default:
        float32 when ``backend`` is given as arrays that are all float32, else float64.

    Raises
    ------
    WgflowError
        For an unknown backend, device or dtype, a backend that is not installed (the
        message says how to install it), a GPU that is not there, or arrays on different
        backends or devices.
    """
    if dtype is not None:
        check_choice("dtype", dtype, DTYPES)
    if backend is None:
        backend = "numpy"
    if isinstance(backend, str):
        name = check_choice("backend", backend.strip().lower(), BACKENDS)
        return _cached(name, _device_name(device, name), dtype or "float64")
    arrays = list(backend) if isinstance(backend, (list, tuple)) else [backend]
    if not arrays:
        raise WgflowError("backend was given as an empty sequence of arrays; give a name "
                          f"({', '.join(map(repr, BACKENDS))}) or arrays")
    name, found = _of_arrays(arrays)
    if device is not None and _device_name(device, name) != found:
        raise WgflowError(
            f"device {device!r} was requested, but the arrays given as backend live on "
            f"{found!r}; give one of them"
        )
    if dtype is None:
        single = all("float32" in str(getattr(a, "dtype", "")) for a in arrays)
        dtype = "float32" if single else "float64"
    return _cached(name, found, dtype)


def of_array(array: Array) -> ArrayBackend:
    """The :class:`ArrayBackend` of a backend array (its library, device and type)."""
    name, device = _of_arrays([array])
    dtype = "float32" if "float32" in str(array.dtype) else "float64"
    return _cached(name, device, dtype)
