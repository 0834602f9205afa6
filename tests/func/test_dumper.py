"""dumper reads traces: on a golden trace of the demo game, `info`, `cat`,
`cat --delta` and `verify` print exactly the committed outputs, and the
deltas replayed rebuild every full state; damaged copies (truncated, a bit
flipped in a payload, a bit flipped in a length, garbage between records)
print the committed `verify` reports and damage messages, exit 1, and lose
only frames up to the next keyframe, every other line equal to the golden
one; `record` gives payloads the official zstd and protoc decode; a live
pipe from the shim (HOOK_TRACE=fd:N) shows each frame while the game still
runs; `npy` writes arrays numpy loads, equal to `cat`'s values, from a file
or standard input; `--from/--to` slice the output (seeking through
keyframes on a file: damage before the keyframe is never read); and bad
input and usage fail clearly.

`python3 tests/func/test_dumper.py --regen` records a new golden trace and
rewrites every expected output (check the diff before committing)."""
import json
import os
import queue
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
from gh import BUILD, DEMO, LIB, ROOT, Conn, Game, check, wait_until  # noqa: E402

DUMPER = os.path.join(BUILD, "dumper")
GOLDEN = os.path.join(ROOT, "tests", "golden")
TRACE = os.path.join(GOLDEN, "demo.trace")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
PROTO = os.path.join(ROOT, "schema", "trace.proto")
KEYFRAME = 50


def dumper(*args, input=None, timeout=60):
    """Run dumper; returns the CompletedProcess (bytes)."""
    return subprocess.run([DUMPER] + list(args), input=input,
                          capture_output=True, timeout=timeout)


def golden(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def same(got, name):
    """GOT (bytes) equals the golden file NAME, or fail at the first
    differing line."""
    want = golden(name)
    if got == want:
        return
    gl, wl = got.splitlines(), want.splitlines()
    for i, (a, b) in enumerate(zip(gl, wl)):
        if a != b:
            check(False, "%s line %d:\n got  %r\n want %r" % (
                name, i + 1, a[:300], b[:300]))
    check(False, "%s: %d lines, expected %d" % (name, len(gl), len(wl)))


# ---------------------------------------------------------------- envelopes

def records(data):
    """The envelopes of a good trace: (offset, kind, flags, frame, length)."""
    out, o = [], 0
    while o < len(data):
        check(data[o:o + 4] == b"GHR1", "no magic at %d" % o)
        kind, flags = data[o + 4], data[o + 5]
        frame, = struct.unpack("<q", data[o + 8:o + 16])
        ln, = struct.unpack("<I", data[o + 16:o + 20])
        out.append((o, kind, flags, frame, ln))
        o += 24 + ln
    return out


def frame_record(data, frame):
    for r in records(data):
        if r[1] == 2 and r[3] == frame:
            return r
    raise AssertionError("no frame %d" % frame)


def next_keyframe(data, frame):
    return min(r[3] for r in records(data) if r[1] == 2 and r[2] & 1 and
               r[3] > frame)


# Each damaged copy: how it is made from the golden bytes, and the frames
# whose lines it loses.
def _truncated(d):
    o, _, _, _, ln = records(d)[-1]
    return d[:o + 24 + ln // 2]


def _payload_bit(d):
    o, _, flags, _, ln = frame_record(d, 75)
    check(not flags & 1, "frame 75 is a delta")
    b = bytearray(d)
    b[o + 24 + ln // 2] ^= 0x10
    return bytes(b)


def _length_bit(d):
    o = frame_record(d, 120)[0]
    b = bytearray(d)
    b[o + 18] ^= 0x01       # the length grows by 64 KiB, past the end
    return bytes(b)


def _garbage(d):
    o = frame_record(d, 30)[0]
    junk = bytes((i * 37 + 11) & 0xff for i in range(100))
    return d[:o] + junk + d[o:]


def _lost_truncated(d):
    return {records(d)[-1][3]}


def _lost_from(frame):
    # Frames from FRAME (its record is gone) to the next keyframe: no more.
    return lambda d: set(range(frame, next_keyframe(d, frame)))


def _lost_garbage(d):
    # No frame's record is touched. The reader may still drop its state at
    # the damage: then frames up to the next keyframe, never more.
    return set(range(30, next_keyframe(d, 30)))


DAMAGES = {
    "truncated": (_truncated, _lost_truncated, True),
    "payload-bit": (_payload_bit, _lost_from(75), True),
    "length-bit": (_length_bit, _lost_from(120), True),
    "garbage": (_garbage, _lost_garbage, False),
}


def damaged_copy(kind):
    make = DAMAGES[kind][0]
    d = tempfile.mkdtemp(prefix="gh-dumper-")
    path = os.path.join(d, "demo-%s.trace" % kind)
    with open(path, "wb") as f:
        f.write(make(golden("demo.trace")))
    return d, path


def frames_of(jsonl):
    return [json.loads(l)["frame"] for l in jsonl.splitlines()]


# ---------------------------------------------------------------- golden

def test_info_golden():
    r = dumper("info", TRACE)
    check(r.returncode == 0 and r.stderr == b"", r)
    same(r.stdout, "demo.info")
    r = dumper("info", TRACE, "--json")
    check(r.returncode == 0, r)
    j = json.loads(r.stdout)
    text = golden("demo.info").decode()
    check("frames:             %d\n" % j["frames"] in text, j)
    check(j["frames"] == 151 and j["keyframes"] == 4 and j["first_frame"] == 0
          and j["last_frame"] == 150 and j["damaged"] == 0 and
          j["lost_frames"] == 0 and j["keyframe_interval"] == KEYFRAME, j)
    check(j["bytes"] == os.path.getsize(TRACE), "bytes on disk %r" % j["bytes"])
    ent = [f for f in j["fields"] if f["name"] == "entities"]
    check(len(j["fields"]) == 7 and ent[0]["count_field"] == "entity_count"
          and ent[0]["count"] == 64 and ent[0]["type"] == "Entity", j["fields"])


def test_cat_golden():
    r = dumper("cat", TRACE)
    check(r.returncode == 0 and r.stderr == b"", r)
    same(r.stdout, "demo.cat.jsonl")
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    check([l["frame"] for l in lines] == list(range(151)), "every frame")
    check([l["frame"] for l in lines if l["keyframe"]] == [0, 50, 100, 150],
          "keyframes")
    sets = [(l["frame"], i) for l in lines for i in l["inputs"]]
    check(any(i["kind"] == "set" and i["name"] == "hero.gold" and
              i["value"] == "777" for _, i in sets), "the set input: %r" % sets)
    f = [l for l in lines if any(i["kind"] == "set" for i in l["inputs"])][0]
    check(f["state"]["hero"]["gold"] == 777, "set applied at its frame: %r" %
          f["state"]["hero"])


def _apply(state, path, value):
    """Set PATH ("entities[3].hp") in the JSON state."""
    parts = []
    for p in path.split("."):
        if "[" in p:
            name, idx = p[:-1].split("[")
            parts += [name, int(idx)]
        else:
            parts.append(p)
    cur = state
    for k, nxt in zip(parts, parts[1:]):
        if isinstance(k, int):
            while len(cur) <= k:
                # A new element: its bytes were zero past the count.
                cur.append(json.loads(json.dumps(cur[0]), object_hook=lambda o:
                           {a: 0 if isinstance(b, (int, float)) else b
                            for a, b in o.items()}))
        cur = cur[k]
    cur[parts[-1]] = value


def test_delta_golden_replays_to_the_states():
    r = dumper("cat", TRACE, "--delta")
    check(r.returncode == 0 and r.stderr == b"", r)
    same(r.stdout, "demo.delta.jsonl")
    full = [json.loads(l) for l in golden("demo.cat.jsonl").splitlines()]
    delta = [json.loads(l) for l in r.stdout.splitlines()]
    check(len(full) == len(delta), "as many lines")
    check("state" in delta[0] and all("changed" in d for d in delta[1:]),
          "the first line is whole, the rest deltas")
    state = delta[0]["state"]
    for f, d in zip(full, delta):
        check(f["frame"] == d["frame"] and f["inputs"] == d["inputs"], d)
        for path, value in d.get("changed", {}).items():
            check("+" not in path, "a clean path: %r" % path)
            _apply(state, path, value)
        del state["entities"][state["entity_count"]:]
        check(state == f["state"], "frame %d: replayed %r\nexpected %r" % (
            f["frame"], state, f["state"]))
    check(sum(len(d["changed"]) for d in delta[1:]) > 100, "things change")


def test_verify_golden():
    r = dumper("verify", TRACE)
    check(r.returncode == 0 and r.stderr == b"", r)
    same(r.stdout, "demo.verify")
    check(r.stdout == b"152 records, 151 frames, 4 keyframes, 0 damaged, "
          b"0 frames lost\n", r.stdout)


# ---------------------------------------------------------------- damage

def _damage(kind):
    d, path = damaged_copy(kind)
    try:
        data = open(path, "rb").read()
        r = dumper("verify", path)
        check(r.returncode == 1, "verify exits 1: %r" % r)
        same(r.stdout, "demo-%s.verify" % kind)
        r = dumper("cat", path)
        check(r.returncode == 1, "cat exits 1, not by a signal: %r" %
              r.returncode)
        same(r.stderr.replace(path.encode(), b"TRACE"),
             "demo-%s.cat.stderr" % kind)
        want = {json.loads(l)["frame"]: l
                for l in golden("demo.cat.jsonl").splitlines()}
        lost = DAMAGES[kind][1](golden("demo.trace"))
        got = r.stdout.splitlines()
        for l in got:
            f = json.loads(l)["frame"]
            check(want.get(f) == l, "frame %d differs from the golden" % f)
        missing = set(want) - set(frames_of(r.stdout))
        if DAMAGES[kind][2]:
            check(missing == lost, "lost %r, expected %r" % (
                sorted(missing), sorted(lost)))
        else:
            check(missing <= lost, "lost %r, at most %r" % (
                sorted(missing), sorted(lost)))
        check(b"dumper: " + path.encode() + b": offset " in r.stderr,
              r.stderr)
        # The same from a pipe.
        p = dumper("cat", "-", input=data)
        check(p.returncode == 1 and p.stdout == r.stdout, "from a pipe")
        check(p.stderr == r.stderr.replace(path.encode(), b"-"), p.stderr)
    finally:
        shutil.rmtree(d)


def test_damage_truncated():
    _damage("truncated")


def test_damage_payload_bit():
    _damage("payload-bit")


def test_damage_length_bit():
    _damage("length-bit")


def test_damage_garbage():
    _damage("garbage")


# ---------------------------------------------------------------- record

def _protoc(payload, message):
    z = subprocess.run(["zstd", "-dc"], input=payload, capture_output=True)
    check(z.returncode == 0, "zstd: %r" % z.stderr)
    p = subprocess.run(["protoc", "--decode=gamehook.trace." + message,
                        "-I", os.path.dirname(PROTO), PROTO], input=z.stdout,
                       capture_output=True)
    check(p.returncode == 0, "protoc: %r" % p.stderr)
    return p.stdout.decode()


def test_record_decodes_with_zstd_and_protoc():
    data = golden("demo.trace")
    for frame in (42, 50):
        r = dumper("record", TRACE, str(frame))
        check(r.returncode == 0, r)
        o, _, flags, _, ln = frame_record(data, frame)
        check(r.stdout == data[o + 24:o + 24 + ln], "the payload's bytes")
        text = _protoc(r.stdout, "Frame")
        check(text.startswith("frame: %d\n" % frame), text[:200])
        check(("keyframe: true" in text) == (frame % KEYFRAME == 0), text[:300])
    r = dumper("record", TRACE, "header")
    check(r.returncode == 0, r)
    text = _protoc(r.stdout, "Header")
    check("format_version: 1\n" in text and "keyframe_interval: 50\n" in text,
          text[:300])
    r = dumper("record", "-", "7", input=data)
    check(r.returncode == 0 and _protoc(r.stdout, "Frame").startswith(
        "frame: 7\n"), "from a pipe")
    r = dumper("record", TRACE, "9999")
    check(r.returncode == 1 and r.stdout == b"" and b"no frame 9999" in
          r.stderr, r)


# ---------------------------------------------------------------- live

def _drain(fd):
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def test_live_pipe_prints_frames_while_the_game_runs():
    d = tempfile.mkdtemp(prefix="gh-dumper-")
    sock = os.path.join(d, "game.sock")
    rfd, wfd = os.pipe()
    cat = subprocess.Popen([DUMPER, "cat", "-"], stdin=rfd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(rfd)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HOOK_") and k != "LD_PRELOAD"}
    env.update(TERM="xterm", LD_PRELOAD=LIB, HOOK_SOCKET=sock,
               HOOK_MODE="lockstep", HOOK_LAYOUT=LAYOUT, HOOK_KEYFRAME="20",
               HOOK_TRACE="fd:%d" % wfd, HOOK_LOG=os.path.join(d, "log"))
    master, slave = os.openpty()
    game = subprocess.Popen([DEMO], env=env, stdin=slave, stdout=slave,
                            stderr=slave, pass_fds=(wfd,),
                            start_new_session=True)
    os.close(slave)
    os.close(wfd)
    drain = threading.Thread(target=_drain, args=(master,), daemon=True)
    drain.start()
    lines = queue.Queue()

    def reader():
        for l in cat.stdout:
            lines.put(l)
        lines.put(None)
    threading.Thread(target=reader, daemon=True).start()

    def upto(frame):
        """Lines until frame FRAME's, within a deadline."""
        got = []
        end = time.monotonic() + 10
        while True:
            try:
                l = lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                check(False, "no line for frame %d (got %r)" % (
                    frame, frames_of(b"".join(got))))
            if l is None:
                check(False, "dumper ended early: %r" % cat.stderr.read())
            got.append(l)
            if json.loads(l)["frame"] == frame:
                return got
    try:
        wait_until(lambda: os.path.exists(sock), what="the socket")
        c = Conn(sock)
        seen = []
        at = 0
        for n in (5, 1, 30, 7):
            c.ok("step %d" % n)
            at += n
            got = upto(at)
            check(game.poll() is None, "the game still runs")
            seen += frames_of(b"".join(got))
            check(lines.empty(), "nothing past frame %d yet" % at)
        check(seen == list(range(at + 1)), "frames %r" % seen)
        c.ok("trace stop")
        if cat.wait(timeout=10) != 0:
            check(False, "dumper ends cleanly at the end of the stream: "
                  "%r" % cat.stderr.read())
        c.close()
    finally:
        if game.poll() is None:
            os.killpg(game.pid, 9)
            game.wait()
        if cat.poll() is None:
            cat.kill()
            cat.wait()
        drain.join(timeout=10)   # before its descriptor's number is reused
        if not drain.is_alive():
            os.close(master)
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- npy

def test_npy_equals_cat():
    import numpy
    full = [json.loads(l) for l in golden("demo.cat.jsonl").splitlines()]
    n = len(full)
    d = tempfile.mkdtemp(prefix="gh-dumper-")
    try:
        out = os.path.join(d, "a")
        r = dumper("npy", TRACE, "-o", out)
        check(r.returncode == 0 and r.stderr == b"", r)
        files = sorted(os.listdir(out))
        check("hero.hp.npy" in files and "entities.x.npy" in files and
              "first_message.text.npy" in files and "frame.npy" in files, files)
        arrays = {}
        for name in files:
            a = numpy.load(os.path.join(out, name))
            check(a.shape[0] == n, "%s: shape %r" % (name, a.shape))
            arrays[name[:-4]] = a
        check(len(files) == 3 + 10 + 1 + 17 + 1 + 2 * 5 + 9, "one per leaf")
        check(arrays["frame"].dtype == numpy.dtype("<i8") and
              list(arrays["frame"]) == [f["frame"] for f in full], "frames")
        check(list(arrays["vtime_ns"]) == [f["vtime_ns"] for f in full],
              "vtime")
        check(arrays["entities.x"].shape == (n, 64) and
              arrays["entities.x"].dtype == numpy.dtype("<i4"), "entities.x")
        check(arrays["first_message.text"].dtype == numpy.dtype("|S56"),
              arrays["first_message.text"].dtype)
        check(arrays["unreadable"].shape == (n, 7) and
              arrays["unreadable"].dtype == numpy.dtype("|b1"), "unreadable")
        fields = list(full[0]["state"])
        for i, f in enumerate(full):
            s = f["state"]
            check(arrays["hero.hp"][i] == s["hero"]["hp"], "hero.hp")
            check(arrays["game.regen_seen"][i] == s["game"]["regen_seen"],
                  "u8")
            k = s["entity_count"]
            check(list(arrays["entities.x"][i][:k]) ==
                  [e["x"] for e in s["entities"]], "entities.x, frame %d" % i)
            check(not arrays["entities.x"][i][k:].any(), "zero past the count")
            msg = s["first_message"]
            text = arrays["first_message.text"][i].decode("latin-1")
            check(text == (msg["text"] if msg else ""), "text, frame %d" % i)
            for j, name in enumerate(fields):
                check(bool(arrays["unreadable"][i][j]) == (s[name] is None),
                      "unreadable %s" % name)
        # From standard input: the same files.
        out2 = os.path.join(d, "b")
        r = dumper("npy", "-", "-o", out2, input=golden("demo.trace"))
        check(r.returncode == 0, r)
        for name in files:
            check(open(os.path.join(out, name), "rb").read() ==
                  open(os.path.join(out2, name), "rb").read(), name)
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- from/to

def test_from_to_slices_and_seeks():
    full = golden("demo.cat.jsonl").splitlines(keepends=True)
    data = golden("demo.trace")
    for a, b in ((75, 120), (100, 100), (0, 10), (49, 51), (140, 999),
                 (-5, 3)):
        want = b"".join(l for l in full if a <= json.loads(l)["frame"] <= b)
        r = dumper("cat", TRACE, "--from", str(a), "--to", str(b))
        check(r.returncode == 0 and r.stdout == want, "file %d..%d: %r" % (
            a, b, r.stdout[:200]))
        r = dumper("cat", "-", "--from", str(a), "--to", str(b), input=data)
        check(r.returncode == 0 and r.stdout == want, "pipe %d..%d" % (a, b))
    r = dumper("cat", TRACE, "--from", "120")
    check(r.stdout == b"".join(full[120:]), "--from alone")
    r = dumper("cat", TRACE, "--to", "3", "--delta")
    check(frames_of(r.stdout) == [0, 1, 2, 3], "--to with --delta")
    r = dumper("cat", TRACE, "--from", "75", "--delta")
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    check(lines[0]["frame"] == 75 and "state" in lines[0] and
          all("changed" in l for l in lines[1:]), "--delta starts whole")
    # Damage before the keyframe at or before --from is never read on a
    # file, while a pipe reads through it.
    d, path = damaged_copy("payload-bit")
    try:
        want = b"".join(full[100:131])
        r = dumper("cat", path, "--from", "110", "--to", "130")
        check(r.returncode == 0 and r.stderr == b"" and
              r.stdout == b"".join(full[110:131]), "seeks past it: %r" %
              r.stderr)
        r = dumper("cat", "-", "--from", "100", "--to", "130",
                   input=open(path, "rb").read())
        check(r.returncode == 1 and r.stdout == want and b"offset" in
              r.stderr, "a pipe sees it")
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- errors

def test_errors_and_usage():
    d = tempfile.mkdtemp(prefix="gh-dumper-")
    try:
        missing = os.path.join(d, "x.trace")
        for cmd in ("info", "cat", "verify", "npy"):
            args = [cmd, missing] + (["-o", d] if cmd == "npy" else [])
            r = dumper(*args)
            check(r.returncode == 2 and r.stdout == b"" and r.stderr ==
                  ("dumper: %s: No such file or directory\n" % missing)
                  .encode(), r)
        junk = os.path.join(d, "junk")
        with open(junk, "wb") as f:
            f.write(bytes((i * 131 + 7) % 251 for i in range(5000)))
        for cmd in ("info", "cat"):
            r = dumper(cmd, junk)
            check(r.returncode == 1 and b"no trace header" in r.stderr and
                  r.stdout == b"", r)
        r = dumper("verify", junk)
        check(r.returncode == 1 and b"no trace header" in r.stdout, r)
        r = dumper("cat", "-", input=b"")
        check(r.returncode == 1 and b"dumper: -: empty: no trace header" in
              r.stderr, r)
        r = dumper("cat", TRACE, "--bogus")
        check(r.returncode == 2 and b"unknown option '--bogus'" in r.stderr, r)
        r = dumper("cat", TRACE, "--from", "x")
        check(r.returncode == 2 and b"frame number" in r.stderr, r)
        r = dumper("npy", TRACE)
        check(r.returncode == 2 and b"-o DIR" in r.stderr, r)
        r = dumper("record", TRACE, "five")
        check(r.returncode == 2, r)
        r = dumper()
        check(r.returncode == 2 and b"usage" in r.stderr, r)
        r = dumper("--help")
        check(r.returncode == 0, r)
        for cmd in (b"info", b"cat", b"npy", b"verify", b"record", b"replay"):
            check(b"\n  " + cmd + b" " in r.stdout, "help lacks " + str(cmd))
        # The usage and an unknown command's message name the same commands
        # (both come from dumper's command table).
        helped = re.findall(rb"^  ([a-z]+) ", r.stdout, re.M)
        r = dumper("frobnicate", TRACE)
        m = re.search(rb"unknown command 'frobnicate' \(commands: ([a-z, ]+)\)",
                      r.stderr)
        check(r.returncode == 2 and m, r)
        check(m.group(1).split(b", ") == helped, "usage lists %r, the error %r" % (
            helped, m.group(1)))
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- regen

def regen():
    """Record the golden trace from the demo game and write every expected
    output from the dumper in build/."""
    tmp = TRACE + ".new"
    with Game([DEMO], lockstep=True, env={
            "HOOK_LAYOUT": os.path.relpath(LAYOUT, ROOT),
            "HOOK_KEYFRAME": str(KEYFRAME), "HOOK_TRACE": tmp}) as g:
        c = g.connect()
        c.ok("step 60")
        c.ok("set hero.gold 777")
        c.ok("step 40")
        c.ok("key right")
        c.ok("key right")
        c.ok("key space")
        c.ok("step 50")
        c.ok("trace stop")
    os.rename(tmp, TRACE)

    def write(name, data):
        with open(os.path.join(GOLDEN, name), "wb") as f:
            f.write(data)
    write("demo.info", dumper("info", TRACE).stdout)
    write("demo.cat.jsonl", dumper("cat", TRACE).stdout)
    write("demo.delta.jsonl", dumper("cat", TRACE, "--delta").stdout)
    write("demo.verify", dumper("verify", TRACE).stdout)
    for kind in DAMAGES:
        d, path = damaged_copy(kind)
        write("demo-%s.verify" % kind, dumper("verify", path).stdout)
        write("demo-%s.cat.stderr" % kind, dumper("cat", path).stderr
              .replace(path.encode(), b"TRACE"))
        shutil.rmtree(d)


if __name__ == "__main__" and sys.argv[1:] == ["--regen"]:
    os.chdir(ROOT)
    regen()
