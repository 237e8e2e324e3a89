"""The project's own set-up: CI runs exactly the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command():
    readme_commands = _commands((ROOT / "README.md").read_text())
    assert len(readme_commands) == 2, "the README gives exactly two set-up-and-run commands"
    test_command = next(c for c in readme_commands if "pytest" in c)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert test_command in ci_lines


def test_torch_is_pinned_to_the_cpu_wheel_in_both_commands():
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
    for command in _commands((ROOT / "README.md").read_text()):
        assert "-c constraints.txt" in command
