"""Loop-for-loop re-statements of the reference metric implementations, for tests.

Each function follows the reference code line by line, with the same
scikit-learn calls in the same loops, so that a test can check sklvae's
vectorised metrics against it on small inputs without installing the reference
libraries. Orientation is the references' own: ``(n_columns, n_samples)``.

* disentanglement_lib (``evaluation/metrics/*.py``): MIG, SAP, DCI,
  modularity/explicitness, IRS, the unsupervised scores, BetaVAE and FactorVAE
  scores;
* latent_quantization (``infomec.py``): InfoMEC;
* disentanglement_lib's weak supervision (``methods/weak/weak_vae.py``): the
  Ada-GVAE (``GroupVAEArgmax``) and Ada-ML-VAE (``MLVaeArgmax``) losses, restated in
  numpy because that code is TensorFlow 1, which does not run here.

Deliberate departures are marked where they occur (seeds passed where the
reference leaves an estimator unseeded).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.stats
from sklearn import ensemble, feature_selection, linear_model, metrics, preprocessing, svm

__all__ = [
    "ref_discretize",
    "ref_discrete_mutual_info",
    "ref_discrete_entropy",
    "ref_mig",
    "ref_sap",
    "ref_dci",
    "ref_modularity_explicitness",
    "ref_irs",
    "ref_unsupervised",
    "ref_infomec",
    "ref_beta_vae",
    "ref_factor_vae",
    "ref_weak_vae_loss",
]


def ref_discretize(target, num_bins=20):
    discretized = np.zeros_like(target)
    for i in range(target.shape[0]):
        discretized[i, :] = np.digitize(target[i, :], np.histogram(target[i, :], num_bins)[1][:-1])
    return discretized


def ref_discrete_mutual_info(mus, ys):
    m = np.zeros([mus.shape[0], ys.shape[0]])
    for i in range(mus.shape[0]):
        for j in range(ys.shape[0]):
            m[i, j] = metrics.mutual_info_score(ys[j, :], mus[i, :])
    return m


def ref_discrete_entropy(ys):
    return np.array([metrics.mutual_info_score(y, y) for y in ys])


def ref_mig(mus, ys):
    m = ref_discrete_mutual_info(ref_discretize(mus), ys)
    entropy = ref_discrete_entropy(ys)
    sorted_m = np.sort(m, axis=0)[::-1]
    return {"discrete_mig": np.mean(np.divide(sorted_m[0, :] - sorted_m[1, :], entropy[:]))}


def ref_sap(mus, ys, mus_test, ys_test):
    score = np.zeros([mus.shape[0], ys.shape[0]])
    for i in range(mus.shape[0]):
        for j in range(ys.shape[0]):
            classifier = svm.LinearSVC(C=0.01, class_weight="balanced")
            classifier.fit(mus[i, :][:, np.newaxis], ys[j, :])
            pred = classifier.predict(mus_test[i, :][:, np.newaxis])
            score[i, j] = np.mean(pred == ys_test[j, :])
    sorted_score = np.sort(score, axis=0)
    return {"SAP_score": np.mean(sorted_score[-1, :] - sorted_score[-2, :])}


def ref_dci(x_train, y_train, x_test, y_test, seed):
    importance = np.zeros([x_train.shape[0], y_train.shape[0]])
    train_acc, test_acc = [], []
    for i in range(y_train.shape[0]):
        model = ensemble.GradientBoostingClassifier(random_state=seed[i])  # dlib: unseeded
        model.fit(x_train.T, y_train[i, :])
        importance[:, i] = np.abs(model.feature_importances_)
        train_acc.append(np.mean(model.predict(x_train.T) == y_train[i, :]))
        test_acc.append(np.mean(model.predict(x_test.T) == y_test[i, :]))

    def weighted(per, axis):
        r = importance if importance.sum() > 0 else np.ones_like(importance)
        return np.sum(per * r.sum(axis=axis) / r.sum())

    d = weighted(1.0 - scipy.stats.entropy(importance.T + 1e-11, base=importance.shape[1]), 1)
    c = weighted(1.0 - scipy.stats.entropy(importance + 1e-11, base=importance.shape[0]), 0)
    return {
        "disentanglement": d,
        "completeness": c,
        "informativeness_train": np.mean(train_acc),
        "informativeness_test": np.mean(test_acc),
    }


def ref_modularity_explicitness(mus_train, ys_train, mus_test, ys_test):
    mi = ref_discrete_mutual_info(ref_discretize(mus_train), ys_train)
    squared = np.square(mi)
    max_squared = np.max(squared, axis=1)
    modularity = 1.0 - (np.sum(squared, axis=1) - max_squared) / (
        max_squared * (squared.shape[1] - 1.0)
    )
    modularity[max_squared == 0.0] = 0.0
    mean, std = mus_train.mean(axis=1), mus_train.std(axis=1)
    train_n = (mus_train - mean[:, None]) / std[:, None]
    test_n = (mus_test - mean[:, None]) / std[:, None]
    train_scores, test_scores = [], []
    for i in range(ys_train.shape[0]):
        clf = linear_model.LogisticRegression().fit(train_n.T, ys_train[i])
        mlb = preprocessing.MultiLabelBinarizer()
        train_scores.append(
            metrics.roc_auc_score(
                mlb.fit_transform(ys_train[i][:, None]), clf.predict_proba(train_n.T)
            )
        )
        test_scores.append(
            metrics.roc_auc_score(
                mlb.fit_transform(ys_test[i][:, None]), clf.predict_proba(test_n.T)
            )
        )
    return {
        "modularity_score": np.mean(modularity),
        "explicitness_score_train": np.mean(train_scores),
        "explicitness_score_test": np.mean(test_scores),
    }


def ref_irs(mus, ys, diff_quantile=0.99):
    ys_discrete = ref_discretize(ys)
    active = mus[mus.var(axis=1) > 0.0, :]
    gen_factors, latents = ys_discrete.T, active.T
    max_deviations = np.max(np.abs(latents - latents.mean(axis=0)), axis=0)
    cum = np.zeros([latents.shape[1], gen_factors.shape[1]])
    for i in range(gen_factors.shape[1]):
        unique_factors = np.unique(gen_factors[:, i], axis=0)
        for k in range(unique_factors.shape[0]):
            match = gen_factors[:, i] == unique_factors[k]
            e_loc = np.mean(latents[match, :], axis=0)
            cum[:, i] += np.quantile(np.abs(latents[match, :] - e_loc), q=diff_quantile, axis=0)
        cum[:, i] /= unique_factors.shape[0]
    irs_matrix = 1.0 - cum / max_deviations[:, None]
    return {"IRS": np.average(irs_matrix.max(axis=1), weights=max_deviations)}


def ref_unsupervised(mus):
    cov = np.cov(mus)
    tc = 0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1])
    root = scipy.linalg.sqrtm(cov * np.expand_dims(np.diag(cov), axis=1))
    wc = 2 * np.trace(cov) - 2 * np.trace(root)
    discrete = ref_discretize(mus)
    mi = ref_discrete_mutual_info(discrete, discrete)
    np.fill_diagonal(mi, 0)
    return {
        "gaussian_total_correlation": tc,
        "gaussian_wasserstein_correlation": np.real(wc),
        "mutual_info_score": np.sum(mi) / (mus.shape[0] ** 2 - mus.shape[0]),
    }


def ref_infomec(sources, latents, discrete_latents, seeds):
    # latent_quantization infomec.py, with random_state given to the kNN estimator
    # (unseeded in the original) and its regression under current scikit-learn.
    sources = np.stack([preprocessing.LabelEncoder().fit_transform(s) for s in sources.T], axis=1)
    if discrete_latents:
        processed = np.stack(
            [preprocessing.LabelEncoder().fit_transform(z) for z in latents.T], axis=1
        )
    else:
        processed = np.concatenate(
            [preprocessing.StandardScaler().fit_transform(z[:, None]) for z in latents.T], axis=1
        )
    nmi = np.empty((sources.shape[1], latents.shape[1]))
    for i in range(sources.shape[1]):
        for j in range(latents.shape[1]):
            if discrete_latents:
                nmi[i, j] = metrics.mutual_info_score(sources[:, i], processed[:, j])
            else:
                nmi[i, j] = feature_selection.mutual_info_classif(
                    processed[:, j][:, None],
                    sources[:, i],
                    discrete_features=False,
                    n_neighbors=10,
                    random_state=seeds[i],
                )[0]
        nmi[i, :] /= metrics.mutual_info_score(sources[:, i], sources[:, i])
    ranges = latents.max(axis=0) - latents.min(axis=0)
    active = ranges > 0 if discrete_latents else ranges > ranges.max() / 20
    p = nmi[:, active]
    k, n_active = sources.shape[1], active.sum()
    infom = (np.mean(p.max(axis=0) / p.sum(axis=0)) - 1 / k) / (1 - 1 / k)
    infoc = (np.mean(p.max(axis=1) / p.sum(axis=1)) - 1 / n_active) / (1 - 1 / n_active)
    if discrete_latents:
        features = preprocessing.OneHotEncoder().fit_transform(latents)
    else:
        features = preprocessing.StandardScaler().fit_transform(latents)

    def loss(x, y):
        model = linear_model.LogisticRegression(
            C=np.inf, tol=1e-4, class_weight="balanced", solver="lbfgs", max_iter=100
        ).fit(x, y)
        return metrics.log_loss(y, model.predict_proba(x))

    infoe = np.mean(
        [
            (loss(np.zeros(latents.shape), s) - loss(features, s))
            / loss(np.zeros(latents.shape), s)
            for s in sources.T
        ]
    )
    return {"infom": infom, "infoe": infoe, "infoc": infoc}


def ref_beta_vae(dataset, encode, batch_size, n_train, n_eval, rng):
    def points(n):
        x, y = [], []
        for _ in range(n):
            k = rng.randint(len(dataset.factor_sizes))
            f1 = dataset.sample_factors(batch_size, rng)
            f2 = dataset.sample_factors(batch_size, rng)
            f2[:, k] = f1[:, k]
            r1 = encode(dataset.sample_observations(f1, rng))
            r2 = encode(dataset.sample_observations(f2, rng))
            x.append(np.mean(np.abs(r1 - r2), axis=0))
            y.append(k)
        return np.array(x), np.array(y)

    x, y = points(n_train)
    model = linear_model.LogisticRegression(random_state=rng).fit(x, y)
    train = np.mean(model.predict(x) == y)
    x, y = points(n_eval)
    return {"train_accuracy": train, "eval_accuracy": model.score(x, y)}


def ref_factor_vae(dataset, encode, batch_size, n_train, n_eval, n_var, threshold, rng):
    f = dataset.sample_factors(n_var, rng)
    global_var = np.var(encode(dataset.sample_observations(f, rng)), axis=0, ddof=1)
    active = np.sqrt(global_var) >= threshold

    def votes(n):
        v = np.zeros((len(dataset.factor_sizes), global_var.size), dtype=np.int64)
        for _ in range(n):
            k = rng.randint(len(dataset.factor_sizes))
            f = dataset.sample_factors(batch_size, rng)
            f[:, k] = f[0, k]
            local = np.var(encode(dataset.sample_observations(f, rng)), axis=0, ddof=1)
            v[k, np.argmin(local[active] / global_var[active])] += 1
        return v

    train = votes(n_train)
    classifier = np.argmax(train, axis=0)
    cols = np.arange(train.shape[1])
    evaluation = votes(n_eval)
    return {
        "train_accuracy": train[classifier, cols].sum() / train.sum(),
        "eval_accuracy": evaluation[classifier, cols].sum() / evaluation.sum(),
    }


# --- disentanglement_lib/methods/weak/weak_vae.py, restated in numpy ----------------------


def _ref_compute_kl(z_1, z_2, logvar_1, logvar_2):
    """``compute_kl``: twice KL(N(z_1, e^logvar_1) || N(z_2, e^logvar_2)) per dimension."""
    var_1 = np.exp(logvar_1)
    var_2 = np.exp(logvar_2)
    return var_1 / var_2 + np.square(z_2 - z_1) / var_2 - 1 + logvar_2 - logvar_1


def _ref_discretize_in_bins(x):
    """``discretize_in_bins``: ``tf.histogram_fixed_width_bins(x, [min, max], nbins=2)``.

    TensorFlow's op: ``floor(nbins * (x - min) / (max - min))`` clipped to ``[0, nbins - 1]``.
    """
    low, high = np.min(x), np.max(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = (x - low) / (high - low)
    bins = np.clip(np.floor(2 * scaled), 0, 1)
    # a row of equal values: TF's NaN cast to int32 is not 1, so no dimension is kept
    return np.where(np.isnan(bins), 0, bins).astype(np.int32)


def _ref_aggregate_argmax(z_mean, z_logvar, new_mean, new_log_var, kl_per_point):
    """``aggregate_argmax``: keep a dimension's own posterior where it falls in bin 1."""
    mask = np.equal(np.stack([_ref_discretize_in_bins(row) for row in kl_per_point]), 1)
    z_mean_averaged = np.where(mask, z_mean, new_mean)
    z_logvar_averaged = np.where(mask, z_logvar, new_log_var)
    return z_mean_averaged, z_logvar_averaged


def _ref_bernoulli_loss(true_images, reconstructed_images):
    """``losses.bernoulli_loss`` with logits, summed per image (no entropy subtraction)."""
    flat_logits = reconstructed_images.reshape(reconstructed_images.shape[0], -1)
    flat_true = true_images.reshape(true_images.shape[0], -1)
    # tf.nn.sigmoid_cross_entropy_with_logits
    loss = np.maximum(flat_logits, 0) - flat_logits * flat_true
    loss = loss + np.log1p(np.exp(-np.abs(flat_logits)))
    return np.sum(loss, axis=1)


def _ref_compute_gaussian_kl(z_mean, z_logvar):
    """``vae.compute_gaussian_kl``: KL to N(0, I), summed over latents, batch mean."""
    return np.mean(0.5 * np.sum(np.square(z_mean) + np.exp(z_logvar) - z_logvar - 1, axis=1))


def ref_weak_vae_loss(
    z_mean,
    z_logvar,
    z_mean_2,
    z_logvar_2,
    features_1,
    features_2,
    eps_1,
    eps_2,
    decode,
    beta,
    model,
):
    """The loss of ``GroupVAEArgmax`` (``model="gvae"``) or ``MLVaeArgmax`` (``"mlvae"``).

    ``model_fn`` from the encoder outputs on: the pair's posteriors ``(z_mean, z_logvar)``
    and ``(z_mean_2, z_logvar_2)``, the images, the noise of the two posterior samples
    (``sample_from_latent_distribution``: ``mean + exp(logvar / 2) * eps``) and the
    decoder ``decode(z) -> logits``. Returns ``(loss, reconstruction_loss, kl_loss)``.
    """
    kl_per_point = _ref_compute_kl(z_mean, z_mean_2, z_logvar, z_logvar_2)
    var_1 = np.exp(z_logvar)
    var_2 = np.exp(z_logvar_2)
    if model == "gvae":
        new_mean = 0.5 * z_mean + 0.5 * z_mean_2
        new_log_var = np.log(0.5 * var_1 + 0.5 * var_2)
    else:
        new_var = 2 * var_1 * var_2 / (var_1 + var_2)
        new_mean = (z_mean / var_1 + z_mean_2 / var_2) * new_var * 0.5
        new_log_var = np.log(new_var)
    mean_sample_1, log_var_sample_1 = _ref_aggregate_argmax(
        z_mean, z_logvar, new_mean, new_log_var, kl_per_point
    )
    mean_sample_2, log_var_sample_2 = _ref_aggregate_argmax(
        z_mean_2, z_logvar_2, new_mean, new_log_var, kl_per_point
    )
    z_sampled_1 = mean_sample_1 + np.exp(log_var_sample_1 / 2) * eps_1
    z_sampled_2 = mean_sample_2 + np.exp(log_var_sample_2 / 2) * eps_2
    reconstructions_1 = decode(z_sampled_1)
    reconstructions_2 = decode(z_sampled_2)
    per_sample_loss_1 = _ref_bernoulli_loss(features_1, reconstructions_1)
    per_sample_loss_2 = _ref_bernoulli_loss(features_2, reconstructions_2)
    reconstruction_loss_1 = np.mean(per_sample_loss_1)
    reconstruction_loss_2 = np.mean(per_sample_loss_2)
    reconstruction_loss = 0.5 * reconstruction_loss_1 + 0.5 * reconstruction_loss_2
    kl_loss_1 = _ref_compute_gaussian_kl(mean_sample_1, log_var_sample_1)
    kl_loss_2 = _ref_compute_gaussian_kl(mean_sample_2, log_var_sample_2)
    kl_loss = 0.5 * kl_loss_1 + 0.5 * kl_loss_2
    regularizer = beta * kl_loss
    loss = reconstruction_loss + regularizer
    return loss, reconstruction_loss, kl_loss
