"""The Python package installs offline with pip from the tree, as
pyproject.toml says (`pip install --no-build-isolation --no-index .` into a
venv made with --system-site-packages, Debian's pip, setuptools and
python3-* packages, no network): the installed package carries its
generated modules and the shim, imports from outside the tree, finds the
shim inside itself, launches and drives the demo game with it (the trace's
LD_PRELOAD names the installed shim) and reads the trace back."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
from gh import DEMO, ROOT, check  # noqa: E402

LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")

SCRIPT = r"""
import json, os, sys
import gamehook
from gamehook import _proto
out = {"file": gamehook.__file__, "lib": gamehook.find_lib(),
       "generated": _proto._generated_dir()}
demo, layout, trace = sys.argv[1:4]
with gamehook.Game.launch([demo], layout=layout, seed=3, trace=trace) as g:
    g.step(20)
    x0 = g.get("hero.x")
    g.key("right")
    out["x"] = [x0, g.step(3, observe=["hero.x"])["hero.x"]]
    g.command("trace stop")
t = gamehook.read_trace(trace)
frames = [f["frame"] for f in t]
out["frames"] = [frames[0], frames[-1], len(frames)]
out["preload"] = [e for e in t.header.shim_env if e.startswith("LD_PRELOAD=")]
print(json.dumps(out))
"""


def test_pip_installs_offline_and_the_package_drives_a_game():
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "deps.sh"),
                        "python3-pip", "python3-venv", "python3-setuptools",
                        "python3-wheel"], capture_output=True, text=True)
    check(r.returncode == 0, "deps: " + r.stderr[-2000:])
    with tempfile.TemporaryDirectory(prefix="gh-pip-") as tmp:
        venv = os.path.join(tmp, "venv")
        r = subprocess.run(["/usr/bin/python3", "-m", "venv",
                            "--system-site-packages", venv],
                           capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, "venv: " + r.stderr[-2000:])
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PIP_INDEX_URL", "PIP_FIND_LINKS")}
        env["PIP_NO_INPUT"] = "1"
        r = subprocess.run([os.path.join(venv, "bin", "pip"), "install",
                            "--no-build-isolation", "--no-index",
                            "--no-cache-dir", ROOT], capture_output=True,
                           text=True, timeout=600, env=env, cwd=tmp)
        check(r.returncode == 0, "pip install: " + r.stdout[-2000:] +
              r.stderr[-2000:])
        site = subprocess.run(
            [os.path.join(venv, "bin", "python"), "-c",
             "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, env=env).stdout.strip()
        pkg = os.path.join(site, "gamehook")
        for f in ("__init__.py", "client.py", "trace.py", "control_pb2.py",
                  "trace_pb2.py", "libhook.so"):
            check(os.path.isfile(os.path.join(pkg, f)),
                  "the installed package lacks %s: %s" % (
                      f, sorted(os.listdir(pkg)) if os.path.isdir(pkg) else None))
        trace = os.path.join(tmp, "run.trace")
        r = subprocess.run([os.path.join(venv, "bin", "python"), "-c", SCRIPT,
                            DEMO, LAYOUT, trace], capture_output=True,
                           text=True, timeout=300, env=env, cwd=tmp)
        check(r.returncode == 0, "the installed package: " + r.stderr[-3000:])
        out = json.loads(r.stdout.strip().splitlines()[-1])
        check(out["file"] == os.path.join(pkg, "__init__.py"),
              "imported from %s, not the venv" % out["file"])
        check(out["lib"] == os.path.join(pkg, "libhook.so") and
              out["generated"] == pkg, "shim %s, generated modules in %s" % (
                  out["lib"], out["generated"]))
        check(out["x"][1] == out["x"][0] + 1, "the key moved the hero: %r"
              % out["x"])
        check(out["frames"][0] == 0 and out["frames"][1] >= 23 and
              out["frames"][2] == out["frames"][1] + 1,
              "the trace read back: %r" % out["frames"])
        check(out["preload"] == ["LD_PRELOAD=" + os.path.join(pkg, "libhook.so")],
              "the game ran under %r" % out["preload"])
        # gamehookd comes as the venv's script, on the installed package.
        r = subprocess.run([os.path.join(venv, "bin", "gamehookd"), "--help"],
                           capture_output=True, text=True, timeout=120,
                           env=env, cwd=tmp)
        check(r.returncode == 0 and "dm_env_rpc" in r.stdout and
              os.path.isfile(os.path.join(pkg, "dm_env_rpc_pb2.py")),
              "gamehookd from pip: %d %s" % (r.returncode, r.stderr[-1000:]))
