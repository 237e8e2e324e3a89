"""``benchmarks/learning_curves.py``: a row per evaluation, mid-fit resume, finished curves skipped."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from skorch.callbacks import Callback

from sklvae import BetaVAE
from sklvae.datasets import GroundTruthDataset

from . import conftest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def lc():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("learning_curves")
    finally:
        sys.path.remove(str(BENCHMARKS))


def draw_squares(factors):
    """8 x 8 images of the 4 x 4 grid (2-pixel squares)."""
    return conftest.draw_squares(factors, size=8, side=2, stride=2)


class StopAt(Callback):
    """Interrupts training (as Ctrl-C would) after the given step."""

    def __init__(self, step):
        self.step = step

    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.n_steps_ == self.step:
            raise KeyboardInterrupt


@pytest.fixture
def tiny(lc):
    """Curves of 6 steps of batch 4 on 8x8 squares, scored every 2 steps."""
    curve = lc.Curve("mipet", "β-VAE", 0, lc.Scale(8, 6, 2, 64, batch_size=4))

    def make(stop=None):
        def build(curve, cache_dir):
            dataset = GroundTruthDataset(("x", "y"), (4, 4), (8, 8), renderer=draw_squares)
            callbacks = [StopAt(stop)] if stop else None
            model = BetaVAE(n_latents=3, backbone="mlp", random_state=0, callbacks=callbacks)
            point = lc.curve_params(curve)
            return lc.Fit(model, dataset, None, point, "mig", "discrete_mig", 64, {}, "MIG")

        return build

    return curve, make


def test_a_curve_writes_a_row_per_evaluation(lc, tiny, tmp_path):
    curve, make = tiny
    lc.run_curve(curve, tmp_path, tmp_path / "ck", make())
    rows = pd.read_csv(tmp_path / "mipet.csv")
    assert list(rows.columns) == lc.COLUMNS
    assert rows["step"].tolist() == [2, 4, 6]
    assert rows["images_seen"].tolist() == [8, 16, 24]
    assert set(rows["scale"]) == {"8x8"} and set(rows["metric_name"]) == {"MIG"}
    assert rows["seconds"].is_monotonic_increasing and rows["cpu_seconds"].is_monotonic_increasing
    fits = pd.read_csv(tmp_path / "mipet_fits.csv")
    assert fits["method"].tolist() == ["β-VAE 8x8"] and fits["n_steps"].tolist() == [6]


def test_an_interrupted_curve_resumes_mid_fit_and_a_finished_one_is_skipped(lc, tiny, tmp_path):
    curve, make = tiny
    lc.run_curve(curve, tmp_path / "whole", tmp_path / "ck_whole", make())
    out, ck = tmp_path / "cut", tmp_path / "ck_cut"
    with pytest.raises(KeyboardInterrupt), pytest.warns(Warning, match="interrupted at step 5"):
        lc.run_curve(curve, out, ck, make(stop=5))
    assert pd.read_csv(out / "mipet.csv")["step"].tolist() == [2, 4]
    assert not (out / "mipet_fits.csv").exists()
    lc.run_curve(curve, out, ck, make())  # the same command again
    resumed, whole = pd.read_csv(out / "mipet.csv"), pd.read_csv(tmp_path / "whole" / "mipet.csv")
    assert resumed["step"].tolist() == [2, 4, 6]  # step 4 is not written twice
    assert resumed["cpu_seconds"].is_monotonic_increasing  # continued from step 4's row
    np.testing.assert_array_equal(resumed["metric"], whole["metric"])  # exact resume
    assert pd.read_csv(out / "mipet_fits.csv")["resumed_from_step"].tolist() == [4]

    def fails(curve, cache_dir):
        raise AssertionError("a finished curve is not built again")

    lc.run_curve(curve, out, ck, fails)
    assert len(pd.read_csv(out / "mipet.csv")) == 3


def test_curves_run_the_decisive_pair_first_seed_by_seed(lc):
    order = [("mipet", "β-TCVAE", 32), ("factorqvae", "β-VAE", 32), ("mipet", "β-VAE", 32)]
    got = [(c.method, c.size, c.seed) for c in lc.curves(order, seeds=2)]
    assert got[:4] == [("β-TCVAE", 32, 0), ("β-VAE", 32, 0), ("β-TCVAE", 32, 1), ("β-VAE", 32, 1)]
    assert got[4:] == [("β-VAE", 32, 0), ("β-VAE", 32, 1)]


def test_standing_says_where_each_baseline_is_against_the_level(lc):
    def rows(method, values):
        steps = np.arange(1, len(values) + 1)
        return pd.DataFrame(
            dict(
                method=method,
                scale="32x32",
                seed=np.repeat([0, 1], len(values)),
                images_seen=np.tile(steps * 1000, 2),
                metric=np.tile(values, 2),
                metric_name="MIG",
                seconds=np.tile(steps * 60.0, 2),
                cpu_seconds=np.tile(steps * 60.0, 2),
            )
        )

    reached = lc.standing("mipet", rows("β-TCVAE", [0.1, 0.25, 0.22]))
    assert reached == [
        "- β-TCVAE at 32x32 (2 seeds, mean over seeds): reaches the level MIG ≥ 0.2 at "
        "2,000 images; last point 0.220 at 3,000 images (3 CPU-minutes per seed)."
    ]
    (below,) = lc.standing("mipet", rows("β-TCVAE", [0.1, 0.15, 0.12]))
    assert "best so far MIG 0.150 at 2,000 images, below the level of 0.2" in below
    (no_level,) = lc.standing("mipet", rows("β-VAE", [0.1, 0.15]))
    assert "best so far MIG 0.150 at 2,000 images; last point" in no_level
