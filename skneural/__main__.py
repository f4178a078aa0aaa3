"""``python -m skneural``: run the heart-disease demo (see :mod:`skneural.demo`)."""

from skneural.demo import main

if __name__ == "__main__":
    raise SystemExit(main())
