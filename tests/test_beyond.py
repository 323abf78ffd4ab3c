"""The beyond-Keras losses against torch and optax: stored references, replayed without either installed.

`tools/beyond_references.py` computed each peer's per-sample values and the
gradients of their sum w.r.t. every float input, on random shapes and configs.
"""

from __future__ import annotations

import functools
import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxloss

DATA = json.loads((pathlib.Path(__file__).parent / "data" / "beyond_references.json").read_text())
RECORDS = DATA["records"]
ALIGNMENTS = DATA["alignments"]


def _inputs(record):
    return {k: np.asarray(v["value"], v["dtype"]) for k, v in record["inputs"].items()}


@functools.cache
def _value_and_grads(loss: str, config: str, mean: bool):
    """One jitted function per loss and config; the few stored shapes compile once each.

    `mean`: the peer's value is the batch's scalar (optax's ntxent and generalized Dice), which is the
    mean of jaxloss's per-sample values; both are compared, and differentiated, as that mean.
    """
    settings = json.loads(config)
    fn = getattr(jaxloss, loss)
    if loss == "make_fenchel_young_loss":  # a factory: its max function is the config
        fn = fn({"logsumexp": jax.nn.logsumexp, "max": jnp.max}[settings.pop("max_fun")])

    def per_sample(inputs):
        args = dict(inputs)
        y_true, y_pred = args.pop("y_true", None), args.pop("y_pred")  # a triplet loss has no targets
        return fn(y_true, y_pred, **args, **settings)

    def total(wrt, rest):
        values = per_sample({**rest, **wrt})
        if mean:
            values = jnp.mean(values)
            return values, values
        return jnp.sum(values), values

    return jax.jit(jax.value_and_grad(total, has_aux=True))


@pytest.mark.floor
@pytest.mark.parametrize("index", range(len(RECORDS)), ids=lambda i: f"{RECORDS[i]['peer']}-{RECORDS[i]['loss']}-{i}")
def test_values_and_gradients_match_the_peer(index):
    record = RECORDS[index]
    inputs = _inputs(record)
    diff = tuple(record["grads"])
    f = _value_and_grads(record["loss"], json.dumps(record["config"], sort_keys=True), record["mean"])
    (_, values), grads = f({k: inputs[k] for k in diff}, {k: v for k, v in inputs.items() if k not in diff})
    np.testing.assert_allclose(values, record["values"], rtol=2e-5, atol=2e-6)
    # torch adds 1e-12 to the squared norms of cosine_embedding: for short vectors (|x| ~ 1e-3) its gradient
    # moves by ~1e-4 where jaxloss's is exact (e.g. 0 for 1-D rows, whose cosine is constant).
    atol = 2e-4 if record["loss"] == "cosine_embedding" else 2e-6
    for name in diff:
        np.testing.assert_allclose(grads[name], record["grads"][name], rtol=2e-5, atol=atol, err_msg=name)


def test_every_beyond_keras_loss_and_option_has_references():
    beyond = {cls.fn.__name__ for cls in jaxloss._src.classes.LOSSES if not cls.in_keras}
    options = {"sparse_categorical_crossentropy", "kl_divergence", "binary_crossentropy"}  # new options of Keras losses
    # The factory, and optax's ranking_softmax_loss as categorical_crossentropy with -inf logits.
    others = {"make_fenchel_young_loss", "categorical_crossentropy"}
    assert {r["loss"] for r in RECORDS} == beyond | options | others
    assert {r["peer"] for r in RECORDS} == {"torch", "optax"}


@pytest.mark.parametrize("index", range(len(ALIGNMENTS)))
def test_ctc_alignment_posteriors_match_optax_gradient(index):
    """Summed over the states of each class, the state posteriors are softmax - d ctc / d logits (optax's)."""
    record = ALIGNMENTS[index]
    inputs = {k: np.asarray(v) for k, v in record["inputs"].items()}
    labels, logits = inputs.pop("y_true"), inputs.pop("y_pred").astype(np.float32)
    posteriors = jaxloss.ctc_alignment(labels, logits, **inputs)  # [B, T, 2L + 1]
    batch, max_label = labels.shape
    states = np.zeros((batch, 2 * max_label + 1), np.int32)  # blank 0 at even states
    states[:, 1::2] = labels
    per_class = jnp.einsum("bts,bsc->btc", posteriors, jax.nn.one_hot(states, logits.shape[-1]))
    np.testing.assert_allclose(per_class, record["class_posteriors"], atol=2e-6)
    active = np.arange(logits.shape[1])[None, :] < inputs["logit_length"][:, None]
    np.testing.assert_allclose(jnp.sum(posteriors, -1), active.astype(np.float32), atol=2e-6)


def test_gaussian_nll_clamps_the_value_not_the_gradient():
    """As torch: a variance below eps is read as eps, and its gradient is the unclamped formula's."""
    grad = jax.grad(lambda v: jnp.sum(jaxloss.gaussian_nll([[0.0]], [[1.0]], variance=v, eps=1e-3)))(
        jnp.array([[1e-8]])
    )
    np.testing.assert_allclose(grad, [[0.5 * (1 / 1e-3 - 1 / 1e-6)]], rtol=1e-5)


def test_extreme_inputs_stay_finite():
    for value in (
        jaxloss.poisson_nll([[0.0, 3.0]], [[-80.0, 80.0]]),
        jaxloss.poisson_nll([[0.0]], [[0.0]], log_input=False),
        jaxloss.cosine_embedding([1.0, -1.0], [[0.0, 0.0], [1e30, 1e30]], other=[[1.0, 0.0], [3e38, 0.0]]),
        jaxloss.multilabel_soft_margin([[1.0, 0.0]], [[jnp.inf, -jnp.inf]]),
        jaxloss.smooth_l1([[0.0]], [[3e38]], beta=0.0),
        jaxloss.sparsemax_loss([0, 1], [[1e30, -1e30, 0.0], [3e38, -3e38, 1.0]]),
        jaxloss.triplet_margin(None, [[1e38, -1e38]], positive=[[-1e38, 1e38]], negative=[[0.0, 0.0]]),  # norm 2.8e38
        jaxloss.ntxent([0, 0, 1], [[0.0, 0.0], [1e30, 1e30], [1.0, 0.0]]),
        jaxloss.poly1_crossentropy([[1.0, 0.0]], [[-1e4, 1e4]], from_logits=True),
        jaxloss.kl_divergence([[1.0, 0.0]], [[2.0, -jnp.inf]], from_logits=True),
        jaxloss.kl_divergence([[0.0, -jnp.inf]], [[2.0, -1e4]], from_logits=True, log_target=True),
        jaxloss.sparse_categorical_crossentropy([0], [[1e4, -1e4, 0.0]], from_logits=True, label_smoothing=0.1),
    ):
        assert np.all(np.isfinite(value)), value


# ---- the semantics each option and loss documents -------------------------------------------------

LOGITS = jnp.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
PROBS = jax.nn.softmax(LOGITS)


def test_label_smoothing_for_class_ids_equals_the_one_hot_form():
    for from_logits, y_pred in ((True, LOGITS), (False, jax.nn.softmax(LOGITS))):
        sparse = jaxloss.sparse_categorical_crossentropy([2, 1], y_pred, from_logits=from_logits, label_smoothing=0.3)
        dense = jaxloss.categorical_crossentropy(
            jnp.eye(3)[jnp.array([2, 1])], y_pred, from_logits=from_logits, label_smoothing=0.3
        )
        np.testing.assert_allclose(sparse, dense, rtol=2e-6)
    loss = jaxloss.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, label_smoothing=0.3)
    np.testing.assert_allclose(loss([2, -1], LOGITS), dense[0], rtol=2e-6)  # the ignored row is out of the mean


def test_label_smoothing_gradient_in_the_smoothing_itself():
    grad = jax.grad(
        lambda s: jaxloss.sparse_categorical_crossentropy([0], LOGITS[:1], from_logits=True, label_smoothing=s)[0]
    )
    log_p = jax.nn.log_softmax(LOGITS[0])
    np.testing.assert_allclose(grad(0.2), log_p[0] - jnp.mean(log_p), rtol=1e-5)


def test_kl_divergence_options_agree_with_each_other_and_keep_keras_by_default():
    target = jnp.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])
    from_logits = jaxloss.kl_divergence(target, LOGITS, from_logits=True)
    exact = jnp.sum(
        jnp.where(target > 0, target * (jnp.log(jnp.where(target > 0, target, 1)) - jax.nn.log_softmax(LOGITS)), 0), -1
    )
    np.testing.assert_allclose(from_logits, exact, rtol=1e-6)
    np.testing.assert_allclose(
        jaxloss.kl_divergence(jnp.log(target), LOGITS, from_logits=True, log_target=True), exact, rtol=1e-6
    )
    np.testing.assert_allclose(
        jaxloss.kl_divergence(target[:1], jax.nn.softmax(LOGITS[:1])), from_logits[:1], rtol=1e-5
    )
    grad = jax.grad(lambda t: jnp.sum(jaxloss.kl_divergence(t, LOGITS, from_logits=True)))(target)
    assert np.all(np.isfinite(grad)) and float(grad[1, 0]) == pytest.approx(
        1.0 - float(jax.nn.log_softmax(LOGITS)[1, 0])
    )


def test_generalized_kl_is_kl_for_normalized_measures():
    target = jnp.array([[0.2, 0.5, 0.3]])
    log_p = jax.nn.log_softmax(LOGITS[:1])
    np.testing.assert_allclose(
        jaxloss.generalized_kl_divergence(target, log_p),
        jaxloss.kl_divergence(target, LOGITS[:1], from_logits=True),
        rtol=1e-5,
    )
    assert float(jaxloss.generalized_kl_divergence([[2.0, 0.0]], jnp.log(jnp.array([[2.0, 1e-30]])))[0]) < 1e-6


def test_pos_weight_scales_the_positive_term_only():
    labels = jnp.array([[1.0, 0.0, 1.0]])
    plain = jaxloss.binary_crossentropy(labels, LOGITS[:1], from_logits=True)
    weighted = jaxloss.binary_crossentropy(labels, LOGITS[:1], from_logits=True, pos_weight=[2.0, 5.0, 1.0])
    expected = (2 * jax.nn.softplus(-2.0) + jax.nn.softplus(-1.0) + jax.nn.softplus(-0.5)) / 3
    np.testing.assert_allclose(weighted, [expected], rtol=1e-6)
    assert float(plain[0]) < float(weighted[0])
    with pytest.raises(ValueError, match="`pos_weight` must be a number or have one weight per class"):
        jaxloss.binary_crossentropy(labels, LOGITS[:1], pos_weight=[1.0, 2.0])


def test_poly1_is_crossentropy_at_epsilon_zero_and_rejects_ignore_class_for_one_hot():
    np.testing.assert_allclose(
        jaxloss.poly1_crossentropy([0, 1], LOGITS, from_logits=True, epsilon=0.0),
        jaxloss.sparse_categorical_crossentropy([0, 1], LOGITS, from_logits=True),
    )
    with pytest.raises(ValueError, match="`ignore_class` applies to integer class ids"):
        jaxloss.poly1_crossentropy(jnp.eye(3)[:2], LOGITS, from_logits=True, ignore_class=0)


def test_sparsemax_loss_is_zero_exactly_when_sparsemax_hits_the_label():
    assert float(jaxloss.sparsemax_loss([0], [[3.0, 1.0, 0.0]])[0]) == 0.0  # sparsemax = (1, 0, 0)
    assert float(jaxloss.sparsemax_loss([1], [[3.0, 1.0, 0.0]])[0]) > 0.0
    # Binary, soft labels: 0 where sparse_sigmoid(s) = (s + 1) / 2 = t.
    np.testing.assert_allclose(jaxloss.sparsemax_loss([[0.25, 1.0, 0.0]], [[-0.5, 1.0, -1.0]]), [0.0], atol=1e-7)
    grad = jax.grad(lambda s: jnp.sum(jaxloss.sparsemax_loss([2], s)))(jnp.array([[0.1, 0.3, 0.2]]))
    tau = (0.6 - 1.0) / 3  # all three in the support: p = s - tau
    np.testing.assert_allclose(grad, [[0.1 - tau, 0.3 - tau, 0.2 - tau - 1.0]], atol=1e-6)  # sparsemax - one_hot


def test_ntxent_without_positive_pairs_is_zero_not_nan():
    values = jaxloss.ntxent([0, 1, 2], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(values, [0.0, 0.0, 0.0])
    grad = jax.grad(lambda e: jnp.sum(jaxloss.ntxent([0, 1, 2], e)))(jnp.eye(3)[:, :2])
    assert np.all(grad == 0.0)


def test_triplet_margin_needs_no_targets_and_its_inputs():
    with pytest.raises(TypeError, match="pass None as `y_true`"):
        jaxloss.triplet_margin(jnp.ones(2), jnp.ones((2, 3)), positive=jnp.ones((2, 3)), negative=jnp.ones((2, 3)))
    with pytest.raises(TypeError, match="needs `positive=` and `negative=`"):
        jaxloss.triplet_margin(None, jnp.ones((2, 3)), positive=jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="`negative` must have the anchors' shape"):
        jaxloss.triplet_margin(None, jnp.ones((2, 3)), positive=jnp.ones((2, 3)), negative=jnp.ones((3,)))
    loss = jaxloss.TripletMargin(margin=1.0, eps=0.0, swap=True)
    # d(a, p) = 0; d(a, n) = 2 but d(p, n) = 0.5 with the swap: max(0 - 0.5 + 1, 0).
    value = loss(None, [[0.0, 0.0]], positive=[[0.0, 0.0]], negative=[[0.0, 0.5]])
    np.testing.assert_allclose(value, 0.5)


def test_generalized_dice_weights_rare_classes_up():
    y_true = jnp.eye(2)[jnp.array([[0, 0, 0, 1]])]  # class 1 is rare
    miss_rare = jaxloss.generalized_dice(y_true, jnp.eye(2)[jnp.array([[0, 0, 0, 0]])], smooth=0.0)
    miss_common = jaxloss.generalized_dice(y_true, jnp.eye(2)[jnp.array([[0, 1, 0, 1]])], smooth=0.0)
    assert float(miss_rare[0]) > float(miss_common[0])


def test_ctc_alignment_marks_infeasible_samples_and_padding_with_zeros():
    logits = jnp.zeros((2, 3, 3))
    posteriors = jaxloss.ctc_alignment(jnp.array([[1, 1, 1], [1, 2, 0]]), logits, logit_length=jnp.array([3, 2]))
    assert posteriors.shape == (2, 3, 7)
    np.testing.assert_array_equal(posteriors[0], 0.0)  # 1, 1, 1 needs 5 frames
    np.testing.assert_allclose(jnp.sum(posteriors[1], -1), [1.0, 1.0, 0.0], atol=1e-6)
    assert jax.grad(lambda x: jnp.sum(jaxloss.ctc_alignment(jnp.array([[1]]), x)))(jnp.ones((1, 2, 2))).sum() == 0.0


# ---- checked mode ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, args, kwargs, message",
    [
        (jaxloss.GaussianNLL(), ([[0.0]], [[1.0]]), {"variance": jnp.array([[-1.0]])}, "`variance` must be >= 0.0"),
        (jaxloss.PoissonNLL(), ([[-1.0]], [[1.0]]), {}, "`y_true` must be >= 0.0"),
        (jaxloss.MarginRanking(), ([[0.5]], [[1.0]]), {"other": jnp.zeros((1, 1))}, "must be -1 or 1; found 0.5"),
        (jaxloss.Perceptron(), (jnp.array([4]), LOGITS[:1]), {}, r"class id outside \[0, 3\): 4"),
        (jaxloss.SparsemaxLoss(), (jnp.array([[0.5]]), jnp.array([[1.0]])), {}, "must be 0 or 1; found 0.5"),
        (jaxloss.SparsemaxLoss(), (jnp.array([-3]), LOGITS[:1]), {}, "class id outside"),
        (jaxloss.Poly1Crossentropy(ignore_class=-1), (jnp.array([-2]), PROBS[:1]), {}, "or ignore_class=-1: -2"),
        (
            jaxloss.Poly1Crossentropy(from_logits=True),
            (jnp.array([[2.0, 0, 0]]), LOGITS[:1]),
            {},
            "`y_true` must be in",
        ),
        (jaxloss.GeneralizedKLDivergence(), (jnp.array([[-1.0]]), jnp.array([[0.0]])), {}, "`y_true` must be >= 0.0"),
        (
            jaxloss.KLDivergence(from_logits=True, log_target=True),
            (jnp.array([[0.5, -1.0]]), LOGITS[:1, :2]),
            {},
            r"log-probabilities, since log_target=True\); found 0.5",
        ),
        (jaxloss.GeneralizedDice(), (jnp.eye(2)[None], -jnp.eye(2)[None]), {}, "`y_pred` must be in"),
        (jaxloss.NTXent(), (jnp.array([0, -1]), jnp.eye(2)), {}, "class id outside"),
    ],
)
def test_checked_reports_value_errors(loss, args, kwargs, message):
    error, _ = jax.jit(jaxloss.checked(loss))(*args, **kwargs)
    assert error.get() is not None and __import__("re").search(message, error.get()), error.get()


@pytest.mark.parametrize(
    "loss, args, kwargs",
    [
        (jaxloss.KLDivergence(from_logits=True, log_target=True), (jnp.log(PROBS), LOGITS), {}),
        (jaxloss.Poly1Crossentropy(from_logits=True, ignore_class=-1), (jnp.array([1, -1]), LOGITS), {}),
        (jaxloss.SparsemaxLoss(), (jnp.array([[1.0, 0.0]]), jnp.array([[1.0, -2.0]])), {}),
        (jaxloss.TripletMargin(), (None, LOGITS), {"positive": PROBS, "negative": -PROBS}),
        (jaxloss.NTXent(), (jnp.array([0, 0]), LOGITS), {}),
    ],
)
def test_checked_passes_valid_inputs(loss, args, kwargs):
    error, value = jax.jit(jaxloss.checked(loss))(*args, **kwargs)
    assert error.get() is None
    np.testing.assert_allclose(value, loss(*args, **kwargs), rtol=1e-6)


def test_fenchel_young_factory_reduces_and_differentiates_like_its_max_function():
    fy = jaxloss.make_fenchel_young_loss(jax.nn.logsumexp)
    target = jax.nn.softmax(LOGITS[::-1])
    # logsumexp's conjugate gives the softmax crossentropy minus the target's entropy term: same gradient.
    grad = jax.grad(lambda s: jnp.sum(fy(target, s)))(LOGITS)
    np.testing.assert_allclose(grad, jax.nn.softmax(LOGITS) - target, atol=1e-6)
    mean = jaxloss.reduce(fy)(target, LOGITS)
    np.testing.assert_allclose(mean, jnp.mean(fy(target, LOGITS)), rtol=1e-6)
    perceptron = jaxloss.make_fenchel_young_loss(jnp.max)
    np.testing.assert_allclose(
        perceptron(jnp.eye(3)[jnp.array([0, 2])], LOGITS), jaxloss.perceptron(jnp.array([0, 2]), LOGITS)
    )
    with pytest.raises(TypeError, match="`max_fun` must be a function"):
        jaxloss.make_fenchel_young_loss("logsumexp")


def test_multiclass_hinge_differs_from_keras_categorical_hinge_only_below_zero():
    scores = jnp.array([[0.5, -1.0, -2.0], [0.5, 1.0, -2.0]])
    one_hot = jnp.eye(3)[jnp.array([0, 0])]
    np.testing.assert_allclose(jaxloss.multiclass_hinge(one_hot, scores), [0.0, 1.5])
    np.testing.assert_allclose(jaxloss.categorical_hinge(one_hot, scores), [0.5, 1.5])  # Keras floors the rival at 0
