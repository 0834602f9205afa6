"""The modules protoc generates from schema/*.proto. An installed package
carries them inside it; in the source tree `make` writes them to
build/python, which is looked for beside the tree's python/ directory."""
import importlib
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))


def _generated_dir():
    for d in (_here, os.path.join(os.path.dirname(os.path.dirname(_here)),
                                  "build", "python")):
        if os.path.exists(os.path.join(d, "control_pb2.py")):
            return d
    raise ImportError("gamehook: the generated protobuf modules "
                      "(control_pb2.py) are missing; run `make` in the "
                      "source tree, or install with `make install`")


def load(name):
    """The generated module NAME (e.g. "control_pb2")."""
    d = _generated_dir()
    if d != _here and d not in sys.path:
        sys.path.insert(0, d)
    if d == _here:
        return importlib.import_module("gamehook." + name)
    return importlib.import_module(name)


control_pb2 = load("control_pb2")
