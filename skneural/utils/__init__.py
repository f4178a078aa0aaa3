"""Utilities: estimator discovery for tests and documentation."""

from .discovery import all_estimators, gradient_descent_estimators

__all__ = ["all_estimators", "gradient_descent_estimators"]
