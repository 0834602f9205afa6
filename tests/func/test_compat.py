"""Compatibility across versions, with a field added on each side
(schema/*.proto: fields are only ever added; readers ignore what they do
not know). A newer client, the Python package with a control schema that
adds a field to Request and to Step and sends them, drives today's shim:
the shim answers every request as before. A newer shim, built in a copy
of the tree from schemas that add fields to Hello, Observation, Header and
Frame and code that fills them, is driven by today's Python client, and
the trace it records is read by today's dumper and read_trace exactly as
they read today's (the new fields are shown to be on the wire by the newer
schema's own modules). A newer reader (the newer schema's dumper, and
read_trace with the newer trace_pb2) reads today's golden trace as today's
readers do."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
from gh import BUILD, DEMO, LIB, ROOT, check  # noqa: E402

import gamehook  # noqa: E402

GOLDEN = os.path.join(ROOT, "tests", "golden", "demo.trace")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
DUMPER = os.path.join(BUILD, "dumper")

# Each added field: the schema, the message, the line added to it.
ADDED = {
    "control.proto": {
        "Request": "optional string added_in_test = 100;",
        "Step": "optional uint32 added_in_test = 100;",
        "Hello": "optional string added_in_test = 100;",
        "Observation": "optional uint64 added_in_test = 100;"},
    "trace.proto": {
        "Header": "optional string added_in_test = 100;",
        "Frame": "optional uint32 added_in_test = 100;"},
}
# What the newer shim's code does with them: a line inserted after an
# anchor of today's code (the test fails, saying so, when one is gone).
FILLED = [
    ("shim/ctl-binary.c", "h.has_state_size = 1;",
     'h.added_in_test = (char *)"from a newer shim";'),
    ("shim/ctl-binary.c", "o.json = (char *)json;",
     "o.has_added_in_test = 1; o.added_in_test = 4242;"),
    ("common/trace.c", "m.has_pid = 1;",
     'm.added_in_test = (char *)"a newer header";'),
    ("common/trace.c", "f->has_keyframe = 1;",
     "f->has_added_in_test = 1; f->added_in_test = 77;"),
]


def newer_schema(src_dir, dst_dir):
    """Today's schemas from SRC_DIR with ADDED's fields, into DST_DIR."""
    os.makedirs(dst_dir, exist_ok=True)
    for name, msgs in ADDED.items():
        with open(os.path.join(src_dir, name)) as f:
            text = f.read()
        for msg, line in msgs.items():
            text, n = re.subn(r"(\nmessage %s \{\n)" % msg,
                              lambda m: m.group(1) + "  " + line + "\n", text)
            check(n == 1, "%s: no message %s" % (name, msg))
        with open(os.path.join(dst_dir, name), "w") as f:
            f.write(text)


def protoc_python(schema_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name in ADDED:
        subprocess.run(["protoc", "--proto_path=" + schema_dir,
                        "--python_out=" + out_dir, name], check=True)


def package_with(gen_dir, dest):
    """A copy of the gamehook package whose generated modules are those in
    GEN_DIR (an installed package's layout: the modules beside it)."""
    pkg = os.path.join(dest, "gamehook")
    os.makedirs(pkg)
    src = os.path.join(ROOT, "python", "gamehook")
    for f in os.listdir(src):
        if f.endswith(".py"):
            shutil.copy(os.path.join(src, f), pkg)
    for f in os.listdir(gen_dir):
        if f.endswith("_pb2.py"):
            shutil.copy(os.path.join(gen_dir, f), pkg)
    return dest


def run_py(path_dir, code, *args):
    r = subprocess.run(["/usr/bin/python3", "-c", code, path_dir] + list(args),
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "python: " + r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


NEWER_CLIENT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import gamehook
from gamehook._proto import control_pb2 as pb
assert "added_in_test" in pb.Request.DESCRIPTOR.fields_by_name
out = {"module": pb.__file__}
with gamehook.Game.launch([sys.argv[2]], layout=sys.argv[3], seed=4,
                          lib=sys.argv[4]) as g:
    r = g._request(step=pb.Step(frames=5, observe=["hero.x"], added_in_test=9),
                   added_in_test="from a newer client")
    out["step"] = [r.ok, r.observation.frame, json.loads(r.observation.json)]
    r = g._request(command="get hero.hp", added_in_test="again")
    out["get"] = [r.ok, r.text]
    out["plain"] = g.step(2, observe=["game.tick"]).frame
print(json.dumps(out))
"""


def test_newer_client_older_shim():
    with tempfile.TemporaryDirectory(prefix="gh-compat-") as tmp:
        newer_schema(os.path.join(ROOT, "schema"), os.path.join(tmp, "schema"))
        protoc_python(os.path.join(tmp, "schema"), os.path.join(tmp, "gen"))
        pkgdir = package_with(os.path.join(tmp, "gen"), os.path.join(tmp, "py"))
        out = run_py(pkgdir, NEWER_CLIENT, DEMO, LAYOUT, LIB)
        check(out["module"].startswith(pkgdir), "the newer module was not the "
              "one loaded: %s" % out["module"])
        check(out["step"][0] and out["step"][1] == 5 and
              isinstance(out["step"][2], int), "step: %r" % out["step"])
        check(out["get"] == [True, "100"], "get: %r" % out["get"])
        check(out["plain"] == 7, "a plain step after: %r" % out["plain"])


def _copy_tree(dest):
    r = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached",
                        "--others", "--exclude-standard"],
                       capture_output=True, check=True)
    for rel in r.stdout.decode().split("\0"):
        if not rel or rel.startswith("build/"):
            continue
        src = os.path.join(ROOT, rel)
        if os.path.exists(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel))


def _newer_build(tmp):
    """A copy of the tree with the added fields in its schemas and code
    that fills them; its shim, dumper and Python modules built."""
    tree = os.path.join(tmp, "newer")
    _copy_tree(tree)
    newer_schema(os.path.join(ROOT, "schema"), os.path.join(tree, "schema"))
    for rel, anchor, line in FILLED:
        p = os.path.join(tree, rel)
        with open(p) as f:
            text = f.read()
        check(text.count(anchor) == 1, "%s: the anchor %r is gone: update "
              "FILLED" % (rel, anchor))
        with open(p, "w") as f:
            f.write(text.replace(anchor, anchor + " " + line))
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    r = subprocess.run(["make", "-C", tree, "-j2", "build/libhook.so",
                        "build/dumper", "build/python/control_pb2.py",
                        "build/python/trace_pb2.py"], capture_output=True,
                       text=True, env=env, timeout=1200)
    check(r.returncode == 0, "the newer build: " + r.stderr[-3000:])
    return os.path.join(tree, "build")


OLDER_CLIENT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import gamehook
from gamehook._proto import control_pb2 as pb
assert "added_in_test" not in pb.Hello.DESCRIPTOR.fields_by_name
out = {}
with gamehook.Game.launch([sys.argv[2]], layout=sys.argv[3], seed=4,
                          lib=sys.argv[4], trace=sys.argv[5]) as g:
    out["hello"] = [g.protocol, g.state_size, g.frame]
    o = g.step(10, observe=["hero.hp", "game.tick"], raw=True)
    out["step"] = [o.frame, o.values, len(o.state)]
    g.key("right")
    out["x"] = g.step(2, observe=["hero.x"])["hero.x"]
    out["stop"] = g.command("trace stop")
print(json.dumps(out))
"""

# The newer shim's replies, read raw with the newer schema's module.
RAW_HELLO = r"""
import json, socket, struct, sys, subprocess, os, threading, time
sys.path.insert(0, sys.argv[1])
import control_pb2 as pb
d = sys.argv[5]
sock = os.path.join(d, "s.sock")
env = dict(os.environ, LD_PRELOAD=sys.argv[4], HOOK_SOCKET=sock,
           HOOK_MODE="lockstep", HOOK_LAYOUT=sys.argv[3], TERM="xterm",
           HOOK_LOG=os.path.join(d, "log"))
master, slave = os.openpty()
p = subprocess.Popen([sys.argv[2]], env=env, stdin=slave, stdout=slave,
                     stderr=slave, start_new_session=True)
os.close(slave)
def drain():
    try:
        while os.read(master, 65536):
            pass
    except OSError:
        pass
threading.Thread(target=drain, daemon=True).start()
try:
    for _ in range(2000):
        if os.path.exists(sock):
            break
        time.sleep(0.01)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(sock)
    s.sendall(b"\0GHB" + struct.pack("<I", 1))
    buf = b""
    def msg():
        global buf
        while len(buf) < 4 or len(buf) < 4 + struct.unpack("<I", buf[:4])[0]:
            buf += s.recv(65536)
        n = struct.unpack("<I", buf[:4])[0]
        m, buf = buf[4:4 + n], buf[4 + n:]
        return pb.Response.FromString(m)
    h = msg()
    req = pb.Request(id=1, step=pb.Step(frames=1, observe=["hero.hp"]))
    data = req.SerializeToString()
    s.sendall(struct.pack("<I", len(data)) + data)
    o = msg()
    print(json.dumps([h.hello.added_in_test, o.observation.added_in_test]))
finally:
    p.kill()
    p.wait()
"""


def test_newer_shim_older_client_and_readers_and_newer_readers():
    with tempfile.TemporaryDirectory(prefix="gh-compat-") as tmp:
        nb = _newer_build(tmp)
        newer_lib = os.path.join(nb, "libhook.so")
        trace = os.path.join(tmp, "newer.trace")
        # Today's client drives the newer shim.
        out = run_py(os.path.join(ROOT, "python"), OLDER_CLIENT, DEMO, LAYOUT,
                     newer_lib, trace)
        check(out["hello"][0] == 1 and out["hello"][1] == 2592,
              "hello: %r" % out["hello"])
        check(out["step"][0] == 10 and out["step"][1]["hero.hp"] == 100 and
              out["step"][2] == 2592, "step: %r" % out["step"])
        check('"frames":13' in out["stop"], "trace stop: %r" % out["stop"])
        # The newer shim really sends its fields.
        raw = run_py(os.path.join(nb, "python"), RAW_HELLO, DEMO, LAYOUT,
                     newer_lib, tmp)
        check(raw == ["from a newer shim", 4242], "the newer fields: %r" % raw)
        # Its trace carries its fields, and today's readers read it.
        r = subprocess.run(
            ["/usr/bin/python3", "-c", NEWER_FIELDS, os.path.join(nb, "python"),
             trace], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, r.stderr[-2000:])
        check(json.loads(r.stdout) == ["a newer header", 77],
              "the newer trace's fields: %r" % r.stdout)
        d = subprocess.run([DUMPER, "cat", trace], capture_output=True, timeout=120)
        check(d.returncode == 0 and not d.stderr, "today's dumper: %r" % d.stderr)
        want = [json.loads(l) for l in d.stdout.splitlines()]
        got = list(gamehook.read_trace(trace))
        check(len(want) == 13 and got == want, "read_trace of the newer "
              "trace: %d frames, dumper %d" % (len(got), len(want)))
        check(any(i["name"] == "right" for f in got for i in f["inputs"]),
              "the key is in the trace")
        # The newer dumper reads today's trace as today's does.
        old = subprocess.run([DUMPER, "cat", GOLDEN], capture_output=True)
        new = subprocess.run([os.path.join(nb, "dumper"), "cat", GOLDEN],
                             capture_output=True)
        check(new.returncode == 0 and new.stdout == old.stdout,
              "the newer dumper on today's trace")
        # And so does read_trace with the newer trace_pb2.
        pkgdir = package_with(os.path.join(nb, "python"),
                              os.path.join(tmp, "py"))
        frames = run_py(pkgdir, NEWER_READER, GOLDEN)
        check(frames["module"].startswith(pkgdir), frames["module"])
        check(frames["frames"] == [json.loads(l) for l in old.stdout.splitlines()],
              "read_trace with the newer schema on today's trace")


NEWER_FIELDS = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import trace_pb2 as pb, zstandard, struct
d = open(sys.argv[2], "rb").read()
o, got = 0, {}
while o < len(d):
    n = struct.unpack_from("<I", d, o + 16)[0]
    m = zstandard.ZstdDecompressor().decompress(d[o + 24:o + 24 + n])
    if d[o + 4] == 1:
        got["h"] = pb.Header.FromString(m).added_in_test
    else:
        got.setdefault("f", pb.Frame.FromString(m).added_in_test)
    o += 24 + n
print(json.dumps([got["h"], got["f"]]))
"""

NEWER_READER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import gamehook
from gamehook import trace
assert "added_in_test" in trace._pb.Frame.DESCRIPTOR.fields_by_name
print(json.dumps({"module": trace._pb.__file__,
                  "frames": list(gamehook.read_trace(sys.argv[2]))}))
"""
