"""dfd/_dfd.pyi names everything the extension module exports, and nothing it does not."""

import ast
from pathlib import Path

import dfd._dfd as ext

STUB = Path(__file__).resolve().parents[2] / "python/dfd/_dfd.pyi"


def _stub_tree():
    return ast.parse(STUB.read_text())


def test_stub_covers_the_extension_module():
    tree = _stub_tree()
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    exported = {n for n in dir(ext) if not n.startswith("_") and n != "metrics"}  # metrics: a submodule
    assert exported == set(classes) | functions
    for name, node in classes.items():
        cls = getattr(ext, name)
        declared = {b.name for b in node.body if isinstance(b, ast.FunctionDef)}
        declared |= {b.target.id for b in node.body if isinstance(b, ast.AnnAssign)}
        own = {a for a in vars(cls) if not a.startswith("__")}  # not inherited
        assert own <= declared | {"scan_many"}, (name, sorted(own - declared))
