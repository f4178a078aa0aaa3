import os

# scikit-learn's array-API checks run only when SciPy was imported with this
# set; set it before anything imports SciPy so those checks run, not skip.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# pytest-xdist runs one worker per core; BLAS threads on top of that
# oversubscribe the cores and make the many small fits here tens of times
# slower. One BLAS thread per worker, also in the subprocesses tests start.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=1)
