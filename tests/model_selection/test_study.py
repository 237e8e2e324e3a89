"""The study runner: rows, resuming an interrupted study, joblib and dask parallelism."""

import json

import numpy as np
import pytest
from skorch.callbacks import Callback

from sklvae import VAE, BetaVAE
from sklvae.metrics import mig_scorer
from sklvae.model_selection import run_study, study_tasks

pd = pytest.importorskip("pandas")

TIME_COLUMNS = ["fit_time"]


TINY = dict(n_latents=3, backbone="mlp", max_steps=3, batch_size=8)
STUDY = dict(metrics={"mig": "mig", "mig_scorer": mig_scorer}, seeds=[0, 1], n_train=64, n_test=32)


def estimators():
    return [(VAE(**TINY), {}), (BetaVAE(**TINY), {"beta": [4.0]})]


class FailingVAE(VAE):
    """A VAE whose fit raises for one seed: an interrupted study."""

    def fit(self, X, y=None):
        if self.random_state == 1:
            raise KeyboardInterrupt("interrupted")
        return super().fit(X, y)


def without_time(table):
    return table.drop(columns=TIME_COLUMNS)


@pytest.fixture(scope="module")
def serial_table(squares, tmp_path_factory):
    path = tmp_path_factory.mktemp("serial") / "study.csv"
    return run_study(estimators(), squares, results_file=path, **STUDY)


def test_study_writes_one_row_per_fit_with_every_column(serial_table, squares):
    table = serial_table
    assert list(table["method"]) == ["VAE", "VAE", "BetaVAE", "BetaVAE"]
    assert list(table["seed"]) == [0, 1, 0, 1]
    assert json.loads(table["params"][2]) == {"beta": 4.0}
    assert list(table.columns[:3]) == ["method", "params", "seed"]
    for column in (
        "mig.discrete_mig",
        "mig_scorer",
        "reconstruction_error",
        "fit_time",
        "n_steps",
        "device",
        "sklvae_version",
        "torch_version",
        "sklearn_version",
    ):
        assert column in table.columns, column
    assert (table["n_steps"] == 3).all() and (table["device"] == "cpu").all()
    assert table["reconstruction_error"].between(0, 1).all()
    # each row is what the fitted model scores on the sampled points
    factors, images = squares.sample(64, np.random.RandomState(0))
    model = BetaVAE(**TINY, beta=4.0, random_state=1).fit(squares)
    assert table["mig_scorer"][3] == mig_scorer(model, images, factors)
    recon = model.reconstruct(images)
    assert recon.dtype == np.uint8  # uint8 in, uint8 out: the error is in [0, 1] pixel scale
    assert table["reconstruction_error"][3] == pytest.approx(
        np.mean((recon / 255 - images / 255) ** 2)
    )
    # seeds differ, so rows differ
    assert table["reconstruction_error"][2] != table["reconstruction_error"][3]


def test_interrupted_study_resumes_and_equals_an_uninterrupted_run(serial_table, squares, tmp_path):
    path = tmp_path / "study.csv"
    interrupted = [(FailingVAE(**TINY), {}), (BetaVAE(**TINY), {"beta": [4.0]})]
    with pytest.raises(KeyboardInterrupt):
        run_study(interrupted, squares, results_file=path, **STUDY)
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("FailingVAE,{},0,")  # header + first fit
    resumed = [(VAE(**TINY), {}), (BetaVAE(**TINY), {"beta": [4.0]})]
    # the label keeps the method name of the rows already written
    table = run_study(
        {"FailingVAE": resumed[0], "BetaVAE": resumed[1]}, squares, results_file=path, **STUDY
    )
    assert len(path.read_text().splitlines()) == 5
    expected = without_time(serial_table).assign(method=["FailingVAE"] * 2 + ["BetaVAE"] * 2)
    pd.testing.assert_frame_equal(without_time(table), expected)
    # a third run skips every fit and only reads the file
    again = run_study(
        {"FailingVAE": resumed[0], "BetaVAE": resumed[1]}, squares, results_file=path, **STUDY
    )
    pd.testing.assert_frame_equal(again, table)


class StopAtStep2(Callback):
    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.n_steps_ == 2:
            raise KeyboardInterrupt


def test_a_fit_stopped_by_ctrl_c_stops_the_study_without_its_row(squares, tmp_path):
    path = tmp_path / "study.csv"
    stopped = VAE(**TINY, callbacks=[StopAtStep2()])
    with pytest.warns(UserWarning, match="interrupted"):
        with pytest.raises(KeyboardInterrupt, match=r"interrupted at step 2; run the study again"):
            run_study([(stopped, {})], squares, results_file=path, **STUDY)
    assert not path.exists()


class KilledWorker(Exception):
    """Stands for dask's: raised when a fit killed its worker on every try."""


def test_a_fit_dask_gave_up_on_stops_the_study_with_a_clear_message(squares, tmp_path):
    def scorer(estimator, X, y):
        raise KilledWorker("('_fit_and_score-1', <WorkerState 'tcp://...'>)")

    with pytest.raises(RuntimeError, match="A dask worker died on every try of a fit"):
        run_study([VAE(**TINY)], squares, metrics={"m": scorer}, seeds=[0], n_train=16)


def test_resume_counts_finished_fits_and_skips_them(squares, tmp_path, capsys):
    path = tmp_path / "study.csv"
    run_study([(VAE(**TINY), {})], squares, results_file=path, **STUDY)
    run_study(estimators(), squares, results_file=path, verbose=1, **STUDY)
    err = capsys.readouterr().err
    assert "2 of 4 fits already in the results file" in err and "4/4 fits" in err


def test_n_jobs_2_equals_serial(serial_table, squares, tmp_path):
    # the results file's lock and claims taken from joblib's dispatch thread too
    path = tmp_path / "study.csv"
    table = run_study(estimators(), squares, n_jobs=2, results_file=path, **STUDY)
    pd.testing.assert_frame_equal(without_time(table), without_time(serial_table))
    assert len(path.read_text().splitlines()) == 5


def test_dask_cluster_equals_serial(serial_table, squares):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with parallel_config(backend="dask"):
            table = run_study(estimators(), squares, **STUDY)
        assert client.status == "running"
    pd.testing.assert_frame_equal(without_time(table), without_time(serial_table))


def test_models_are_saved_beside_the_results(squares, tmp_path):
    import joblib

    table = run_study(
        [(VAE(**TINY), {})],
        squares,
        seeds=[3],
        metrics=["mig"],
        n_train=32,
        n_test=16,
        model_dir=tmp_path / "models",
        as_frame=False,
    )
    model = joblib.load(tmp_path / "models" / table[0]["model_file"])
    assert model.random_state == 3 and model.n_steps_ == 3


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(seeds=[]), ValueError, "seeds is empty"),
        (dict(seeds=[0, 0]), ValueError, "duplicates"),
        (dict(seeds=[0.5]), TypeError, "seeds must be integers"),
        (dict(metrics=["nope"]), ValueError, "unknown metric 'nope'"),
        (dict(metrics=[mig_scorer]), TypeError, "needs a column name"),
        (dict(metrics={"m": (mig_scorer, 0)}), ValueError, "sample size"),
        (dict(n_train=0), ValueError, "n_train must be a positive integer"),
        (dict(random_state=None), ValueError, "random_state must be an int"),
        (dict(checkpoint_every=5), ValueError, "checkpoint_every needs checkpoint_dir"),
        (
            dict(checkpoint_dir="unused", checkpoint_every=0),
            ValueError,
            r"checkpoint_every must be a positive integer \(steps\) or None, got 0",
        ),
        (dict(metric_params={"dci": {}}), ValueError, r"metrics not in the study: \['dci'\]"),
        (
            dict(history_keys=["mig"], n_train=16, n_test=8),
            KeyError,
            "'mig' is not in the last history row",
        ),
    ],
)
def test_run_study_rejects_bad_arguments(squares, kwargs, error, match):
    with pytest.raises(error, match=match):
        run_study([VAE(**TINY)], squares, **{"metrics": ["mig"], **kwargs})


def test_bad_grids_and_datasets_are_named():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['betaa'\]"):
        study_tasks([(BetaVAE(), {"betaa": [1]})])
    with pytest.raises(ValueError, match="random_state is set by `seeds`"):
        study_tasks([(BetaVAE(), {"random_state": [1]})])
    with pytest.raises(TypeError, match="list of \\(estimator, param_grid\\) pairs"):
        study_tasks(BetaVAE())
    with pytest.raises(TypeError, match="ground-truth dataset"):
        run_study([BetaVAE()], np.zeros((4, 16, 16)))


def test_results_file_with_other_columns_is_refused(squares, tmp_path):
    path = tmp_path / "study.csv"
    run_study([(VAE(**TINY), {})], squares, results_file=path, **{**STUDY, "seeds": [0]})
    with pytest.raises(ValueError, match="use a new results_file"):
        run_study(
            [(VAE(**TINY), {})],
            squares,
            results_file=path,
            **{**STUDY, "seeds": [5], "metrics": ["mig"]},
        )


def test_each_study_plot_returns_a_figure(serial_table, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from sklvae.plotting import (
        plot_metric_distributions,
        plot_metric_rank_correlation,
        plot_metric_vs_param,
    )

    fig = plot_metric_distributions(serial_table)  # default: every metric column
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["mig.discrete_mig", "mig_scorer"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["VAE", "BetaVAE"]
    path = tmp_path / "study.csv"
    serial_table.to_csv(path, index=False)
    strip = plot_metric_distributions(path, "mig_scorer", kind="strip")  # from the CSV file
    assert isinstance(strip, Figure) and len(strip.axes[0].collections) == 2  # one per method
    fig = plot_metric_vs_param(serial_table, "mig_scorer", "beta")
    assert isinstance(fig, Figure)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["BetaVAE"]
    fig = plot_metric_rank_correlation(
        serial_table, ["mig.discrete_mig", "mig_scorer", "reconstruction_error"]
    )
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 9 and texts[0] == texts[4] == "1.00"  # the diagonal
    matplotlib.pyplot.close("all")
