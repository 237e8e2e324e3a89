"""Disentanglement studies: every estimator over a grid of hyperparameters and seeds.

The large-scale comparisons of this field (Locatello et al. 2019 and the papers that
follow it) fit each method once per grid point and seed on the whole dataset, then
score every fit on the ground-truth protocol: points are *sampled from the dataset's
generative factors* (not held out by cross-validation) and their representations are
scored by each metric. :func:`run_study` runs such a sweep and writes one row per fit
to a CSV file as soon as the fit finishes, so an interrupted study resumes where it
stopped::

    from sklvae import BetaVAE, FactorVAE
    from sklvae.datasets import make_dsprites
    from sklvae.model_selection import run_study

    table = run_study(
        [(BetaVAE(max_steps=2000), {"beta": [1, 4, 16]}),
         (FactorVAE(max_steps=2000), {"gamma": [10, 40]})],
        make_dsprites(), metrics=["dci", "mig", "sap"], seeds=range(5),
        results_file="study.csv", n_jobs=4,
    )

With ``checkpoint_dir`` each running fit is checkpointed (every ``checkpoint_every``
steps) and an interrupted fit resumes from its checkpoint, exactly; rows, models and
checkpoints are written atomically, and several processes may share one results file
(they split the fits under OS locks). See ``docs/scaling_out.md``.

Out-of-distribution generalisation (Schott et al., ICLR 2022): :func:`factor_split`
splits a dataset's factor grid into training and test rows (``"random"``,
``"composition"``, ``"interpolation"``, ``"extrapolation"``), and
:func:`make_factor_split_scorer` scores a fitted model on the test rows (predicting the
factors from its representation, or its reconstruction error); fit on the training rows
with ``run_study(..., X=dataset.subset(train), metrics={"ood_r2": scorer})``.

Fits run through joblib: ``n_jobs=4`` uses local processes, ``n_jobs=1`` runs them one
after the other (one GPU), and inside ``joblib.parallel_config(backend="dask")`` with a
``dask.distributed.Client`` they run on the cluster's workers (start one worker per GPU,
each seeing its own device through ``CUDA_VISIBLE_DEVICES``, with ``device="auto"``).
Fits are reproducible wherever they run: each pins torch to ``n_threads`` threads, and
fits in threads of one process take turns, since torch's random generator is
process-wide (parallelism comes from processes or dask workers, not threads).
"""

from ._results import INFO_COLUMNS, KEY_COLUMNS
from ._splits import SPLIT_KINDS, FactorSplitScorer, factor_split, make_factor_split_scorer
from ._study import run_study
from ._tasks import study_tasks

__all__ = [
    "run_study",
    "study_tasks",
    "KEY_COLUMNS",
    "INFO_COLUMNS",
    "factor_split",
    "SPLIT_KINDS",
    "make_factor_split_scorer",
    "FactorSplitScorer",
]
