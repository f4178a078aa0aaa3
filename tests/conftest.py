import os

# scikit-learn's array-API checks run only when SciPy was imported with this
# set; set it before anything imports SciPy so those checks run, not skip.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
