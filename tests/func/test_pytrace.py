"""gamehook.read_trace reads traces as dumper does: its frame dicts equal
`dumper cat`'s lines and its columns equal `dumper npy`'s arrays (dtype,
shape and bytes), on the golden demo trace and on a trace this test writes
with every kind of value a layout names (floats with NaN and infinity,
big-endian integers, booleans, Latin-1 and UTF-8 strings, byte blocks,
nested struct arrays, a counted array whose count runs past its max and
below zero, unreadable fields, every input kind, screen rows); from a
path, a file object, a descriptor and standard input; live from a pipe
and from a FIFO while the game runs, each frame as it is recorded; a
damaged trace raises TraceError at dumper's first problem (offset and
why), and with on_damage="skip" gives exactly the frames and problems
dumper gives; what is no trace fails at once, clearly."""
import json
import os
import queue
import random
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
from gh import BUILD, DEMO, LIB, ROOT, Conn, check, wait_until  # noqa: E402

import numpy  # noqa: E402
import xxhash  # noqa: E402
import zstandard  # noqa: E402

import gamehook  # noqa: E402  (gh puts python/ first on the path)
from gamehook import trace as ghtrace  # noqa: E402

DUMPER = os.path.join(BUILD, "dumper")
GOLDEN = os.path.join(ROOT, "tests", "golden", "demo.trace")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
_pb = ghtrace._pb


def dumper(*args, input=None):
    return subprocess.run([DUMPER] + list(args), input=input,
                          capture_output=True, timeout=120)


def cat_lines(path_or_bytes):
    """dumper cat's frames (parsed) and its problems, (offset, why)."""
    if isinstance(path_or_bytes, bytes):
        r = dumper("cat", "-", input=path_or_bytes)
    else:
        r = dumper("cat", path_or_bytes)
    frames = [json.loads(l) for l in r.stdout.splitlines()]
    problems = []
    for l in r.stderr.decode().splitlines():
        _, rest = l.split(": ", 1)              # "dumper: NAME: offset O: WHY"
        rest = rest.split(": ", 1)[1]
        off, why = rest.split(": ", 1)
        problems.append((int(off.split()[1]), why))
    return frames, problems, r.returncode


def same_frames(got, want, what):
    check(len(got) == len(want), "%s: %d frames, dumper %d" % (
        what, len(got), len(want)))
    for a, b in zip(got, want):
        check(a == b, "%s: frame %r differs from dumper's:\n %r\n %r" % (
            what, b.get("frame"), a, b))


def same_columns(cols, directory, what):
    files = {f[:-4] for f in os.listdir(directory) if f.endswith(".npy")}
    check(set(cols) == files, "%s: columns %s, dumper npy %s" % (
        what, sorted(cols), sorted(files)))
    for k in files:
        want = numpy.load(os.path.join(directory, k + ".npy"))
        a = cols[k]
        check(a.dtype == want.dtype and a.shape == want.shape and
              a.tobytes() == want.tobytes(),
              "%s: %s: %s %s, dumper %s %s" % (what, k, a.dtype, a.shape,
                                               want.dtype, want.shape))


# --------------------------------------------------------- a trace written here

RICH_LAYOUT = json.dumps({
    "gamehook_layout": 1,
    "types": {"P": {"size": 24, "members": {
        "f": {"offset": 0, "type": "<f4"},
        "d": {"offset": 8, "type": "<f8"},
        "be": {"offset": 16, "type": ">i4"},
        "ok": {"offset": 20, "type": "|b1"},
        "c": {"offset": 21, "type": "|i1"},
        "u": {"offset": 22, "type": ">u2"}}}},
    "fields": {
        "n": {"offset": 0, "type": "<i2"},
        "ps": {"offset": 8, "type": "P", "count": "n", "max": 3},
        "name": {"offset": 100, "type": "|S8"},
        "blob": {"offset": 200, "type": "|V5"},
        "grid": {"offset": 300, "count": 2, "type": {"size": 12, "members": {
            "v": {"offset": 0, "type": "<u2", "count": 3},
            "w": {"offset": 8, "type": ">u4"}}}},
        "big": {"offset": 400, "type": "<u8"},
        "gone": {"offset": 500, "type": "<i4"}}}, indent=1)


def record(kind, flags, frame, msg):
    z = zstandard.ZstdCompressor(level=1, write_checksum=True,
                                 write_content_size=True)
    if not isinstance(msg, bytes):
        msg = msg.SerializeToString()
    payload = z.compress(msg)
    env = b"GHR1" + bytes([kind, flags, 0, 0]) + struct.pack(
        "<qI", frame, len(payload))
    return env + struct.pack("<I", zlib.crc32(payload, zlib.crc32(env))) + payload


def _varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7f | 0x80])
        n >>= 7
    return out + bytes([n])


def state_hash(s):
    hs = b"".join(struct.pack("<Q", xxhash.xxh3_64_intdigest(s[i:i + 256]))
                  for i in range(0, len(s), 256))
    return xxhash.xxh3_64_intdigest(hs)


def rich_trace():
    """A trace of 40 frames over RICH_LAYOUT, values of every kind."""
    lay = ghtrace.Layout(RICH_LAYOUT)
    rnd = random.Random(3)
    h = _pb.Header(format_version=1, exe="/made/by/test", layout_json=RICH_LAYOUT,
                   layout_source="rich.json", keyframe_interval=4,
                   state_size=lay.size, start_frame=0, cwd="/")
    out = [record(1, 0, 0, h)]
    st = bytearray(lay.size)
    at = {f["name"]: f["off"] for f in lay.fields}
    prev = None
    floats = [0.1, float("nan"), float("inf"), -0.0, 3.4e38, 1e-40, 7.0]
    names = [b"plain", b"\xe9t\xc3\xa9\x01\"\\x", b"\xff\xfe", b"12345678",
             b"\xe2\x82", b""]
    for fr in range(40):
        struct.pack_into("<h", st, at["n"], [-1, 0, 1, 2, 3, 5][fr % 6])
        for i in range(3):
            o = at["ps"] + 24 * i
            struct.pack_into("<f", st, o, floats[(fr + i) % len(floats)])
            struct.pack_into("<d", st, o + 8, rnd.choice([1e300, -2.5, fr / 3]))
            struct.pack_into(">i", st, o + 16, rnd.randint(-2**31, 2**31 - 1))
            st[o + 20] = rnd.choice([0, 1, 7])
            struct.pack_into("b", st, o + 21, rnd.randint(-128, 127))
            struct.pack_into(">H", st, o + 22, rnd.randint(0, 65535))
        nm = names[fr % len(names)]
        st[at["name"]:at["name"] + 8] = nm.ljust(8, b"\0")
        if fr % 3 == 0:
            st[at["blob"]:at["blob"] + 5] = bytes(rnd.randrange(256)
                                                  for _ in range(5))
        for g in range(2):
            for k in range(3):
                struct.pack_into("<H", st, at["grid"] + 12 * g + 2 * k,
                                 rnd.randrange(65536))
            struct.pack_into(">I", st, at["grid"] + 8 + 12 * g,
                             rnd.randrange(2**32))
        struct.pack_into("<Q", st, at["big"], rnd.choice([2**64 - 1, 2**63, fr]))
        struct.pack_into("<i", st, at["gone"], fr)
        if fr % 5 == 1:
            st[at["ps"] + 4] ^= 0xff            # padding inside a struct
        f = _pb.Frame(frame=fr, vtime_ns=fr * 16666667, keyframe=fr % 4 == 0,
                      state_hash=state_hash(bytes(st)))
        if f.keyframe:
            f.full = bytes(st)
        else:
            i, data = 0, b""
            end = 0
            while i < len(st):
                if st[i] == prev[i]:
                    i += 1
                    continue
                j = i
                while j < len(st) and st[j] != prev[j]:
                    j += 1
                f.delta_gaps.append(i - end)
                f.delta_lengths.append(j - i)
                data += bytes(st[i:j])
                end = i = j
            f.delta_data = data
        if fr % 7 == 2:
            f.unreadable.extend([6, 99])      # "gone", and one past the fields
        if fr % 6 == 3:
            f.unreadable.append(1)
        if fr % 4 == 1:
            f.inputs.add(kind=1, code=260, name="left", seq=b"\x1b[D")
            f.inputs.add(kind=2, code=32, name="space")
            f.inputs.add(kind=3, code=32, name="space")
            f.inputs.add(kind=4, name="n", value="2")
            f.inputs.add(kind=5, value="max")
            later = _pb.Input(name="later", value="v").SerializeToString()
            f.inputs.add(kind=4, name="x" * 62 + "\u00e9" + "y" * 10,
                         value="z" * 80)
        if fr % 3 == 0:
            f.screen_height, f.screen_cursor_row, f.screen_cursor_col = 24, fr % 24, 3
            f.screen.add(row=0, text="tick %d \u2500\u2502" % fr,
                         attrs='[[80,7,0,""]]')
            f.screen.add(row=5, text="bad attrs", attrs="[1,")
            f.screen.add(row=6, text="an object", attrs="{}")
            f.screen.add(row=7, text="none")
        if fr % 4 == 1:
            # An input of a kind this schema does not know (99), inserted
            # sixth as a later writer would put it.
            raw = b"".join(b"\x1a" + _varint(len(x)) + x for x in (
                [i.SerializeToString() for i in f.inputs[:5]] +
                [b"\x08\x63" + later] +
                # a set whose name and value are not UTF-8 (protobuf gives
                # them as bytes), once
                ([b"\x08\x04\x1a\x02n\xfe\x22\x03a\xffb"] if fr == 1 else []) +
                [i.SerializeToString() for i in f.inputs[5:]]))
            del f.inputs[:]
            f = f.SerializeToString() + raw
        out.append(record(2, 1 if fr % 4 == 0 else 0, fr, f))
        prev = bytes(st)
    return b"".join(out)


# ------------------------------------------------------------------- tests

def test_frames_equal_dumper_cat_from_every_source():
    want, problems, rc = cat_lines(GOLDEN)
    check(rc == 0 and not problems and len(want) == 151, "dumper on golden")
    same_frames(list(gamehook.read_trace(GOLDEN)), want, "path")
    with open(GOLDEN, "rb") as f:
        same_frames(list(gamehook.read_trace(f)), want, "file object")
    fd = os.open(GOLDEN, os.O_RDONLY)
    try:
        same_frames(list(gamehook.read_trace(fd)), want, "descriptor")
    finally:
        os.close(fd)
    # Standard input, "-", in a process of its own.
    with open(GOLDEN, "rb") as f:
        r = subprocess.run(
            ["/usr/bin/python3", "-c", "import sys, json; sys.path.insert(0, "
             "sys.argv[1]); import gamehook\nfor f in gamehook.read_trace('-'):"
             " print(json.dumps(f))", os.path.join(ROOT, "python")],
            stdin=f, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, r.stderr[-2000:])
    same_frames([json.loads(l) for l in r.stdout.splitlines()], want, "stdin")
    t = gamehook.read_trace(GOLDEN)
    check(t.header.state_size == 2592 and t.layout.size == 2592 and
          "hero" in t.layout.names, "header and layout")


def test_every_kind_of_value_equals_dumper():
    data = rich_trace()
    with tempfile.TemporaryDirectory(prefix="gh-pytrace-") as d:
        path = os.path.join(d, "rich.trace")
        with open(path, "wb") as f:
            f.write(data)
        r = dumper("verify", path)
        check(r.returncode == 0, "dumper finds the written trace damaged: %r"
              % r.stdout[-1500:])
        want, problems, rc = cat_lines(path)
        check(rc == 0 and len(want) == 40, "dumper cat: %r" % (problems,))
        got = list(gamehook.read_trace(path))
        same_frames(got, want, "rich")
        # The cases are there: not a vacuous equality.
        states = [g["state"] for g in got]
        check(any(s["ps"] == [] for s in states) and
              any(s["ps"] is not None and len(s["ps"]) == 3 for s in states),
              "count clamped to 0 and to max")
        check(any(s["gone"] is None for s in states), "an unreadable field")
        fl = [p["f"] for s in states if s["ps"] for p in s["ps"]]
        check(None in fl and 0.100000001 in fl,
              "NaN and infinity as null; <f4 as %.9g prints it")
        check(any(s["name"] == "\u00e9t\u00e9\u0001\"\\x" for s in states),
              "Latin-1 and UTF-8 in one string")
        check(any(len(g["inputs"]) == 7 for g in got) and
              any("screen" in g for g in got), "inputs and screen")
        out = os.path.join(d, "npy")
        r = dumper("npy", path, "-o", out)
        check(r.returncode == 0, r.stderr)
        cols = gamehook.read_trace(path).columns()
        same_columns(cols, out, "rich")
        check(cols["ps.f"].shape == (40, 3) and cols["grid.v"].shape == (40, 2, 3)
              and cols["blob"].shape == (40, 5) and cols["ps.be"].dtype.str == ">i4",
              "shapes and dtypes")


def test_columns_equal_dumper_npy():
    with tempfile.TemporaryDirectory(prefix="gh-pytrace-") as d:
        r = dumper("npy", GOLDEN, "-o", d)
        check(r.returncode == 0, r.stderr)
        cols = gamehook.read_trace(GOLDEN).columns()
        same_columns(cols, d, "golden")
        check(cols["hero.gold"][61] == 777 and cols["frame"][-1] == 150,
              "values: %r" % cols["hero.gold"][55:65])
        # From a pipe too.
        with open(GOLDEN, "rb") as f:
            data = f.read()
        rfd, wfd = os.pipe()
        w = threading.Thread(target=lambda: (os.write(wfd, data), os.close(wfd)))
        w.start()
        with os.fdopen(rfd, "rb") as p:
            same_columns(gamehook.read_trace(p).columns(), d, "pipe")
        w.join()


def _damaged(kind):
    with open(GOLDEN, "rb") as f:
        d = f.read()
    recs, o = [], 0
    while o < len(d):
        ln, = struct.unpack_from("<I", d, o + 16)
        fr, = struct.unpack_from("<q", d, o + 8)
        recs.append((o, d[o + 4], fr, ln))
        o += 24 + ln
    at = {fr: (o, ln) for o, k, fr, ln in recs if k == 2}
    b = bytearray(d)
    if kind == "truncated":
        o, _, _, ln = recs[-1]
        return bytes(d[:o + 24 + ln // 2])
    if kind == "payload-bit":
        o, ln = at[75]
        b[o + 24 + ln // 2] ^= 0x10
    elif kind == "length-bit":
        b[at[120][0] + 18] ^= 0x01
    elif kind == "garbage":
        o = at[30][0]
        return bytes(d[:o] + bytes((i * 37 + 11) & 0xff for i in range(100)) + d[o:])
    elif kind == "bad-hash":
        # A delta whose bytes are changed and its record sealed again: only
        # the state's hash can tell.
        o, ln = at[90]
        msg = _pb.Frame.FromString(zstandard.ZstdDecompressor().decompress(
            bytes(d[o + 24:o + 24 + ln])))
        msg.delta_data = bytes((x + 1) & 0xff for x in msg.delta_data)
        return bytes(d[:o]) + record(2, 0, 90, msg) + bytes(d[o + 24 + ln:])
    return bytes(b)


def test_damage_raises_or_is_skipped_as_dumper_does():
    for kind in ("truncated", "payload-bit", "length-bit", "garbage", "bad-hash"):
        data = _damaged(kind)
        want, problems, rc = cat_lines(data)
        check(rc == 1 and problems, "%s: dumper saw damage" % kind)
        # By default: an error at the first problem, no garbage after it.
        got = []
        try:
            for f in gamehook.read_trace(_Pipe(data)):
                got.append(f)
            check(False, "%s: no error" % kind)
        except gamehook.TraceError as e:
            check((e.offset, e.why) == problems[0],
                  "%s: %r, dumper %r" % (kind, (e.offset, e.why), problems[0]))
            check(str(e).endswith("offset %d: %s" % problems[0]), str(e))
        same_frames(got, want[:len(got)], kind + " (up to the error)")
        # Skipped: the same frames and the same problems as dumper.
        t = gamehook.read_trace(_Pipe(data), on_damage="skip")
        same_frames(list(t), want, kind + " (skipped)")
        check(t.problems == problems, "%s: problems %r, dumper %r" % (
            kind, t.problems, problems))


class _Pipe:
    """Bytes read back a few at a time, as a pipe gives them."""

    def __init__(self, data, step=7):
        self.data, self.at, self.step = data, 0, step

    def read(self, n):
        k = min(n, self.step)
        self.step = self.step % 97 + 13
        b = self.data[self.at:self.at + k]
        self.at += len(b)
        return b


def test_what_is_no_trace_fails_at_once():
    with open(GOLDEN, "rb") as f:
        d = f.read()
    first_frame = struct.unpack_from("<I", d, 16)[0] + 24
    for data, why in ((b"", "empty: no trace header"),
                      (b"hello, world\n" * 10, "empty: no trace header"),
                      (d[first_frame:], "no trace header: the stream starts "
                       "with frame 0"),
                      (d[:first_frame // 2], "no trace header: truncated")):
        try:
            gamehook.read_trace(_Pipe(data))
            check(False, "no error for %r" % data[:20])
        except gamehook.TraceError as e:
            check(e.why.startswith(why), "%r: %r" % (why, e.why))
            r = dumper("cat", "-", input=data)
            check(r.returncode == 1 and why in r.stderr.decode(),
                  "dumper says: %r" % r.stderr)
    # A header whose layout cannot be used, dumper's way of saying it.
    for lay, why in (('{"gamehook_layout":1,"types":[1],"fields":{"a":'
                      '{"type":"<i4","offset":0}}}', "types is not an object"),
                     ("[]", "not a gamehook layout"),
                     ('{"gamehook_layout":1,"fields":{"a":{"type":"X",'
                      '"offset":0}}}', "bad dtype 'X'"),
                     ('{"gamehook_layout":1,"types":{"A":{"size":4,"members":'
                      '{"m":{"type":"A","offset":0}}}},"fields":{"a":'
                      '{"type":"A","offset":0}}}', "type 'A' holds itself"),
                     ('{"gamehook_layout":1,"fields":{"a":{"type":"<i4",'
                      '"offset":0}}}', "its size disagrees")):
        data = record(1, 0, 0, _pb.Header(layout_json=lay, state_size=8))
        try:
            gamehook.read_trace(_Pipe(data))
            check(False, "no error for the layout %s" % lay)
        except gamehook.TraceError as e:
            check(e.why.startswith("the trace's layout is unusable: ") and
                  why in e.why, "%r: %r" % (why, e.why))
        r = dumper("cat", "-", input=data)
        check(r.returncode == 1 and b"the trace's layout is unusable" in
              r.stderr, "dumper: %r" % r.stderr)
    for bad in (3.5, None):
        try:
            gamehook.read_trace(bad)
            check(False, "read_trace(%r)" % bad)
        except TypeError:
            pass
    try:
        gamehook.read_trace(os.path.join(ROOT, "no-such.trace"))
        check(False, "a missing file")
    except FileNotFoundError:
        pass
    t = gamehook.read_trace(GOLDEN)
    next(iter(t))
    try:
        t.columns()
        check(False, "read twice")
    except gamehook.TraceError as e:
        check("read once" in e.why, e.why)


class _Tee:
    """A pipe's reading end that keeps what it read."""

    def __init__(self, f):
        self.f, self.got = f, bytearray()

    def read1(self, n):
        b = self.f.read1(n)
        self.got += b
        return b


def _live(open_reader):
    """For the demo game in lockstep recording to a pipe or a FIFO: its
    directory, socket, HOOK_* settings, and a reader (run it in a thread)
    putting what read_trace yields through OPEN_READER(directory) into a
    queue, the bytes read in STATE["bytes"] at the end."""
    d = tempfile.mkdtemp(prefix="gh-pytrace-")
    sock = os.path.join(d, "game.sock")
    hook = dict(HOOK_SOCKET=sock, HOOK_MODE="lockstep", HOOK_LAYOUT=LAYOUT,
                HOOK_KEYFRAME="20", HOOK_LOG=os.path.join(d, "log"))
    frames = queue.Queue()
    state = {}

    def reader():
        try:
            f = open_reader(d)
            tee = _Tee(f)
            for fr in gamehook.read_trace(tee):
                frames.put(fr)
            state["bytes"] = bytes(tee.got)
        except Exception as e:     # reported by the main thread
            state["error"] = e
        frames.put(None)
    return d, sock, hook, frames, state, reader


def _drive(game_proc, sock, frames, state):
    """Step the game; each frame arrives while it runs, the key it got is
    in the trace, and all equal dumper's reading of the same bytes."""
    def upto(n):
        got = []
        end = time.monotonic() + 20
        while True:
            try:
                f = frames.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                check(False, "no frame %d from read_trace (%r)" % (n, state))
            check(f is not None, "read_trace ended early: %r" % state)
            got.append(f)
            if f["frame"] == n:
                return got
    wait_until(lambda: os.path.exists(sock), 20, "the socket")
    c = Conn(sock)
    seen, at = [], 0
    for n in (3, 1, 25):
        c.ok("step %d" % n)
        at += n
        seen += upto(at)
        check(game_proc.poll() is None, "the game still runs")
        check(frames.empty(), "nothing past frame %d yet" % at)
    c.ok("key right")
    c.ok("step 2")
    seen += upto(at + 2)
    c.ok("trace stop")
    check(frames.get(timeout=20) is None and "error" not in state,
          "the trace ends cleanly: %r" % state)
    check([f["frame"] for f in seen] == list(range(at + 3)),
          "frames %r" % [f["frame"] for f in seen])
    check(any(i["kind"] == "key" and i["name"] == "right"
              for f in seen for i in f["inputs"]), "the key is in the trace")
    want, problems, rc = cat_lines(state["bytes"])
    check(rc == 0, "dumper: %r" % (problems,))
    same_frames(seen, want, "live")
    c.close()


def test_live_from_a_pipe_while_the_game_runs():
    rfd, wfd = os.pipe()
    d, sock, hook, frames, state, reader = _live(
        lambda _: os.fdopen(rfd, "rb"))
    hook["HOOK_TRACE"] = "fd:%d" % wfd
    proc, master = gamehook.spawn([DEMO], hook=hook, shim=LIB,
                                  env={"TERM": "xterm"}, pass_fds=(wfd,))
    os.close(wfd)
    stop = threading.Event()
    drain = threading.Thread(target=_drain, args=(master, stop), daemon=True)
    drain.start()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        _drive(proc, sock, frames, state)
    finally:
        _end(proc, master, stop, drain)
    t.join(10)


def test_live_from_a_fifo_while_the_game_runs():
    d, sock, hook, frames, state, reader = _live(
        lambda d: open(os.path.join(d, "fifo"), "rb"))
    os.mkfifo(os.path.join(d, "fifo"))
    hook["HOOK_TRACE"] = os.path.join(d, "fifo")
    proc, master = gamehook.spawn([DEMO], hook=hook, shim=LIB,
                                  env={"TERM": "xterm"})
    stop = threading.Event()
    drain = threading.Thread(target=_drain, args=(master, stop), daemon=True)
    drain.start()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        _drive(proc, sock, frames, state)
    finally:
        _end(proc, master, stop, drain)
    t.join(10)


def _drain(master, stop):
    import select
    while not stop.is_set():
        try:
            r, _, _ = select.select([master], [], [], 0.2)
            if r and not os.read(master, 65536):
                return
        except OSError:
            return


def _end(proc, master, stop, drain):
    import signal
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    stop.set()
    drain.join(10)
    os.close(master)
