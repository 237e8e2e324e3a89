"""The budget table of ``benchmarks/reproduce.py`` (read without running the script)."""

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

CONFIGS = Path(__file__).resolve().parents[1] / "benchmarks" / "_reproduce_configs.py"


@pytest.fixture(scope="module")
def configs():
    return SimpleNamespace(**runpy.run_path(str(CONFIGS), run_name="_reproduce_configs"))


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
            if budget == "smoke":
                assert setting.seeds >= 1, where
            else:
                assert setting.seeds >= 3, where


def test_claims_and_columns_name_known_methods(configs):
    for comparison in configs.COMPARISONS:
        columns = dict(configs.COLUMNS[comparison])
        for method, baseline, column in configs.CLAIMS[comparison]:
            assert {method, baseline} <= set(configs.METHODS[comparison])
            assert column in columns


def test_fast_dci_is_named_in_the_labels(configs):
    fast = configs.BUDGETS["cpu"]["mipet"]
    assert fast.dci == "fast"
    assert "DCI (fast classifier) D" in configs.labels("mipet", fast).values()
    reference = configs.BUDGETS["paper"]["mipet"]
    assert "DCI D" in configs.labels("mipet", reference).values()


@pytest.mark.slow
def test_smoke_budget_writes_a_table(tmp_path):
    """The script end to end on its smallest comparison (turned digits, seconds)."""
    import re
    import subprocess
    import sys

    script = CONFIGS.parent / "reproduce.py"
    command = [sys.executable, str(script), "--budget", "smoke", "--comparison", "group"]
    done = subprocess.run(
        [*command, "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = (tmp_path / "group.md").read_text()
    for method in ("GroupActionAE fixed", "GroupActionAE learned", "plain AE"):
        assert re.search(rf"^\|\s*{method}\s*\|", table, re.MULTILINE), method
    assert (tmp_path / "group.csv").exists()
