"""The project's own set-up: CI runs exactly the README's test command; no import cycles."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _commands(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command():
    readme_commands = _commands((ROOT / "README.md").read_text())
    assert len(readme_commands) == 2, "the README gives exactly two set-up-and-run commands"
    test_command = next(c for c in readme_commands if "pytest" in c)
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert test_command in ci_lines


def test_torch_is_pinned_to_the_cpu_wheel_in_both_commands():
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
    for command in _commands((ROOT / "README.md").read_text()):
        assert "-c constraints.txt" in command


# --- no import cycle between the modules of sklvae/ ---------------------------------------


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _with_ancestors(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs its packages first."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module):
    """Import statements that run when the module is imported (not in a function or class)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            pending += [child for handler in node.handlers for child in handler.body]
        elif isinstance(node, ast.With):
            pending += node.body


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the package at ``root`` that importing it imports first.

    Counted: module-level imports (including those under ``if``/``try``/``with`` at
    module level), absolute or relative. ``from package import name`` points at the
    submodule ``package.name`` when there is one, else at ``package`` (its
    ``__init__``). Importing ``a.b.c`` also runs the packages ``a`` and ``a.b``: those
    edges count except to the importer's own packages, which are always already being
    imported when the importer runs. Not counted: imports inside functions and methods
    (they run after every module has loaded, so they cannot close an import-time cycle;
    the package uses them to defer optional or heavy imports) and ``if TYPE_CHECKING:``
    blocks (never run).
    """
    package = root.name
    modules = {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        own_packages = set(_with_ancestors(".".join(here)))
        targets: set[str] = set()
        for node in _module_level_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            if node.level:
                base = here[: len(here) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets.add(source)
            targets.update(
                f"{source}.{alias.name}"
                for alias in node.names
                if f"{source}.{alias.name}" in modules
            )
        graph[name] = {
            target
            for imported in targets
            if imported == package or imported.startswith(package + ".")
            for target in _with_ancestors(imported)
            if target in modules and target != name and target not in own_packages
        }
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None when it is acyclic."""
    state: dict[str, str] = {}  # "open" while on the path, "done" when fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_modules_of_sklvae():
    graph = import_graph(ROOT / "sklvae")
    assert "sklvae.nn.backbones" in graph and "sklvae.base" in graph["sklvae.models.vae"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    "files, cycle",
    [
        # from .a import x / from . import b: the circle backbones.py used to make
        (
            {"a.py": "x = 1\nfrom . import b  # noqa: E402\n", "b.py": "from .a import x\n"},
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
        # through a subpackage's __init__, absolute imports, under try at module level
        (
            {
                "sub/__init__.py": "from .c import y\n",
                "sub/c.py": "try:\n    import pkg.d\nexcept ImportError:\n    pass\n",
                "d.py": "from pkg.sub import c\n",
            },
            ["pkg.d", "pkg.sub", "pkg.sub.c", "pkg.d"],
        ),
    ],
)
def test_cycle_checker_finds_a_cycle(tmp_path, files, cycle):
    assert find_cycle(import_graph(_package(tmp_path, files))) == cycle


def test_cycle_checker_passes_function_level_and_type_checking_imports(tmp_path):
    root = _package(
        tmp_path,
        {
            "a.py": "from . import b\n",
            "b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n"
                "def f():\n    from .a import x\n    return x\n"
            ),
            "sub/__init__.py": "",
            "sub/e.py": "from .. import a\n",  # a child importing outside: no cycle
        },
    )
    graph = import_graph(root)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == set()
    assert graph["pkg.sub.e"] == {"pkg.a"}
    assert find_cycle(graph) is None
