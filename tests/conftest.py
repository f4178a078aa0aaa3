import os
import tempfile

# scikit-learn's array-API checks run only when SciPy was imported with this
# set; set it before anything imports SciPy so those checks run, not skip.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# pytest-xdist runs one worker per core; BLAS threads on top of that
# oversubscribe the cores and make the many small fits here tens of times
# slower. One BLAS thread per worker, also in the subprocesses tests start.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# Numba's on-disk cache races when two processes compile the same kernels at
# once (numba/numba#10128: a worker can load another's half-written cache and
# fail with "can't unbox array from PyObject"). Each worker gets its own
# cache; the kernels import Numba on first use, after this.
if "PYTEST_XDIST_WORKER" in os.environ and "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(
        tempfile.gettempdir(), f"skneural-numba-{os.environ['PYTEST_XDIST_WORKER']}"
    )

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=1)
