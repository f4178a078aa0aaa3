import os

# scikit-learn's array-API checks run only when SciPy was imported with this
# set; set it before anything imports SciPy so those checks run, not skip.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# The tests run one process per core (pytest-xdist). BLAS threads on top of
# that oversubscribe the cores, and OpenBLAS's spinning threads then make the
# tiny BLAS calls of L-BFGS-B about 20 times slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
