"""Exceptions and warnings raised by wgflow, and the input checks that raise them."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .density import Density

T = TypeVar("T")


class WgflowError(ValueError):
    """Bad input to a wgflow function (a ``ValueError``, so callers may catch either)."""


class GridMismatchError(WgflowError):
    """Two densities (or a density and a map) live on different grids."""


class StepFailure(Exception):
    """A solver step cannot be taken (blow-up, loss of positivity or mass, a rough density
    of a backward flow); :meth:`wgflow.solvers.Solver.step` turns it into ``success=False``
    and keeps the trajectory computed so far."""


class UnknownOptionError(WgflowError):
    """Options a flow's discretisation does not take (:func:`wgflow.flows.base.reject_options`);
    the solver adds its own options to the list of what is accepted.

    Attributes
    ----------
    names : tuple of str
        The unknown options.
    accepted : tuple of str
        The options the discretisation takes.
    """

    def __init__(self, message: str, names: tuple[str, ...], accepted: tuple[str, ...]):
        super().__init__(message)
        self.names = names
        self.accepted = accepted


class ConvergenceWarning(RuntimeWarning):
    """An iterative solver (a Sinkhorn/JKO proximal step) stopped before its tolerance."""


def check_positive(name: str, value: float, allow_inf: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number > 0 (or ``inf``, with
    ``allow_inf``), else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WgflowError(f"{name} must be a positive real number, got {value!r}")
    value = float(value)
    if np.isnan(value) or value <= 0.0 or (np.isinf(value) and not allow_inf):
        accepted = "a number > 0 or inf" if allow_inf else "a finite number > 0"
        raise WgflowError(f"{name} must be {accepted}, got {value!r}")
    return value


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite real number >= 0, else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) \
            or value < 0:
        raise WgflowError(f"{name} must be a finite real number >= 0, got {value!r}")
    return float(value)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool (or a NumPy bool), else raise naming it."""
    if not isinstance(value, (bool, np.bool_)):
        raise WgflowError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_density(name: str, rho: object) -> Density:
    """Return ``rho`` if it is a :class:`~wgflow.density.Density` of positive mass, else
    raise naming it."""
    from .density import Density

    if not isinstance(rho, Density):
        raise WgflowError(f"{name} must be a wgflow.Density, got {type(rho).__name__}")
    if not rho.mass > 0.0:
        raise WgflowError(f"{name} has zero mass; accepted: a density with positive mass")
    return rho


def check_integer(name: str, value: int, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) ``>= minimum``, else raise
    naming it."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (numbers.Integral, np.integer))
        or value < minimum
    ):
        raise WgflowError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_finite_nonnegative(name: str, values: np.ndarray) -> None:
    """Raise if ``values`` holds NaN, infinities or negative numbers, naming the first bad one."""
    finite = np.isfinite(values)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise WgflowError(
            f"{name} must be finite; found {float(values[index])!r} at index {index}"
        )
    if (values < 0).any():
        index = tuple(int(i) for i in np.argwhere(values < 0)[0])
        raise WgflowError(
            f"{name} must be non-negative; found {float(values[index])!r} at index {index}"
        )


def _shown(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (for messages about large inputs)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _real_array(values: object) -> tuple[np.ndarray | None, str]:
    """``(array, "")`` for an array of real numbers, ``(None, why not)`` otherwise."""
    if values is None or isinstance(values, (str, bytes)):
        return None, f"got {_shown(values)}"
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        return None, f"got {_shown(values)} (not a rectangular array)"
    if array.dtype.kind not in "iuf":
        kinds = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "strings"}
        return None, f"got {kinds.get(array.dtype.kind, 'objects')}: {_shown(values)}"
    return array.astype(float), ""


def as_real_array(name: str, values: object) -> np.ndarray:
    """``values`` as a float array, or a :class:`WgflowError` naming ``name``: ``None``,
    strings, booleans, complex numbers, other objects and ragged nestings are not arrays of
    real numbers (numpy would turn ``None`` into NaN, ``True`` into 1 and drop an imaginary
    part with a warning)."""
    array, problem = _real_array(values)
    if array is None:
        raise WgflowError(f"{name} must be an array of real numbers, {problem}")
    return array


def check_points(name: str, samples: object, dim: int | None = None) -> np.ndarray:
    """Points as a finite ``(k, d)`` float array (``(k,)`` is read as 1-D points)."""
    arr, problem = _real_array(samples)
    if arr is None:
        raise WgflowError(f"{name} must be an array of shape (k, d) of real numbers, {problem}")
    if arr.ndim == 1 and (dim is None or dim == 1):
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or (dim is not None and arr.shape[1] != dim):
        want = "(k, d)" if dim is None else f"(k, {dim})"
        raise WgflowError(f"{name} must have shape {want} with k >= 1, got {arr.shape}")
    if not 1 <= arr.shape[1] <= 3:
        raise WgflowError(f"{name} must have d = 1, 2 or 3 columns, got {arr.shape[1]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise WgflowError(
            f"{name} must be finite; found {arr[row].tolist()} at row {row} "
            f"({int(bad.any(axis=1).sum())} bad rows in all); remove NaN/inf samples first"
        )
    return arr


def check_broadcast(what: str, values: object, shape: tuple[int, ...]) -> np.ndarray:
    """``values`` as a float array broadcast to ``shape``; raise naming ``what`` (e.g. "the
    function", "velocity component 0") and both shapes if it does not fit, or what it is if
    it is not an array of real numbers (:func:`as_real_array`)."""
    try:
        array = as_real_array(f"{what} returned {type(values).__name__}: it", values)
    except WgflowError as exc:
        raise WgflowError(f"{exc} (it must return an array of real numbers)") from None
    try:
        return np.broadcast_to(array, shape)
    except ValueError:
        raise WgflowError(
            f"{what} returned shape {array.shape}, which does not fit the shape {shape} it "
            "must have"
        ) from None


def check_choice(name: str, value: T, accepted: Sequence[T]) -> T:
    """Raise if ``value`` is not one of ``accepted``, listing what is accepted (booleans,
    arrays and other unhashable values are never one of them)."""
    if (
        isinstance(value, (bool, np.bool_, np.ndarray))
        or not isinstance(value, Hashable)
        or value not in accepted
    ):
        raise WgflowError(
            f"unknown {name} {value!r}; accepted: {', '.join(repr(a) for a in accepted)}"
        )
    return value


def check_exponent(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite real number > 1 (a porous-medium
    exponent ``m``; ``m = 1`` is the heat equation), else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 1.0 \
            or not np.isfinite(value):
        raise WgflowError(
            f"{name} must be a finite real number > 1 (1 is the linear, heat-equation case), "
            f"got {value!r}"
        )
    return float(value)


def check_order(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (the order ``a`` of a
    Tsallis or Rényi entropy), else raise naming it."""
    return check_positive(name, value)


def check_callable(what: str, function: object, count: int) -> Callable[..., Any]:
    """Return ``function`` if it is callable with ``count`` positional arguments, else raise
    naming ``what`` (e.g. "the function f(x, y)") and the signature found.  Callables whose
    signature cannot be read (some builtins) are only checked to be callable."""
    if not callable(function):
        raise WgflowError(f"{what} must be a function, got {type(function).__name__}")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return function
    try:
        signature.bind(*range(count))
    except TypeError:
        raise WgflowError(
            f"{what} is called with {count} positional argument{'s' * (count != 1)}, but its "
            f"signature is {signature}"
        ) from None
    return function


def check_rng(name: str, rng: object) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from ``rng`` (a generator, an integer seed ``>= 0`` or
    ``None``), else raise naming it."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None and (
        isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0
    ):
        raise WgflowError(
            f"{name} must be a numpy.random.Generator, an integer seed >= 0 or None, got {rng!r}"
        )
    return np.random.default_rng(rng)
