"""Dependencies point one way (issue 20, part 3): no import cycle between the modules of
handouts/, and nothing under the checker (handouts/check/) imports a writer
(handouts/write/), so that a writer's mistake can never become what the checker expects.

Imports are read with ast, not run: at module level and inside functions alike, absolute
(handouts.x) and relative (from . import x)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_names(package):
    """{dotted module name: its file} for every module of the package folder."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(name, path, known):
    """The modules of `known` that the module `name` (in `path`) imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 packages
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            # "from a import b": the module a.b when there is one, else a name in a.
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                      for alias in node.names}
    return {module for module in found if module in known and module != name}


def import_graph(package):
    known = module_names(package)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph):
    """Each import cycle once, as the list of its modules with the first repeated last."""
    found, done = [], set()

    def visit(name, trail):
        if name in trail:
            cycle = trail[trail.index(name):]
            if not any(set(cycle) == set(c[:-1]) for c in found):
                found.append(cycle + [name])
            return
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, trail + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found


def arrows(graph, source, target):
    """Imports from a module under source to one under target."""
    under = lambda name, top: name == top or name.startswith(top + ".")  # noqa: E731
    return sorted(f"{a} -> {b}" for a, imported in graph.items() for b in imported
                  if under(a, source) and under(b, target))


def test_the_modules_of_handouts_import_each_other_without_a_cycle():
    found = cycles(import_graph(ROOT / "handouts"))
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_checker_imports_no_writer():
    found = arrows(import_graph(ROOT / "handouts"), "handouts.check", "handouts.write")
    assert not found, "the checker imports a writer: " + "; ".join(found)


def test_the_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import b\n")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("import pkg.a\nfrom ..a import f\n")
    graph = import_graph(package)
    assert graph == {"pkg": set(), "pkg.a": {"pkg.sub.b"}, "pkg.sub": {"pkg.sub.b"},
                     "pkg.sub.b": {"pkg.a"}}
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]
    assert arrows(graph, "pkg.sub", "pkg.a") == ["pkg.sub.b -> pkg.a"]
