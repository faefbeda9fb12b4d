"""Parameter sweeps on Dask: run a function over many parameters, in parallel, resumably.

:func:`sweep` runs ``run(p)`` for each parameter dict ``p`` of a list (built, for example,
by :func:`sweep_product`) on ``dask.distributed`` -- an embedded ``LocalCluster`` of single
threaded worker processes, or a cluster the user already has -- and returns a
``pandas.DataFrame`` with one row per run, in the order of the parameters.  Each run's
outcome is stored in a directory as it finishes, so that a sweep that was interrupted
resumes where it stopped.  See :doc:`/sweeps`.

One job per module:

* :mod:`wgflow.sweeps.params` -- the checks of the parameters, their product and the stable
  key of each run;
* :mod:`wgflow.sweeps.figures` -- the figures of a run (the numbers of its row);
* :mod:`wgflow.sweeps.store` -- the directory: one record per finished run;
* :mod:`wgflow.sweeps.cluster` -- the Dask cluster and the task each worker runs;
* :mod:`wgflow.sweeps.driver` -- :func:`sweep` itself.

Dask and pandas are imported only when a sweep runs (``pip install 'wgflow[sweep]'``).
"""

from .driver import sweep
from .figures import solve_figures
from .params import sweep_product

__all__ = ["sweep", "sweep_product", "solve_figures"]
