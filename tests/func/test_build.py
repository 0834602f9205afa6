"""The build as a new user meets it, on a clean copy of the tree: `make
install PREFIX=...` builds only what it ships and installs exactly that;
plain `make` then builds every program the README promises (the shim,
hookctl, dumper, the Python protocol module, the demo game and its stripped
twin, the graphical demo and its twin) and no test or bench program; `make check-programs`, which .ci/run
uses, passes there and fails, naming the program, when one is missing."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
from gh import ROOT, check  # noqa: E402

PROGRAMS = ["libhook.so", "hookctl", "dumper", "python/control_pb2.py",
            "python/trace_pb2.py", "demo-game", "demo-game.stripped",
            "demo-gfx", "demo-gfx.stripped"]
# gamehookd: the program, its generated modules, its schemas for clients.
PROGRAMS += ["gamehookd", "python/dm_env_rpc_pb2.py",
             "python/gamehook_rpc_pb2.py"]
# The Python package ships whole: its sources and its generated modules.
SHIPPED = ["bin/hookctl", "bin/dumper", "lib/gamehook/libhook.so",
           "lib/gamehook/python/gamehook/control_pb2.py",
           "lib/gamehook/python/gamehook/trace_pb2.py"] + [
    "lib/gamehook/python/gamehook/" + f
    for f in os.listdir(os.path.join(ROOT, "python", "gamehook"))
    if f.endswith(".py")]
SHIPPED += ["bin/gamehookd", "lib/gamehook/python/gamehook/dm_env_rpc_pb2.py",
            "lib/gamehook/python/gamehook/gamehook_rpc_pb2.py",
            "share/gamehook/dm_env_rpc.proto",
            "share/gamehook/gamehook_rpc.proto"]


def _clean_copy(dest):
    """The tracked and new (not ignored) files of the checkout, as a clone
    would have them plus work not yet committed."""
    r = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached",
                        "--others", "--exclude-standard"],
                       capture_output=True, check=True)
    for rel in r.stdout.decode().split("\0"):
        if not rel or rel.startswith("build/"):
            continue
        src = os.path.join(ROOT, rel)
        if not os.path.exists(src):
            continue       # deleted in the work tree, not yet committed
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))


def _make(tree, *args):
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    return subprocess.run(["make", "-C", tree, "-j2"] + list(args),
                          capture_output=True, text=True, env=env, timeout=900)


def _files(top):
    out = set()
    for d, _, fs in os.walk(top):
        for f in fs:
            out.add(os.path.relpath(os.path.join(d, f), top))
    return out


def test_make_builds_the_programs_and_install_ships_them():
    with tempfile.TemporaryDirectory(prefix="gh-build-") as tmp:
        tree = os.path.join(tmp, "src")
        _clean_copy(tree)
        check(not os.path.exists(os.path.join(tree, "build")), "build/ was copied")
        prefix = os.path.join(tmp, "prefix")

        r = _make(tree, "install", "PREFIX=" + prefix)
        check(r.returncode == 0, "make install failed:\n" + r.stderr[-3000:])
        got = {p for p in _files(prefix) if not p.endswith(".pyc")}
        check(got == set(SHIPPED), "installed %s, expected %s" % (
            sorted(got), sorted(SHIPPED)))
        # The installed package imports on its own and finds its shim.
        r = subprocess.run(["/usr/bin/python3", "-c", "import sys; sys.path.insert"
                            "(0, sys.argv[1]); import gamehook; "
                            "print(gamehook.find_lib())",
                            os.path.join(prefix, "lib", "gamehook", "python")],
                           capture_output=True, text=True, cwd=tmp)
        check(r.returncode == 0 and r.stdout.strip() == os.path.join(
            prefix, "lib", "gamehook", "libhook.so"),
              "the installed package: %r %r" % (r.stdout, r.stderr[-2000:]))
        b = os.path.join(tree, "build")
        for extra in ("demo-game", "tests", "bench-step", "bench-state"):
            check(not os.path.exists(os.path.join(b, extra)),
                  "make install built %s, which it does not ship" % extra)

        r = _make(tree)
        check(r.returncode == 0, "make failed:\n" + r.stderr[-3000:])
        for p in PROGRAMS:
            check(os.path.isfile(os.path.join(b, p)), "make did not build build/%s" % p)
        for extra in ("tests", "bench-step", "bench-state", "bench-reset",
                      "demo-game.debug"):
            check(not os.path.exists(os.path.join(b, extra)),
                  "plain make built %s (tests and benches build with make test "
                  "and make bench)" % extra)
        r = _make(tree, "check-programs")
        check(r.returncode == 0, "check-programs failed on a full build: " + r.stderr)

        # The check can fail: a program gone is named.
        os.unlink(os.path.join(b, "dumper"))
        r = _make(tree, "check-programs")
        check(r.returncode != 0 and "build/dumper" in r.stderr,
              "check-programs missed a missing dumper: %r" % r.stderr)
