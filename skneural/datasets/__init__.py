"""Datasets bundled with skneural, loaded in scikit-learn's loader style."""

from ._heart_disease import load_heart_disease

__all__ = ["load_heart_disease"]
