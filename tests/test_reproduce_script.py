"""``benchmarks/reproduce.py``: its settings, the verdict rule and the generated page."""

import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "benchmarks" / "_reproduce_configs.py"
SCRIPT = ROOT / "benchmarks" / "reproduce.py"
PAGE = ROOT / "docs" / "results.md"


@pytest.fixture(scope="module")
def configs():
    return SimpleNamespace(**runpy.run_path(str(CONFIGS), run_name="_reproduce_configs"))


@pytest.fixture(scope="module")
def script():
    """The script as a module (its directory on the path while the tests use it)."""
    import importlib

    sys.path.insert(0, str(SCRIPT.parent))
    try:
        yield importlib.import_module("reproduce")
    finally:
        sys.path.remove(str(SCRIPT.parent))


def _script(*args, timeout=600):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_budget_defines_every_comparison(configs):
    assert set(configs.BUDGETS) == {"smoke", "cpu", "gpu", "paper"}
    assert set(configs.RUNTIME) == set(configs.BUDGETS)
    for budget, settings in configs.BUDGETS.items():
        assert set(settings) == set(configs.COMPARISONS), budget
        for comparison, setting in settings.items():
            where = f"{budget}/{comparison}"
            assert (setting.steps is None) != (setting.epochs is None), where
            assert setting.batch_size >= 2 and setting.n_train >= 1 and setting.n_test >= 1, where
            assert setting.dci in {"fast", "reference", "none"}, where
            assert setting.seeds >= (1 if budget == "smoke" else 3), where


def test_claims_levels_and_columns_name_known_methods(configs):
    for comparison in configs.COMPARISONS:
        columns = dict(configs.COLUMNS[comparison])
        for method, baseline, column in configs.CLAIMS[comparison]:
            assert {method, baseline} <= set(configs.METHODS[comparison])
            assert column in columns
        for method, column, _ in configs.BASELINE_LEVELS[comparison]:
            assert method in configs.METHODS[comparison] and column in columns


def test_fast_dci_is_named_in_the_labels(configs):
    fast = configs.BUDGETS["cpu"]["mipet"]
    assert fast.dci == "fast"
    assert "DCI (fast classifier) D" in configs.labels("mipet", fast).values()
    reference = configs.BUDGETS["paper"]["mipet"]
    assert "DCI D" in configs.labels("mipet", reference).values()


# --------------------------------------------------------------------- the verdict rule
@pytest.mark.parametrize(
    "method, baseline, expected",
    [
        ([0.50, 0.52, 0.54], [0.30, 0.31, 0.32], "supported"),
        ([0.30, 0.31, 0.32], [0.50, 0.52, 0.54], "contradicted"),
        ([0.40, 0.50, 0.60], [0.38, 0.45, 0.52], "undecided at this budget"),
        ([0.9], [0.1], "undecided at this budget"),  # one seed: no spread, no verdict
        ([0.5, np.nan], [0.1, 0.1], "undecided at this budget"),
    ],
)
def test_verdict_on_per_seed_scores(configs, method, baseline, expected):
    assert configs.verdict(method, baseline) == expected


def test_verdict_needs_the_difference_to_exceed_the_sum_of_stds(configs):
    # means differ by 0.074, stds sum to 0.141: the rule does not support this
    method = [0.122 - 0.05, 0.122, 0.122 + 0.05]
    baseline = [0.196 - 0.091, 0.196, 0.196 + 0.091]
    assert np.std(method, ddof=1) + np.std(baseline, ddof=1) == pytest.approx(0.141)
    assert configs.verdict(method, baseline, lower_is_better=True) == "undecided at this budget"


def test_verdict_for_an_error_is_supported_when_lower(configs):
    low, high = [0.10, 0.11, 0.12], [0.30, 0.31, 0.32]
    assert configs.verdict(low, high, lower_is_better=True) == "supported"
    assert configs.verdict(high, low, lower_is_better=True) == "contradicted"


def test_verdict_is_undecided_while_the_baselines_are_below_their_level(configs):
    method, baseline = [0.50, 0.52, 0.54], [0.10, 0.11, 0.12]
    means = {("β-TCVAE", "mig.discrete_mig"): 0.11}
    level = configs.baselines_disentangled("mipet", means)
    assert level is False
    expected = "undecided: baselines not yet disentangled"
    assert configs.verdict(method, baseline, baselines_disentangled=level) == expected
    assert configs.baselines_disentangled("mipet", {("β-TCVAE", "mig.discrete_mig"): 0.2})
    assert not configs.baselines_disentangled("factorqvae", {})  # no results: not reached
    assert configs.baselines_disentangled("group", {})  # no level to reach


# ------------------------------------------------------------- the official settings
#: typed from the official files: (steps or epochs, batch size, learning rate)
OFFICIAL_TRAINING = {
    # FactorQVAE configs/Shapes3D/*.yaml: train.max_steps 100000 Lightning steps
    # (two per batch with a discriminator), data.batch_size, train.vae_lr
    ("factorqvae", "FactorQVAE"): ("steps", 50000, 512, 1e-3),
    ("factorqvae", "QVAE"): ("steps", 100000, 256, 1e-3),
    ("factorqvae", "β-VAE"): ("steps", 100000, 256, 1e-3),
    ("factorqvae", "FactorVAE"): ("steps", 50000, 512, 1e-3),
    ("factorqvae", "QLAE"): ("steps", 100000, 256, 1e-3),
    # MIPET-VAEs run.sh LEARNING_RATE 4e-4, TRAIN_BATCH_SIZE 256; main.py num_epoch 60
    ("mipet", "MIPET-β-VAE"): ("epochs", 60, 256, 4e-4),
    ("mipet", "β-VAE"): ("epochs", 60, 256, 4e-4),
    ("mipet", "MIPET-β-TCVAE"): ("epochs", 60, 256, 4e-4),
    ("mipet", "β-TCVAE"): ("epochs", 60, 256, 4e-4),
    # GroupActionAE rotated_mnist.py: epochs 50, batch_size 64, lr 1e-3
    ("group", "GroupActionAE fixed"): ("epochs", 50, 64, 1e-3),
    ("group", "GroupActionAE learned"): ("epochs", 50, 64, 1e-3),
    ("group", "plain AE"): ("epochs", 50, 64, 1e-3),
    ("group", "plain AE (turned)"): ("epochs", 50, 64, 1e-3),
}


def test_paper_dry_run_prints_the_official_training(script, capsys):
    script.main(["--budget", "paper", "--dry-run"])
    out = capsys.readouterr().out
    comparison, seen = None, set()
    for line in out.splitlines():
        if re.match(r"^\w+: ", line):
            comparison = line.split(":")[0]
            continue
        match = re.match(
            r"^  (.+?) \| \w+ \| (steps|epochs) (\d+) \| batch (\d+) \| lr ([\d.e-]+) \|", line
        )
        if match:
            method, kind, length, batch, lr = match.groups()
            expected = OFFICIAL_TRAINING[comparison, method]
            assert (kind, int(length), int(batch), float(lr)) == expected, line
            seen.add((comparison, method))
    assert seen == set(OFFICIAL_TRAINING)
    assert "raw pixels | RawPixels | no training" in out


def test_paper_settings_match_the_official_files(configs):
    paper = configs.BUDGETS["paper"]

    def fit(comparison, method):
        return configs.fit_config(comparison, method, paper[comparison])

    vae = fit("factorqvae", "β-VAE")
    assert vae["params"]["beta"] == 1e-4 and vae["params"]["likelihood"] == "mse"
    assert vae["callbacks"]["lr_schedule"] == (50000, 1.25e-6)
    factor = fit("factorqvae", "FactorVAE")
    assert factor["params"]["gamma"] == 1e-4 and factor["callbacks"]["kl_weight"] == 1e-4
    assert factor["params"]["discriminator_lr"] == 1e-3
    assert factor["params"]["module__discriminator_layers"] == 5
    qlae = fit("factorqvae", "QLAE")["params"]
    assert (qlae["codebook_size"], qlae["commitment_weight"], qlae["quantization_weight"]) == (
        16,
        1e-2,
        1e-2,
    )
    for method in ("FactorQVAE", "QVAE"):
        params = fit("factorqvae", method)["params"]
        assert params["temperature_decay"] == 1e-5 and params["lr_decay_steps"] == 50000
    for method in configs.METHODS["mipet"]:
        assert fit("mipet", method)["params"]["grad_clip"] == 1.0, method
    assert fit("mipet", "β-VAE")["callbacks"]["init"] == "xavier"
    assert fit("mipet", "MIPET-β-VAE")["params"]["ipe_lr"] == 4e-4


def test_smaller_budgets_scale_the_official_schedules(configs):
    cpu = configs.BUDGETS["cpu"]["factorqvae"]
    fqvae = configs.fit_config("factorqvae", "FactorQVAE", cpu)
    assert fqvae["training"] == {"batch_size": 2 * cpu.batch_size, "max_steps": cpu.steps // 2}
    assert fqvae["params"]["lr_decay_steps"] == cpu.steps // 2
    assert fqvae["params"]["temperature_decay"] * cpu.steps == pytest.approx(1.0)
    vae = configs.fit_config("factorqvae", "β-VAE", cpu)
    assert vae["training"]["max_steps"] == cpu.steps
    assert vae["callbacks"]["lr_schedule"] == (cpu.steps // 2, 1.25e-6)
    assert "module__backbone_params" in vae["params"]


def test_every_setting_names_its_source(configs):
    for comparison, models in configs.MODELS.items():
        for method, model in models.items():
            for name, official in model.settings.items():
                assert official.source, (comparison, method, name)
                if official.source == "ours":
                    assert official.departure or name == "representation", (method, name)


def test_script_callbacks_set_the_official_kl_weight_and_initialisation(configs, script):
    """FactorVAE gets the KL weight 1e-4 and N(0, 0.02) weights everywhere, heads too."""
    setting = configs.BUDGETS["smoke"]["factorqvae"]
    estimator = script.build("factorqvae", "FactorVAE", setting)
    estimator.set_params(batch_size=8, max_steps=1, random_state=0)
    X = np.random.RandomState(0).randint(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    estimator.fit(X)
    assert estimator.module_.loss_weights["kl"] == 1e-4
    head = estimator.module_.mu.weight.detach().numpy()
    assert abs(head.std() - 0.02) < 0.005  # torch's default would be ~U(±1/sqrt(fan_in))
    assert np.allclose(estimator.module_.mu.bias.detach().numpy(), 0.0, atol=1e-2)


def test_mipet_hosts_get_the_official_xavier_initialisation(configs, script):
    estimator = script.build("mipet", "β-VAE", configs.BUDGETS["smoke"]["mipet"])
    estimator.set_params(batch_size=4, max_steps=1, random_state=0)
    X = np.random.RandomState(0).randint(0, 256, (8, 64, 64), dtype=np.uint8)
    head = estimator.fit(X).module_.mu.weight.detach().numpy()
    fan_out, fan_in = head.shape
    # torch's default bound is 1/sqrt(fan_in); xavier's sqrt(6 / (fan_in + fan_out))
    assert np.abs(head).max() > 1 / np.sqrt(fan_in) + 0.01
    assert np.abs(head).max() <= np.sqrt(6 / (fan_in + fan_out)) + 1e-3


def test_every_mipet_comparison_model_clips_gradients_at_one(configs, script):
    for method in configs.METHODS["mipet"]:
        estimator = script.build("mipet", method, configs.BUDGETS["paper"]["mipet"])
        assert estimator.get_params()["grad_clip"] == 1.0, method
        assert estimator.get_params()["lr"] == 4e-4, method


def test_raw_pixels_is_a_study_estimator(script):
    from sklearn.base import clone

    pixels = clone(script.RawPixels()).set_params(random_state=3)
    X = np.arange(2 * 8 * 8, dtype=np.uint8).reshape(2, 8, 8)
    assert pixels.fit(X).transform(X).shape == (2, 64)
    assert np.array_equal(pixels.reconstruct(X), X) and pixels.random_state == 3


# -------------------------------------------------------------------- the generated page
def test_report_only_regenerates_the_committed_page(script, tmp_path):
    page = tmp_path / "results.md"
    shutil.copy(PAGE, page)
    images = tmp_path / "images"
    script.main(["--report-only", "--page", str(page), "--images-dir", str(images)])
    assert page.read_text() == PAGE.read_text()
    blocks = "".join(
        re.findall(r"<!-- generated: .*?<!-- end generated -->", page.read_text(), re.S)
    )
    used = set(re.findall(r"\]\(images/([^)]+\.png)\)", blocks))
    assert used == {p.name for p in images.glob("*.png")} and used
    for image in used:
        assert (ROOT / "docs" / "images" / image).exists(), image


def test_the_page_has_a_block_per_comparison_and_budget_with_a_csv():
    text = PAGE.read_text()
    for path in sorted((ROOT / "benchmarks" / "results").glob("*/*.csv")):
        budget, comparison = path.parent.name, path.stem
        if budget == "curves":  # learning_curves.py's, in their own block
            continue
        section = text.split(f"<!-- generated: {comparison} -->")[1].split("<!-- end")[0]
        assert f"### Budget `{budget}`" in section, path


def test_every_committed_image_is_used():
    texts = [p.read_text() for p in (ROOT / "docs").rglob("*.md")]
    texts += [p.read_text() for p in (ROOT / "examples").glob("*.py")]
    texts.append((ROOT / "README.md").read_text())
    for image in (ROOT / "docs" / "images").glob("*.png"):
        assert any(image.name in t for t in texts), image.name


@pytest.mark.slow
def test_smoke_budget_writes_a_table(tmp_path):
    """The script end to end on its smallest comparison (turned digits, seconds)."""
    table = _script("--budget", "smoke", "--comparison", "group", "--out-dir", str(tmp_path))
    for method in ("GroupActionAE fixed", "plain AE", "plain AE (turned)", "raw pixels"):
        assert re.search(rf"^\|\s*{re.escape(method)}\s*\|", table, re.MULTILINE), method
    assert (tmp_path / "group.csv").exists()


def test_checkpoint_flags_reach_run_study(script, tmp_path, monkeypatch):
    import sklvae.model_selection

    calls = []

    def record(grid, *args, **kwargs):
        calls.append(dict(kwargs, grid=grid))

    monkeypatch.setattr(sklvae.model_selection, "run_study", record)
    out = tmp_path / "out"
    script.main(["--budget", "smoke", "--comparison", "group", "--out-dir", str(out)])
    # every trained method saves its running fits; the raw pixels train nothing
    saved = {m: (c["checkpoint_dir"], c["checkpoint_every"]) for c in calls for m in c["grid"]}
    assert saved.pop("raw pixels") == (None, None)
    assert set(saved.values()) == {(out / "checkpoints" / "group", 500)} and len(saved) == 4
    calls.clear()
    flags = ["--checkpoint-dir", str(tmp_path / "ck"), "--checkpoint-every", "7"]
    script.main(["--budget", "smoke", "--comparison", "group", "--out-dir", str(out), *flags])
    saved = {m: (c["checkpoint_dir"], c["checkpoint_every"]) for c in calls for m in c["grid"]}
    assert saved.pop("raw pixels") == (None, None)
    assert set(saved.values()) == {(tmp_path / "ck" / "group", 7)}
