#!/usr/bin/env python3
"""Checks the code's structure (`make check` runs it; docs/code-map.md says why):

1. No module cycles within a crate. For every module, its child modules are compared with
   one another: A depends on B when a file anywhere under A names an item under B (a
   `crate::`, `super::` or `self::` path, or a `use` of a sibling by its name). The graph of
   siblings must have no cycle, at every level. A parent naming its children (declaring and
   re-exporting them) is not a dependency between siblings.
2. No source file over MAX_LINES lines, outside tests and benchmarks (`tests/`, `benches/`,
   a module file named `tests.rs`), generated code excepted.
3. The connector depends on the simulator only for its tests (`wa-sim` only under
   `[dev-dependencies]`); only the demo crate and tests link it.

Prints the sibling graph of the crates it checks with `--graph`.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LINES = 700
CRATES = [
    "crates/domain",
    "crates/photo",
    "crates/whatsapp-webhook",
    "crates/client",
    "crates/connector",
    "crates/demo",
    "crates/wa-sim",
    "src-tauri",
]
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(src, path):
    """The module path of a source file: `store/sqlite/mod.rs` is ("store", "sqlite")."""
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def references(module, text, modules):
    """The module paths a file names, resolved to modules that exist."""
    found = set()
    for m in re.finditer(r"\b(crate|super|self)((?:::" + IDENT + r")+)", text):
        head, rest = m.group(1), m.group(2).split("::")[1:]
        if head == "crate":
            base = ()
        elif head == "self":
            base = module
        else:
            base = module[:-1]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        path = base + tuple(rest)
        # The longest prefix that is a module.
        while path and path not in modules:
            path = path[:-1]
        found.add(path)
    # `use sibling::...` / `use child::...` without a prefix (2018 paths).
    for m in re.finditer(r"\buse\s+(" + IDENT + r")::", text):
        name = m.group(1)
        for candidate in (module + (name,), module[:-1] + (name,)):
            if candidate in modules:
                found.add(candidate)
    return found


def cycles(nodes, edges):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def check_crate(crate, show_graph):
    problems = []
    src = os.path.join(ROOT, crate, "src")
    files = {}
    for dirpath, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(dirpath, name)
                files[path] = module_of(src, path)
    modules = set(files.values())
    # Every module's references, then edges between siblings.
    refs = {}
    for path, module in files.items():
        with open(path, encoding="utf-8") as f:
            refs[path] = references(module, strip_comments(f.read()), modules)
    parents = {m[:-1] for m in modules if m}
    for parent in sorted(parents):
        children = {m[len(parent)] for m in modules if len(m) > len(parent) and m[: len(parent)] == parent}
        edges = {}
        for path, module in files.items():
            if len(module) <= len(parent) or module[: len(parent)] != parent:
                continue
            a = module[len(parent)]
            for target in refs[path]:
                if len(target) > len(parent) and target[: len(parent)] == parent:
                    b = target[len(parent)]
                    if a != b and b in children:
                        edges.setdefault(a, set()).add(b)
        if show_graph and edges:
            where = "::".join(parent) or "crate"
            for a in sorted(edges):
                print(f"{crate} {where}: {a} -> {', '.join(sorted(edges[a]))}")
        for component in cycles(children, edges):
            where = "::".join(parent) or "the crate root"
            problems.append(f"{crate}: a module cycle under {where}: {' -> '.join(component)}")
    # File sizes, outside tests.
    for path in files:
        rel = os.path.relpath(path, ROOT)
        if os.path.basename(path) == "tests.rs" or os.sep + "tests" + os.sep in rel:
            continue
        with open(path, encoding="utf-8") as f:
            lines = sum(1 for _ in f)
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines (at most {MAX_LINES} outside tests)")
    return problems


def check_simulator_is_a_test_dependency():
    with open(os.path.join(ROOT, "crates/connector/Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    section = None
    problems = []
    for line in text.splitlines():
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1)
        elif re.match(r"\s*(wa-sim|multiline-demo)\b", line) and section != "dev-dependencies":
            problems.append(f"crates/connector/Cargo.toml: {line.strip()} under [{section}]")
    return problems


def main():
    show_graph = "--graph" in sys.argv
    problems = []
    for crate in CRATES:
        problems += check_crate(crate, show_graph)
    problems += check_simulator_is_a_test_dependency()
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"structure: no module cycles, no file over {MAX_LINES} lines outside tests, "
          "the simulator only in the connector's tests")


if __name__ == "__main__":
    main()
