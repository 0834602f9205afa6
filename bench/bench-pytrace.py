#!/usr/bin/python3
"""bench-pytrace: gamehook.read_trace beside dumper, on the same traces in
the same run.

1. The demo game's trace (3,000 lockstep frames recorded with its layout):
   read_trace's frame dicts against `dumper cat` (to /dev/null, and with
   its lines parsed by json.loads: what a Python user of dumper has), and
   .columns() against `dumper npy` (with numpy.load of its files).
2. A synthetic 1 MiB state (int32 values, 1% of it changing in 16-byte
   chunks a frame, 100 frames, a keyframe every 120): .columns() against
   `dumper npy` + numpy.load.
Rounds alternate; medians of 5; frames a second and the ratio ours /
baseline (above 1: faster than the baseline)."""
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from gh import Game  # noqa: E402

import numpy  # noqa: E402
import xxhash  # noqa: E402
import zstandard  # noqa: E402

import gamehook  # noqa: E402
from gamehook import trace as ghtrace  # noqa: E402

B = os.path.join(ROOT, "build")
DEMO = os.path.join(B, "demo-game")
DUMPER = os.path.join(B, "dumper")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
ROUNDS = 5


def demo_trace(path):
    with Game([DEMO], env={"HOOK_LAYOUT": LAYOUT, "HOOK_TRACE": path,
                           "HOOK_SEED": "1"}, lockstep=True) as g:
        c = g.connect()
        for i in range(30):
            c.ok("key %s" % ["right", "space", "left"][i % 3])
            c.ok("step 100")
        c.ok("trace stop")


def big_trace(path, size=1 << 20, frames=100):
    lay = json.dumps({"gamehook_layout": 1, "fields": {
        "v": {"offset": 0, "type": "<i4", "count": size // 4}}})
    rnd = random.Random(1)
    st = bytearray(numpy.array([rnd.randrange(1000) for _ in range(size // 4)],
                               dtype="<i4").tobytes())
    z = zstandard.ZstdCompressor(level=1, write_checksum=True,
                                 write_content_size=True)

    def rec(kind, flags, frame, msg):
        p = z.compress(msg.SerializeToString())
        env = b"GHR1" + bytes([kind, flags, 0, 0]) + struct.pack("<qI", frame, len(p))
        return env + struct.pack("<I", zlib.crc32(p, zlib.crc32(env))) + p

    def h(s):
        return xxhash.xxh3_64_intdigest(b"".join(
            struct.pack("<Q", xxhash.xxh3_64_intdigest(s[i:i + 256]))
            for i in range(0, len(s), 256)))
    pb = ghtrace._pb
    with open(path, "wb") as f:
        f.write(rec(1, 0, 0, pb.Header(format_version=1, layout_json=lay,
                                       layout_source="bench", state_size=size,
                                       keyframe_interval=120)))
        for fr in range(frames):
            key = fr % 120 == 0
            m = pb.Frame(frame=fr, vtime_ns=fr, keyframe=key)
            offs = sorted(rnd.sample(range(size // 16), size // 1600))
            end = 0
            data = []
            for o in offs:
                chunk = rnd.randbytes(16)
                st[o * 16:o * 16 + 16] = chunk
                m.delta_gaps.append(o * 16 - end)
                m.delta_lengths.append(16)
                data.append(chunk)
                end = o * 16 + 16
            if key:
                del m.delta_gaps[:], m.delta_lengths[:]
                m.full = bytes(st)
            else:
                m.delta_data = b"".join(data)
            m.state_hash = h(bytes(st))
            f.write(rec(2, 1 if key else 0, fr, m))


def timed(fn):
    t0 = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - t0)


def ours_frames(path):
    return sum(1 for _ in gamehook.read_trace(path))


def dumper_cat(path):
    r = subprocess.run([DUMPER, "cat", path], stdout=subprocess.DEVNULL)
    assert r.returncode == 0
    return NFRAMES[path]


def dumper_cat_parsed(path):
    p = subprocess.Popen([DUMPER, "cat", path], stdout=subprocess.PIPE)
    n = sum(1 for line in p.stdout if json.loads(line))
    p.wait()
    return n


def ours_columns(path):
    return len(gamehook.read_trace(path).columns()["frame"])


def dumper_npy(path):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([DUMPER, "npy", path, "-o", d], check=True)
        cols = {f: numpy.load(os.path.join(d, f)) for f in os.listdir(d)}
        return len(cols["frame.npy"])


NFRAMES = {}


def compare(name, path, pairs):
    NFRAMES[path] = ours_frames(path)
    for what, ours, base, bname in pairs:
        a, b = [], []
        for _ in range(ROUNDS):
            a.append(timed(lambda: ours(path)))
            b.append(timed(lambda: base(path)))
        ma, mb = statistics.median(a), statistics.median(b)
        print("| %s | %s | %s frames/s | %s | %s frames/s | %.2f |" % (
            name, what, format(int(ma), ","), bname, format(int(mb), ","),
            ma / mb))


def main():
    with tempfile.TemporaryDirectory(prefix="gh-bench-pytrace-") as d:
        demo = os.path.join(d, "demo.trace")
        big = os.path.join(d, "big.trace")
        demo_trace(demo)
        big_trace(big)
        print("| trace | ours | | baseline | | ours / baseline |")
        print("| --- | --- | --- | --- | --- | --- |")
        compare("demo, %d frames, %d B state" % (ours_frames(demo), 2592), demo, [
            ("read_trace (dicts)", ours_frames, dumper_cat, "dumper cat > /dev/null"),
            ("read_trace (dicts)", ours_frames, dumper_cat_parsed,
             "dumper cat, json.loads"),
            (".columns()", ours_columns, dumper_npy, "dumper npy + numpy.load")])
        compare("1 MiB state, 1% churn, 100 frames", big, [
            (".columns()", ours_columns, dumper_npy, "dumper npy + numpy.load")])


if __name__ == "__main__":
    main()
