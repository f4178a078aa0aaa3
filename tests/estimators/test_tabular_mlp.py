"""TabularMLPClassifier and TabularMLPRegressor on tables as they come."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skneural import MLPRegressor, TabularMLPClassifier, TabularMLPRegressor
from skneural.datasets import load_heart_disease
from skneural.engine.layers import Dense
from skneural.engine.tabular_layers import (
    CategoricalEmbedding,
    FeatureScale,
    ParametricActivation,
    PeriodicEmbedding,
)

pd = pytest.importorskip("pandas")

# Small and quick: the behaviour under test does not depend on the size.
FAST = dict(hidden_layer_sizes=(16, 16), max_iter=30, random_state=0)


def mixed_frame(n_samples=120, seed=0):
    """A frame with numeric, category, object, string and bool columns, gaps in each."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n_samples)
    age[::7] = np.nan
    city = rng.choice(["Oslo", "Lima", "Pune"], n_samples).astype(object)
    city[::11] = None
    frame = pd.DataFrame(
        {
            "age": age,
            "income": rng.lognormal(10, 1, n_samples),
            "city": pd.Categorical(city),
            "plan": pd.array(rng.choice(["a", "b"], n_samples), dtype="string"),
            "member": rng.random(n_samples) > 0.5,
        }
    )
    signal = np.nan_to_num(age - 40) / 10 + (frame["city"] == "Oslo") * 1.5
    return frame, signal.to_numpy()


def test_classifier_takes_a_mixed_frame_with_missing_values():
    X, signal = mixed_frame()
    y = np.where(signal > 0.3, "yes", "no")
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    assert_array_equal(clf.classes_, ["no", "yes"])
    assert_array_equal(clf.feature_names_in_, X.columns)
    assert clf.n_features_in_ == 5
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= {"no", "yes"}
    assert clf.score(X, y) > 0.7


def test_unknown_categories_at_predict_time_are_not_errors():
    X, signal = mixed_frame()
    y = signal > 0.3
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    new = X.head(3).copy()
    new["city"] = pd.Categorical(["Rome", None, "Oslo"])
    new["plan"] = pd.array(["z", None, "a"], dtype="string")
    proba = clf.predict_proba(new)
    assert proba.shape == (3, 2)
    assert np.isfinite(proba).all()


def test_column_names_are_checked_at_predict_time():
    X, signal = mixed_frame()
    clf = TabularMLPClassifier(**FAST).fit(X, signal > 0.3)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="feature"):
        clf.predict(X.rename(columns={"age": "years"}))


def test_float32_frames_train_in_float32():
    X, signal = mixed_frame()
    numeric = X[["age", "income"]].astype(np.float32)
    reg = TabularMLPRegressor(**FAST).fit(numeric, signal)
    assert reg.mlp_.coefs_[0].dtype == np.float32
    assert np.isfinite(reg.predict(numeric)).all()


def test_sample_weights_of_zero_equal_dropping_the_rows():
    X, signal = mixed_frame()
    y = signal > 0.3
    weights = np.ones(len(y))
    weights[::3] = 0
    params = dict(FAST, early_stopping=False, dropout=0.0)
    weighted = TabularMLPClassifier(**params).fit(X, y, sample_weight=weights)
    kept = weights > 0
    dropped = TabularMLPClassifier(**params).fit(X[kept], y[kept])
    assert_allclose(
        weighted.predict_proba(X), dropped.predict_proba(X), rtol=1e-5, atol=1e-7
    )


def test_class_weights_move_the_predictions_towards_the_weighted_class():
    X, signal = mixed_frame()
    y = signal > 0.3
    plain = TabularMLPClassifier(**FAST).fit(X, y)
    heavy = TabularMLPClassifier(**FAST, class_weight={False: 1.0, True: 20.0})
    heavy.fit(X, y)
    assert heavy.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


def test_regression_targets_are_standardised_and_predictions_clipped():
    X, signal = mixed_frame()
    y = 1000.0 + 50.0 * signal
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    assert_allclose(reg.target_mean_, [y.mean()])
    assert_allclose(reg.target_scale_, [y.std()])
    # The inner network sees standardised targets.
    assert abs(reg.mlp_.predict(reg.preprocessor_.transform(X).dense).mean()) < 0.5
    far = X.head(4).copy()
    far["age"] = [1e6, -1e6, 1e6, -1e6]
    prediction = reg.predict(far)
    assert np.all(prediction >= y.min()) and np.all(prediction <= y.max())
    unclipped = clone(reg).set_params(clip_prediction=False).fit(X, y)
    assert unclipped.target_max_[0] == y.max()
    raw = TabularMLPRegressor(**FAST, standardize_target=False).fit(X, y)
    assert_array_equal(raw.target_mean_, [0.0])
    assert_array_equal(raw.target_scale_, [1.0])


def test_two_output_regression_keeps_its_shape():
    X, signal = mixed_frame()
    y = np.column_stack([signal, -3 * signal])
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    assert reg.predict(X).shape == y.shape
    assert reg.target_mean_.shape == (2,)


def test_validation_table_replaces_the_split():
    X, signal = mixed_frame()
    y = signal > 0.3
    clf = TabularMLPClassifier(**FAST).fit(X[:90], y[:90], X_val=X[90:], y_val=y[90:])
    assert [len(mlp.validation_scores_) for mlp in clf.mlps_] == [
        mlp.n_iter_ for mlp in clf.mlps_
    ]
    assert clf.n_iter_ == max(mlp.n_iter_ for mlp in clf.mlps_)
    with pytest.raises(ValueError, match="together"):
        TabularMLPClassifier(**FAST).fit(X, y, X_val=X)


def noise_frame(n_samples=200, seed=0):
    """Labels independent of the columns: the validation loss is best early."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n_samples), "b": rng.normal(size=n_samples)})
    return X, rng.integers(0, 2, n_samples)


def epoch_patience_stops(scores, patience):
    """The epoch after which ``patience`` epochs without a new best stop a run."""
    best = -np.inf
    since_best = 0
    for epoch, score in enumerate(scores, start=1):
        since_best = 0 if score > best else since_best + 1
        best = max(best, score)
        if since_best > patience:
            return epoch
    return None


def test_patience_stops_each_network_after_its_best_epoch():
    X, y = noise_frame()
    params = dict(hidden_layer_sizes=(32,), max_iter=60, random_state=0)
    patient = TabularMLPClassifier(**params, n_iter_no_change=4).fit(X, y)
    full = TabularMLPClassifier(**params, n_iter_no_change=None).fit(X, y)
    assert all(mlp.n_iter_ == 60 for mlp in full.mlps_)
    for stopped, complete in zip(patient.mlps_, full.mlps_, strict=True):
        scores = complete.validation_scores_
        stop = epoch_patience_stops(scores, 4)
        # Random labels: every network stops well before max_iter, after
        # exactly the epochs the full run's curve predicts.
        assert stop is not None and stop < 40
        assert stopped.n_iter_ == stop
        assert_allclose(stopped.validation_scores_, scores[:stop])
        assert np.argmax(stopped.validation_scores_) + 1 == stop - 5
    assert patient.n_iter_ == max(mlp.n_iter_ for mlp in patient.mlps_)
    # A network keeps the full run's best epoch unless a later epoch beat it.
    dense = patient._preprocess(X)
    for stopped, complete in zip(patient.mlps_, full.mlps_, strict=True):
        same = np.argmax(complete.validation_scores_) < stopped.n_iter_
        assert same == np.allclose(
            stopped.predict_proba(dense), complete.predict_proba(dense)
        )


def test_patience_needs_the_validation_loss():
    X, y = noise_frame()
    clf = TabularMLPClassifier(
        hidden_layer_sizes=(32,),
        max_iter=25,
        n_iter_no_change=2,
        early_stopping=False,
        random_state=0,
    ).fit(X, y)
    assert [mlp.n_iter_ for mlp in clf.mlps_] == [25, 25]


def test_the_regressor_runs_every_epoch_by_default():
    X, signal = mixed_frame()
    reg = TabularMLPRegressor(**FAST).fit(X, signal)
    assert reg.n_iter_no_change is None
    assert [mlp.n_iter_ for mlp in reg.mlps_] == [30, 30]
    assert TabularMLPClassifier().n_iter_no_change == 12


def test_every_ingredient_can_be_switched_off():
    X, signal = mixed_frame()
    full = TabularMLPRegressor(**FAST).fit(X, signal)
    kinds = [type(layer) for layer in full.mlp_.hidden_layer_sizes]
    assert kinds[:2] == [PeriodicEmbedding, FeatureScale]
    assert kinds[2:4] == [Dense, ParametricActivation]
    assert full.mlp_.hidden_layer_sizes[2].parametrization == "ntk"
    bare = TabularMLPRegressor(
        **FAST,
        numeric_embedding=None,
        feature_scaling=False,
        parametric_activation=False,
        parametrization="standard",
    ).fit(X, signal)
    layers = bare.mlp_.hidden_layer_sizes
    assert all(type(layer) is Dense for layer in layers)
    assert all(layer.parametrization == "standard" for layer in layers)
    assert all(layer.activation.name == "mish" for layer in layers)


@pytest.mark.parametrize(
    "cls, default", [(TabularMLPClassifier, 0.1), (TabularMLPRegressor, 1.0)]
)
def test_periodic_sigma_sets_the_spread_of_the_initial_frequencies(cls, default):
    # 12 numeric columns x 16 frequencies: 192 draws pin the spread down.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 12)), columns=[f"x{j}" for j in range(12)])
    y = X["x0"].to_numpy() > 0
    assert cls().periodic_sigma == default
    spreads = []
    for sigma in (0.1, 1.0):
        model = cls(hidden_layer_sizes=(8,), max_iter=1, n_networks=1, random_state=0)
        model.set_params(periodic_sigma=sigma).fit(X, y)
        embedding = model.mlp_.hidden_layer_sizes[0]
        assert embedding.sigma == sigma
        spreads.append(model.mlp_.layer_params_[0]["frequencies"].std())
    # The same seed draws the same standard normals, scaled by sigma; one
    # epoch moves them little against a tenfold change of scale.
    assert_allclose(spreads[1] / spreads[0], 10.0, rtol=0.05)
    with pytest.raises(ValueError, match="periodic_sigma"):
        cls(periodic_sigma=0.0).fit(X, y)


@pytest.mark.parametrize(
    "cls, default", [(TabularMLPClassifier, 16), (TabularMLPRegressor, 32)]
)
def test_periodic_frequencies_sets_the_frequencies_per_column(cls, default):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = X["a"].to_numpy() > 0
    assert cls().periodic_frequencies == default
    for n_frequencies in (default, 5):
        model = cls(
            hidden_layer_sizes=(8,),
            max_iter=1,
            n_networks=1,
            periodic_frequencies=n_frequencies,
            random_state=0,
        ).fit(X, y)
        params = model.mlp_.layer_params_[0]
        assert params["frequencies"].shape == (3, n_frequencies)
        assert params["coef"].shape[:2] == (3, n_frequencies)
    with pytest.raises(ValueError, match="periodic_frequencies"):
        cls(periodic_frequencies=0).fit(X, y)


@pytest.mark.parametrize(
    "cls, batch_size, validation_fraction",
    [(TabularMLPClassifier, 256, 0.2), (TabularMLPRegressor, 128, 0.1)],
)
def test_batch_size_and_validation_fraction_reach_every_network(
    cls, batch_size, validation_fraction
):
    X, signal = mixed_frame()
    y = signal > 0.3 if cls is TabularMLPClassifier else signal
    model = cls(max_iter=1, random_state=0).fit(X, y)
    for mlp in model.mlps_:
        assert mlp.batch_size == batch_size
        assert mlp.validation_fraction == validation_fraction


def test_bad_parameters_and_targets_are_refused():
    X, signal = mixed_frame()
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        TabularMLPRegressor(hidden_layer_sizes=(16, 0)).fit(X, signal)
    with pytest.raises(ValueError, match="numeric_embedding"):
        TabularMLPRegressor(numeric_embedding="linear").fit(X, signal)
    with pytest.raises(ValueError, match="NaN"):
        TabularMLPRegressor(**FAST).fit(X, np.full(len(X), np.nan))
    with pytest.raises(ValueError, match="could not convert"):
        TabularMLPRegressor(**FAST).fit(X, np.array(["a"] * len(X)))
    with pytest.raises(ValueError, match="requires y"):
        TabularMLPClassifier(**FAST).fit(X, None)


def test_pickling_keeps_the_predictions():
    X, signal = mixed_frame()
    clf = TabularMLPClassifier(**FAST).fit(X, signal > 0.3)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_grid_search_over_an_ingredient():
    X, signal = mixed_frame()
    search = GridSearchCV(
        TabularMLPRegressor(**FAST),
        {"numeric_embedding": ["periodic", None]},
        cv=2,
    ).fit(X, signal)
    assert search.best_params_["numeric_embedding"] in ("periodic", None)
    assert len(search.cv_results_["mean_test_score"]) == 2


def test_plain_arrays_work_like_an_mlp_input():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, -2.0, 0.5]
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    assert not hasattr(reg, "feature_names_in_")
    assert reg.score(X, y) > 0.5
    assert isinstance(reg.mlp_, MLPRegressor)


def test_heart_disease_frame_fits_with_no_preprocessing():
    X, y = load_heart_disease(return_X_y=True, as_frame=True)
    clf = TabularMLPClassifier(max_iter=30, random_state=0).fit(X, y)
    assert_array_equal(clf.feature_names_in_, X.columns)
    assert clf.score(X, y) > 0.8


# Learned embeddings of categorical columns with many levels.


def many_levels_frame(n_samples=400, seed=0, dtype=np.float64):
    """A frame whose class is set (up to 10% noise) by a 50-level column alone."""
    rng = np.random.default_rng(seed)
    shops = [f"shop{i:02d}" for i in range(50)]
    effect = np.arange(50) % 2  # Half the shops of each class.
    shop = rng.integers(0, 50, n_samples)
    frame = pd.DataFrame(
        {
            "noise": rng.normal(size=n_samples).astype(dtype),
            "shop": pd.Categorical([shops[k] for k in shop], categories=shops),
            "plan": pd.Categorical(rng.choice(["a", "b"], n_samples)),
            "other": rng.normal(size=n_samples).astype(dtype),
        }
    )
    flipped = rng.random(n_samples) < 0.1
    return frame, effect[shop] ^ flipped


def test_a_high_cardinality_column_is_embedded_after_the_dense_block():
    X, y = many_levels_frame()
    clf = TabularMLPClassifier(**FAST, embedding_dim=3).fit(X, y)
    preprocessor = clf.preprocessor_
    assert_array_equal(preprocessor.embedded_features_, [1])
    assert_array_equal(preprocessor.one_hot_features_, [2])
    n_dense = len(preprocessor.get_feature_names_out())  # noise, other, plan_a/b
    assert n_dense == 4
    embedding, periodic = clf.mlp_.hidden_layer_sizes[:2]
    assert embedding == CategoricalEmbedding(columns=[4], cardinalities=[51], dim=3)
    # PBLD embeds the two numeric columns only, not the codes' embeddings.
    assert periodic.columns == (0, 1)
    assert clf.mlp_.n_features_in_ == n_dense + 1


def test_an_unseen_category_is_the_embeddings_zero_row():
    X, y = many_levels_frame()
    X["shop"] = X["shop"].cat.remove_categories(["shop49"])  # "shop49" -> NaN
    X = X[X["shop"].notna()]
    clf = TabularMLPClassifier(**FAST).fit(X, y[X.index])
    new = X.iloc[[0, 0, 0]].copy()  # One row, three shops never seen in fit.
    new["shop"] = pd.Categorical(["shop49", "Rome", None])
    proba = clf.predict_proba(new)
    assert np.isfinite(proba).all()
    # Unseen and missing (never seen in fit) share the unknown code, row 0.
    assert_allclose(proba[0], proba[1], rtol=1e-12)
    assert_allclose(proba[0], proba[2], rtol=1e-12)
    table = clf.mlp_.layer_params_[0]["table_0"]
    assert_array_equal(table[0], 0.0)
    assert np.all(table[1:].std(axis=1) > 0)


def test_max_one_hot_cardinality_none_one_hot_encodes_every_column():
    X, y = many_levels_frame()
    clf = TabularMLPClassifier(**FAST, max_one_hot_cardinality=None).fit(X, y)
    assert clf.preprocessor_.embedded_features_.size == 0
    assert not any(
        isinstance(layer, CategoricalEmbedding) for layer in clf.mlp_.hidden_layer_sizes
    )
    assert clf.mlp_.n_features_in_ == 2 + 50 + 2
    every = TabularMLPClassifier(**FAST, max_one_hot_cardinality=0).fit(X, y)
    assert every.mlp_.hidden_layer_sizes[0].cardinalities == (51, 3)


def test_the_signal_of_a_50_level_column_is_learned_through_its_embedding():
    X, y = many_levels_frame(n_samples=2000, seed=1)
    clf = TabularMLPClassifier(**FAST).fit(X[:1500], y[:1500])
    assert isinstance(clf.mlp_.hidden_layer_sizes[0], CategoricalEmbedding)
    # Chance is 0.5 and the noise caps accuracy near 0.9; seeds 0-2 give
    # 0.77-0.81 in these 15 epochs.
    assert clf.score(X[1500:], y[1500:]) > 0.7


def test_float32_frames_with_embeddings_train_in_float32():
    X, y = many_levels_frame(dtype=np.float32)
    reg = TabularMLPRegressor(**FAST).fit(X, y.astype(float))
    assert reg.mlp_.coefs_[0].dtype == np.float32
    assert reg.mlp_.layer_params_[0]["table_0"].dtype == np.float32
    assert np.isfinite(reg.predict(X)).all()


def test_pickling_keeps_the_predictions_of_an_embedding():
    X, y = many_levels_frame()
    reg = TabularMLPRegressor(**FAST).fit(X, y.astype(float))
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict(X), reg.predict(X))


def test_codes_outside_the_embedding_are_refused_by_name():
    X, y = many_levels_frame()
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    network_input = clf._preprocess(X.head(2))
    network_input[1, -1] = 51
    with pytest.raises(ValueError, match="Column 4 must hold the codes 0 to 50"):
        clf.mlp_.predict(network_input)


@pytest.mark.parametrize(
    "params",
    [{"max_one_hot_cardinality": -1}, {"embedding_dim": 0}, {"embedding_dim": 2.5}],
    ids=repr,
)
def test_bad_embedding_parameters_are_refused_by_name(params):
    X, y = many_levels_frame(n_samples=60)
    (name,) = params
    with pytest.raises(ValueError, match=name):
        TabularMLPClassifier(**FAST, **params).fit(X, y)


def test_an_ensemble_averages_its_members_probabilities():
    from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput
    from skneural.engine.layers import Dropout

    X, signal = mixed_frame()
    y = np.where(signal > 0.3, "yes", "no")
    clf = TabularMLPClassifier(n_ensemble=3, n_networks=1, **FAST).fit(X, y)
    layers = clf.mlp_.hidden_layer_sizes
    assert sum(isinstance(layer, EnsembleInput) for layer in layers) == 1
    assert [layer.units for layer in layers if isinstance(layer, EnsembleDense)] == [
        16,
        16,
    ]
    assert sum(isinstance(layer, Dropout) for layer in layers) == 2
    network = clf.mlp_._network
    assert network.n_members == 3
    params = network.pack([], [], dtype=np.float64, layer_params=clf.mlp_.layer_params_)
    dense = clf._preprocess(X)
    # Binary: one logit per member; the sigmoid of each, then their mean.
    logits = network.predict_member_raw(params, dense)[:, :, 0]
    member_proba = 1.0 / (1.0 + np.exp(-logits))
    assert_allclose(clf.predict_proba(X)[:, 1], member_proba.mean(axis=1), rtol=1e-10)
    # The members differ: they start from different random signs.
    assert np.ptp(member_proba, axis=1).max() > 1e-3


def test_without_an_ensemble_the_network_is_one_member():
    X, signal = mixed_frame()
    clf = TabularMLPClassifier(**FAST).fit(X, signal > 0.3)
    assert clf.mlp_._network.n_members is None
    assert len(clf.mlp_.coefs_) == 3  # two hidden dense layers and the output


def test_several_networks_average_their_probabilities():
    X, signal = mixed_frame()
    y = np.where(signal > 0.3, "yes", "no")
    clf = TabularMLPClassifier(n_networks=3, **FAST).fit(X, y)
    assert len(clf.mlps_) == 3 and clf.mlp_ is clf.mlps_[0]
    # Each network has its own seed, hence its own held-out split.
    seeds = [mlp.random_state for mlp in clf.mlps_]
    assert len(set(seeds)) == 3
    dense = clf._preprocess(X)
    each = np.stack([mlp.predict_proba(dense) for mlp in clf.mlps_])
    assert np.ptp(each[:, :, 1], axis=0).max() > 1e-3
    proba = clf.predict_proba(X)
    assert_allclose(proba, each.mean(axis=0), rtol=1e-10)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    # The logit of the mean probability: its sign is the prediction.
    assert_allclose(
        clf.decision_function(X), np.log(proba[:, 1]) - np.log(proba[:, 0]), rtol=1e-8
    )
    assert_allclose(clf.predict_log_proba(X), np.log(proba))
    # The same seed, the same networks.
    again = TabularMLPClassifier(n_networks=3, **FAST).fit(X, y)
    assert_array_equal(again.predict_proba(X), proba)


def test_several_networks_average_their_values_before_clipping():
    X, signal = mixed_frame()
    y = 10 * signal + 3
    reg = TabularMLPRegressor(n_networks=2, clip_prediction=False, **FAST).fit(X, y)
    dense = reg._preprocess(X)
    scaled = np.mean([mlp.predict(dense) for mlp in reg.mlps_], axis=0)
    expected = scaled * reg.target_scale_[0] + reg.target_mean_[0]
    assert_allclose(reg.predict(X), expected, rtol=1e-10)
    clipped = reg.set_params(clip_prediction=True).predict(X)
    assert clipped.min() >= y.min() and clipped.max() <= y.max()


def test_several_networks_with_a_multiclass_target():
    X, signal = mixed_frame()
    y = np.digitize(signal, [-0.5, 0.5])
    clf = TabularMLPClassifier(n_networks=2, **FAST).fit(X, y)
    dense = clf._preprocess(X)
    each = np.mean([mlp.predict_proba(dense) for mlp in clf.mlps_], axis=0)
    assert_allclose(clf.predict_proba(X), each, rtol=1e-10)
    # Multiclass logits: the log of the mean probabilities, up to a constant.
    scores = clf.decision_function(X)
    assert_allclose(
        scores - scores.max(axis=1, keepdims=True),
        np.log(each) - np.log(each).max(axis=1, keepdims=True),
        atol=1e-8,
    )
