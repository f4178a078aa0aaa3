r"""
===========================================
Export a heart-disease pipeline to ONNX
===========================================

A model trained in Python can be served where there is no Python, or no
scikit-learn: ONNX describes the whole pipeline as one graph of standard
operators, and `onnxruntime <https://onnxruntime.ai>`_ runs it. Importing
:mod:`skneural.onnx` teaches skl2onnx to convert the skneural estimators, so
its own :func:`skl2onnx.to_onnx` converts a pipeline that ends in one,
preprocessing included.

Here a :class:`~sklearn.compose.ColumnTransformer` and an
:class:`~skneural.MLPSoftmaxClassifier` are trained on the Cleveland heart
data, exported, scored with onnxruntime and compared with scikit-learn's
``predict`` and ``predict_proba``. It needs the ``onnx`` extra
(``pip install "skneural[onnx]"``).
"""

# %%
# Train the pipeline
# ------------------
# ONNX inputs are typed tensors, so the columns get one type each: the
# numeric ones float32 (the graph then computes in float32), the
# categorical ones strings, a missing level being a level of its own.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skneural.onnx  # noqa: F401 (registers the converters with skl2onnx)
from skneural import MLPSoftmaxClassifier
from skneural.datasets import load_heart_disease

heart = load_heart_disease(as_frame=True)
categorical = heart.categorical_features
numeric = [name for name in heart.feature_names if name not in categorical]
X = heart.data.astype({name: np.float32 for name in numeric})
X = X.astype({name: str for name in categorical})
X_train, X_test, y_train, y_test = train_test_split(
    X, heart.target, test_size=0.3, stratify=heart.target, random_state=0
)

pipeline = make_pipeline(
    ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    ),
    MLPSoftmaxClassifier((16,), "gelu", alpha=1.0, solver="lbfgs", random_state=0),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipeline.fit(X_train, y_train)
print(f"test accuracy (scikit-learn): {pipeline.score(X_test, y_test):.3f}")

# %%
# Export
# ------
# One row of the training data tells skl2onnx the name and type of each
# input column. ``zipmap=False`` returns the probabilities as one matrix
# instead of a list of dictionaries.
onx = to_onnx(pipeline, X_train[:1], options={"zipmap": False})
print(f"{len(onx.graph.node)} ONNX nodes, {len(onx.SerializeToString())} bytes")
print("inputs:", [graph_input.name for graph_input in onx.graph.input])
print("outputs:", [graph_output.name for graph_output in onx.graph.output])

# %%
# Score with onnxruntime
# ----------------------
# The graph takes one ``(n_samples, 1)`` array per column and returns the
# labels and the probabilities: no scikit-learn, NumPy only to build the
# inputs.
session = ort.InferenceSession(
    onx.SerializeToString(), providers=["CPUExecutionProvider"]
)
inputs = {name: X_test[name].to_numpy().reshape(-1, 1) for name in X_test.columns}
labels, probabilities = session.run(None, inputs)

expected = pipeline.predict_proba(X_test)
difference = np.abs(probabilities - expected)
print(f"labels equal to predict: {np.array_equal(labels, pipeline.predict(X_test))}")
print(f"max abs difference of the probabilities: {difference.max():.2e}")

# %%
# The differences are float32 rounding: scikit-learn computes in float64, the
# graph in float32, about seven significant digits.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.scatter(expected[:, 1], difference[:, 1], s=12)
ax.set_xlabel("predict_proba (scikit-learn), class 1")
ax.set_ylabel("|onnxruntime - scikit-learn|")
ax.set_title("ONNX probabilities against scikit-learn's")
ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
fig.tight_layout()
plt.show()
