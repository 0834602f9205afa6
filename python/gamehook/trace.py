"""Traces as data: gamehook.read_trace reads a trace (schema/FORMAT.md) from
a file, a file object, a descriptor or standard input ("-"), live from a
pipe as the game writes it, and gives each frame as the dict `dumper cat`
prints for it, or the whole as numpy columns equal to `dumper npy`'s files.

    from gamehook import read_trace
    for f in read_trace("run.trace"):
        print(f["frame"], f["state"]["hero"]["hp"])
    cols = read_trace("run.trace").columns()     # {"hero.hp": array, ...}

It reads the envelopes, CRC-32s, zstd frames and protobuf messages the way
common/rec.c and common/trace.c do (the same checks, in the same order, the
same messages), rebuilds each state from its keyframe and deltas, checks
its hash, and renders it by the trace's own layout as common/layout-value.c
does. Damage raises TraceError (offset and why) unless on_damage="skip",
which goes on as dumper does: resynchronizing at the next good record and
losing the frames up to the next keyframe, each problem kept in .problems.
Needs python3-zstandard, python3-xxhash, python3-numpy, python3-protobuf
and the generated trace_pb2 (see _proto.py)."""
import codecs
import json
import math
import os
import struct
import sys
import zlib

import numpy
import xxhash
import zstandard
from google.protobuf.message import DecodeError

from ._proto import load as _load

_pb = _load("trace_pb2")

MAGIC = b"GHR1"
ENVELOPE = 24
MAX_PAYLOAD = 256 << 20
MAX_DATA = 1 << 30
REC_HEADER, REC_FRAME = 1, 2
HASH_BLOCK = 256
_CHUNK = 65536
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

__all__ = ["read_trace", "TraceReader", "TraceError", "Layout"]


class TraceError(Exception):
    """A trace that cannot be read (or, by default, any damage in one):
    .name (the source), .offset (in the stream; None when not about a
    place) and .why."""

    def __init__(self, name, offset, why):
        self.name, self.offset, self.why = name, offset, why
        where = "" if offset is None else "offset %d: " % offset
        super().__init__("%s: %s%s" % (name, where, why))


# --------------------------------------------------------------- strings

def _latin1_bad(e):
    # One byte that starts no well-formed UTF-8 sequence: its Latin-1
    # reading (common/jstr.c), and on with the next byte.
    return chr(e.object[e.start]), e.start + 1


codecs.register_error("gamehook-latin1", _latin1_bad)


def jstr(b):
    """Bytes as gamehook writes them into JSON (common/jstr.c): well-formed
    UTF-8 as it is, any other byte as its Latin-1 character."""
    return bytes(b).decode("utf-8", "gamehook-latin1")


def _cstr(s, limit=None):
    """A protobuf string as the C reader holds it: up to a NUL, at most
    LIMIT bytes (trace_input's fixed buffers), rendered as jstr does."""
    # (protobuf gives bytes for a string that is not UTF-8)
    b = s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")
    b = b.split(b"\0", 1)[0]
    return jstr(b if limit is None else b[:limit])


# ---------------------------------------------------------------- layouts

class LayoutError(ValueError):
    pass


class _Type:
    __slots__ = ("name", "kind", "size", "big", "dtype", "members")

    def __init__(self, kind, size, big=False, dtype="", name=None):
        self.kind, self.size, self.big, self.dtype = kind, size, big, dtype
        self.name = name
        self.members = []          # (name, offset, type, count)


def _dtype(s):
    """A numpy dtype string as common/layout.c's parse_dtype takes it."""
    if not isinstance(s, str) or len(s) < 3 or s[0] not in "<>|=" or \
            not s[2:].isdigit() or s[1] not in "iufbSV":
        raise LayoutError("bad dtype %r" % (s,))
    order, kind, size = s[0], s[1], int(s[2:])
    if size <= 0 or size > 1 << 24 or \
            (kind in "iu" and size not in (1, 2, 4, 8)) or \
            (kind == "f" and size not in (4, 8)) or (kind == "b" and size != 1):
        raise LayoutError("bad dtype %r" % (s,))
    big = order == ">"
    if size == 1 or kind in "SV":
        order, big = "|", False
    elif order in "=|":
        order = "<"
    return _Type(kind, size, big, "%s%s%d" % (order, kind, size))


class Layout:
    """A trace's layout (schema/LAYOUT.md), parsed as common/layout.c does
    for reading: .fields (name, type, fixed count, count field, max, blob
    offset, extent), .leaves (path, dtype, offset, dims, strides: the
    columns), .size (bytes of the state blob)."""

    def __init__(self, text):
        self.json = text
        try:
            root = json.loads(text)
        except ValueError as e:
            raise LayoutError("not valid JSON: %s" % e)
        if not isinstance(root, dict) or root.get("gamehook_layout") != 1 or \
                not isinstance(root.get("fields"), dict) or not root["fields"]:
            raise LayoutError("not a gamehook layout (format 1)")
        self._scalars = {}
        self._named = {}
        self._raw_types = root.get("types") or {}
        if not isinstance(self._raw_types, dict):
            raise LayoutError("types is not an object")
        for name in self._raw_types:
            self._named_type(name, 0)
        self.fields = []
        self.leaves = []
        size = 0
        for name, v in root["fields"].items():
            if not isinstance(v, dict):
                raise LayoutError("field %s is not an object" % name)
            t = self._type(v.get("type"), 0)
            count, cpath, mx = 0, None, 0
            c = v.get("count")
            if isinstance(c, str):
                cpath, mx = c, v.get("max")
                if not isinstance(mx, int) or mx < 1:
                    raise LayoutError("field %s: a counted array needs max" % name)
            elif c is not None:
                if not isinstance(c, int) or c < 1:
                    raise LayoutError("field %s: bad count" % name)
                count = c
            n = count or mx or 1
            size = (size + 7) & ~7
            f = {"name": name, "type": t, "count": count, "count_path": cpath,
                 "max": mx, "off": size, "extent": t.size * n}
            self.fields.append(f)
            size += f["extent"]
            dims = [count or mx] if (count or mx) else []
            self._leaves(len(self.fields) - 1, t, name, f["off"], dims,
                         [t.size] if dims else [])
        self.size = size
        by_path = {lf["path"]: lf for lf in self.leaves}
        for f in self.fields:
            if f["count_path"] is None:
                continue
            lf = by_path.get(f["count_path"])
            if lf is None or lf["dims"] or lf["type"].kind not in "iu" or \
                    self.fields[lf["field"]]["count_path"] is not None:
                raise LayoutError("field %s: its count %r is not an integer "
                                  "field" % (f["name"], f["count_path"]))
            f["count_off"], f["count_type"] = lf["off"], lf["type"]
        self.names = [f["name"] for f in self.fields]

    def _named_type(self, name, depth):
        if name not in self._named:
            self._named[name] = None              # being parsed: no cycles
            self._named[name] = self._struct(self._raw_types[name], depth,
                                             name)
        t = self._named[name]
        if t is None:
            raise LayoutError("type %r holds itself" % name)
        return t

    def _type(self, v, depth):
        if isinstance(v, dict):
            return self._struct(v, depth, None)
        if isinstance(v, str) and v in self._raw_types:
            return self._named_type(v, depth)
        t = _dtype(v)
        return self._scalars.setdefault(t.dtype, t)

    def _struct(self, v, depth, name):
        if depth > 8 or not isinstance(v, dict):
            raise LayoutError("bad struct %s" % (name or ""))
        size, mem = v.get("size"), v.get("members")
        if not isinstance(size, int) or size < 1 or not isinstance(mem, dict) \
                or not mem:
            raise LayoutError("bad struct %s" % (name or ""))
        t = _Type("struct", size, name=name)
        for mname, m in mem.items():
            if not isinstance(m, dict):
                raise LayoutError("bad member %s" % mname)
            mt = self._type(m.get("type"), depth + 1)
            off, cnt = m.get("offset"), m.get("count", 0)
            if not isinstance(off, int) or not isinstance(cnt, int) or \
                    off < 0 or cnt < 0 or off + mt.size * max(cnt, 1) > size:
                raise LayoutError("member %s lies outside its struct" % mname)
            t.members.append((mname, off, mt, cnt))
        return t

    def _leaves(self, fi, t, path, off, dims, strides):
        if t.kind != "struct":
            self.leaves.append({"path": path, "type": t, "field": fi,
                                "off": off, "dims": list(dims),
                                "strides": list(strides)})
            return
        for name, moff, mt, cnt in t.members:
            d, s = list(dims), list(strides)
            if cnt:
                d.append(cnt)
                s.append(mt.size)
            self._leaves(fi, mt, path + "." + name, off + moff, d, s)

    # --- values, as common/layout-value.c renders them --------------------

    def count(self, fi, blob):
        """The element count of field FI's array in BLOB."""
        f = self.fields[fi]
        if f["count"]:
            return f["count"]
        ct, o = f["count_type"], f["count_off"]
        n = int.from_bytes(blob[o:o + ct.size], "big" if ct.big else "little",
                           signed=ct.kind == "i")
        return max(0, min(n, f["max"]))

    def value(self, t, blob, off):
        """The value of type T at OFF in BLOB, as JSON would carry it."""
        k = t.kind
        if k == "struct":
            return {name: (self.array(mt, blob, off + mo, cnt) if cnt else
                           self.value(mt, blob, off + mo))
                    for name, mo, mt, cnt in t.members}
        b = blob[off:off + t.size]
        if k in "iu":
            return int.from_bytes(b, "big" if t.big else "little",
                                  signed=k == "i")
        if k == "f":
            d, = struct.unpack((">" if t.big else "<") +
                               ("f" if t.size == 4 else "d"), b)
            if not math.isfinite(d):
                return None            # JSON has no NaN or infinity
            return float("%.9g" % d) if t.size == 4 else d
        if k == "b":
            return b[0] != 0
        if k == "S":
            return jstr(bytes(b).split(b"\0", 1)[0])
        return bytes(b).hex()

    def array(self, t, blob, off, n):
        return [self.value(t, blob, off + i * t.size) for i in range(n)]

    def state(self, blob, unreadable=None):
        """The whole state as a dict, unreadable fields None."""
        out = {}
        for i, f in enumerate(self.fields):
            if unreadable is not None and unreadable[i]:
                out[f["name"]] = None
            elif f["count"] or f["count_path"]:
                out[f["name"]] = self.array(f["type"], blob, f["off"],
                                            self.count(i, blob))
            else:
                out[f["name"]] = self.value(f["type"], blob, f["off"])
        return out


# ---------------------------------------------------------------- records

_INPUT_KINDS = {1: "key", 2: "keydown", 3: "keyup", 4: "set", 5: "speed",
                6: "key_press", 7: "key_release", 8: "mouse_move",
                9: "mouse_down", 10: "mouse_up", 11: "wheel", 12: "text"}


class _Records:
    """common/rec.c's reader: records from a byte stream, resynchronizing
    past damage. next() gives ("ok", kind, flags, frame, offset, data,
    payload_len), ("damaged"|"truncated", offset, why) or ("end", offset)."""

    def __init__(self, read):
        self._read = read
        self.buf = bytearray()
        self.start = 0
        self.base = 0
        self.eof = False
        self.consume = 0
        self._dctx = zstandard.ZstdDecompressor()

    def _fill(self, need):
        while len(self.buf) - self.start < need and not self.eof:
            if self.start > _CHUNK and self.start * 2 > len(self.buf):
                del self.buf[:self.start]
                self.base += self.start
                self.start = 0
            d = self._read(_CHUNK)
            if d:
                self.buf += d
            else:
                self.eof = True

    def _classify(self, q):
        """("valid", need) / ("invalid", why) / ("short", need)."""
        b, n = self.buf, len(self.buf) - q
        if b[q:q + min(n, 4)] != MAGIC[:min(n, 4)]:
            return "invalid", "bad magic"
        if n < ENVELOPE:
            return "short", ENVELOPE
        ln, crc = struct.unpack_from("<II", b, q + 16)
        if ln > MAX_PAYLOAD:
            return "invalid", "length %d over limit" % ln
        need = ENVELOPE + ln
        if n < need:
            return "short", need
        c = zlib.crc32(memoryview(b)[q + ENVELOPE:q + need],
                       zlib.crc32(memoryview(b)[q:q + 20]))
        if c != crc:
            return "invalid", "bad checksum"
        return "valid", need

    def _find_magic(self, frm):
        end = len(self.buf)
        m = self.buf.find(MAGIC, frm)
        if m >= 0:
            return m
        for q in range(end - 3 if end - frm > 3 else frm, end):
            if MAGIC.startswith(bytes(self.buf[q:end])):
                return q
        return end

    def _resync(self):
        q = self.start + 1
        while True:
            pend, pneed = len(self.buf), 1
            while True:
                q = self._find_magic(q)
                if q >= len(self.buf):
                    break
                c, x = self._classify(q)
                if c == "valid":
                    self.start = q
                    return
                if c == "short" and pend == len(self.buf):
                    pend, pneed = q, x
                q += 1
            self.start = pend
            if self.eof:
                return
            self._fill(pneed)          # may move the buffer: start follows
            q = self.start

    def next(self):
        self.start += self.consume
        self.consume = 0
        while True:
            c, x = self._classify(self.start)
            if c != "short" or self.eof:
                break
            self._fill(x)
        off = self.base + self.start
        avail = len(self.buf) - self.start
        if c == "short":
            if avail == 0:
                return ("end", off)
            why = "truncated: %d of %d bytes" % (avail, x)
            self._resync()
            if self.start < len(self.buf) and \
                    self._classify(self.start)[0] == "valid":
                skipped = self.base + self.start - off
                return ("damaged", off, "damaged: a record that claims more "
                        "bytes than follow, before a good record %d bytes on"
                        % skipped)
            self.start = len(self.buf)
            return ("truncated", off, why)
        if c == "invalid":
            self._resync()
            return ("damaged", off, x)
        need = x
        b = self.buf
        kind, flags = b[self.start + 4], b[self.start + 5]
        frame, = struct.unpack_from("<q", b, self.start + 8)
        payload = bytes(b[self.start + ENVELOPE:self.start + need])
        self.consume = need
        if kind not in (REC_HEADER, REC_FRAME):
            return ("ok", kind, flags, frame, off, None, len(payload))
        data, why = _decode(self._dctx, payload)
        if why is not None:
            return ("damaged", off, "zstd: " + why)
        return ("ok", kind, flags, frame, off, data, len(payload))


def _decode(dctx, p):
    """(content, None), or (None, why) when payload P is not exactly one
    zstd frame with its content size and a checksum that verifies."""
    try:
        hs = zstandard.frame_header_size(p)
    except zstandard.ZstdError as e:
        return None, str(e)
    if len(p) < hs:
        return None, "short frame header"
    if 0x184D2A50 <= int.from_bytes(p[:4], "little") <= 0x184D2A5F:
        return None, "skippable frame"
    try:
        fp = zstandard.get_frame_parameters(p)
    except zstandard.ZstdError as e:
        return None, str(e)
    if fp.content_size == zstandard.CONTENTSIZE_UNKNOWN:
        return None, "no content size"
    if fp.content_size > MAX_DATA:
        return None, "content size over limit"
    if not fp.has_checksum:
        return None, "no checksum"
    d = dctx.decompressobj()
    try:
        out = d.decompress(p)
    except zstandard.ZstdError as e:
        return None, str(e)
    if not d.eof:
        return None, "short content"
    if d.unused_data:
        return None, "payload is not exactly one frame"
    if len(out) != fp.content_size:
        return None, "short content"
    return out, None


# ----------------------------------------------------------------- reader

class _Frame:
    """One frame read: its number, time, keyframe flag, state (bytes),
    unreadable flags (bytes, one per field) and message."""
    __slots__ = ("frame", "vtime_ns", "keyframe", "state", "unreadable",
                 "msg", "layout", "header_gen")


class TraceReader:
    """A trace being read: iterate for frame dicts (as `dumper cat`), or
    take .columns() (as `dumper npy`). .header is the first header
    (trace_pb2.Header), .layout its Layout, .problems the damage met (as
    (offset, why), in skip mode), .name the source's name."""

    def __init__(self, src, on_damage="raise"):
        if on_damage not in ("raise", "skip"):
            raise ValueError("on_damage is 'raise' or 'skip'")
        self.on_damage = on_damage
        self.problems = []
        self._own = None
        if isinstance(src, int):
            self.name = "fd:%d" % src
            read = lambda n: os.read(src, n)          # noqa: E731
        elif isinstance(src, (str, bytes, os.PathLike)):
            if src == "-":
                self.name = "-"
                f = sys.stdin.buffer
            else:
                self.name = os.fsdecode(src)
                f = self._own = open(src, "rb")
            read = f.read1
        elif hasattr(src, "read1") or hasattr(src, "read"):
            self.name = getattr(src, "name", "<file>")
            if not isinstance(self.name, str):
                self.name = "<file>"
            read = src.read1 if hasattr(src, "read1") else src.read
        else:
            raise TypeError("read_trace takes a path, '-', a descriptor or "
                            "a binary file object")
        self._rr = _Records(read)
        self._gen = 0
        self._in_loss = False
        self._started = False
        self._open()

    # --- the header ------------------------------------------------------

    def _open(self):
        damaged = False
        while True:
            r = self._rr.next()
            if r[0] == "ok" and r[1] == REC_HEADER:
                self._take_header(r)
                self.header, self.layout = self._header, self._layout
                if damaged:
                    self._damage(0, "damaged bytes before the trace header")
                return
            if r[0] == "ok" and r[1] == REC_FRAME:
                self._fail(None, "no trace header: the stream starts with "
                           "frame %d" % r[3])
            if r[0] == "end":
                self._fail(None, "empty: no trace header")
            if r[0] == "truncated":
                self._fail(None, "no trace header: " + r[2])
            if r[0] == "damaged":
                damaged = True

    def _take_header(self, r):
        try:
            h = _pb.Header.FromString(r[5])
        except DecodeError:
            self._fail(None, "header at offset %d does not decode" % r[4])
        try:
            if not h.HasField("layout_json"):
                raise LayoutError("none")
            lay = Layout(h.layout_json)
            if not h.HasField("state_size") or lay.size != h.state_size:
                raise LayoutError("its size disagrees with the header's")
        except LayoutError as e:
            self._fail(None, "the trace's layout is unusable: %s" % e)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError,
                OverflowError, RecursionError) as e:     # a forged layout's odd shapes
            self._fail(None, "the trace's layout is unusable: %s: %s" % (
                type(e).__name__, e))
        self._header, self._layout = h, lay
        self._gen += 1
        self._state = bytearray(lay.size)
        self._unread = bytearray(len(lay.fields))
        nb = (lay.size + HASH_BLOCK - 1) // HASH_BLOCK
        self._bh = numpy.zeros(nb, dtype="<u8")
        self._state_ok = False
        self._last = -1

    def _fail(self, offset, why):
        self.close()
        raise TraceError(self.name, offset, why)

    def _damage(self, offset, why):
        if self.on_damage == "raise":
            self._fail(offset, why)
        self.problems.append((offset, why))

    # --- frames ----------------------------------------------------------

    def _hash(self, runs):
        """The state's hash (FORMAT.md), rehashing only the blocks RUNS
        (offset, length) touched; None: all of them."""
        s, n = self._state, len(self._state)
        nb = len(self._bh)
        if runs is None:
            blocks = range(nb)
        else:
            blocks = sorted({i for o, ln in runs
                             for i in range(o // HASH_BLOCK,
                                            min((o + ln - 1) // HASH_BLOCK + 1,
                                                nb))})
        mv = memoryview(s)
        for i in blocks:
            self._bh[i] = xxhash.xxh3_64_intdigest(
                mv[i * HASH_BLOCK:min(n, (i + 1) * HASH_BLOCK)])
        return xxhash.xxh3_64_intdigest(self._bh.tobytes())

    def _apply(self, f):
        """Frame F onto the state: None, or why it cannot be."""
        size = len(self._state)
        if f.keyframe:
            if not f.HasField("full") or len(f.full) != size:
                return "frame %d: keyframe of %d bytes, the state has %d" % (
                    f.frame, len(f.full) if f.HasField("full") else 0, size)
            self._state[:] = f.full
            runs = None
        else:
            if not self._state_ok or f.frame == -(1 << 63) or \
                    self._last != f.frame - 1:
                if f.frame == -(1 << 63):
                    return "frame %d: a delta first of all; lost until the " \
                        "next keyframe" % f.frame
                return "frame %d: a delta without frame %d; lost until the " \
                    "next keyframe" % (f.frame, f.frame - 1)
            if len(f.delta_gaps) != len(f.delta_lengths):
                return "frame %d: %d delta gaps but %d lengths" % (
                    f.frame, len(f.delta_gaps), len(f.delta_lengths))
            at = used = 0
            data = f.delta_data
            runs = []
            for i, (gap, ln) in enumerate(zip(f.delta_gaps, f.delta_lengths)):
                if gap > size - at or ln > size - at - gap or \
                        ln > len(data) - used:
                    return "frame %d: delta run %d (+%d, %d bytes) lies " \
                        "outside the %d-byte state or its data" % (
                            f.frame, i, gap, ln, size)
                at += gap
                self._state[at:at + ln] = data[used:used + ln]
                if ln:
                    runs.append((at, ln))
                at += ln
                used += ln
        h = self._hash(runs if self._state_ok or runs is None else None)
        if f.HasField("state_hash") and f.state_hash != h:
            # The cache holds this state's blocks; a keyframe redoes all.
            return "frame %d: the state's hash does not match" % f.frame
        nf = len(self._unread)
        self._unread[:] = bytes(nf)
        for u in f.unreadable:
            if u < nf:
                self._unread[u] = 1
        return None

    def _frames(self):
        """Each frame whose state is known, as a _Frame whose state and
        unreadable flags are the reader's own buffers: use them before
        asking for the next frame."""
        if self._started:
            raise TraceError(self.name, None, "a trace is read once: call "
                             "read_trace again to read it again")
        self._started = True
        try:
            while True:
                r = self._rr.next()
                if r[0] == "end":
                    return
                if r[0] in ("damaged", "truncated"):
                    self._damage(r[1], r[2])
                    continue
                _, kind, _, eframe, off, data, _ = r
                if kind == REC_HEADER:
                    self._take_header(r)
                    continue
                if kind != REC_FRAME:
                    continue           # a kind from a later version
                try:
                    f = _pb.Frame.FromString(data)
                except DecodeError:
                    self._state_ok = False
                    self._damage(off, "frame %d: the record does not decode "
                                 "as a Frame" % eframe)
                    continue
                why = self._apply(f)
                if why is not None:
                    self._state_ok = False
                    if not self._in_loss:
                        self._in_loss = True
                        self._damage(off, why)
                    continue
                self._in_loss = False
                self._state_ok = True
                self._last = f.frame
                fr = _Frame()
                fr.frame, fr.vtime_ns, fr.keyframe = f.frame, f.vtime_ns, \
                    f.keyframe
                fr.state, fr.unreadable, fr.msg = self._state, self._unread, f
                fr.layout, fr.header_gen = self._layout, self._gen
                yield fr
        finally:
            self.close()

    def __iter__(self):
        for fr in self._frames():
            yield frame_dict(fr.layout, fr)

    def columns(self):
        """The trace as numpy arrays, equal to `dumper npy`'s
        files: "frame" and "vtime_ns" (int64), "unreadable" (bool, frames x
        fields), and one array per scalar of the layout by its path, frames
        first (a counted array at its max; |Vn blocks as uint8 with a last
        axis of n). A new header with another layout stops it (an error,
        or in skip mode a problem and the frames so far)."""
        lay = self.layout
        for lf in lay.leaves:
            if lf["path"] in ("frame", "vtime_ns", "unreadable"):
                raise TraceError(self.name, None, "the field '%s' would "
                                 "overwrite %s" % (lf["path"], lf["path"]))
        blobs, unread, frames, vtimes = bytearray(), bytearray(), [], []
        for fr in self._frames():
            if fr.layout is not lay and fr.layout.json != lay.json:
                self._damage(None, "a new header with another layout: "
                             "columns stop here")
                break
            blobs += fr.state
            unread += fr.unreadable
            frames.append(fr.frame)
            vtimes.append(fr.vtime_ns)
        n, size = len(frames), lay.size
        mat = numpy.frombuffer(bytes(blobs), dtype=numpy.uint8)
        out = {"frame": numpy.array(frames, dtype="<i8"),
               "vtime_ns": numpy.array(vtimes, dtype="<i8"),
               "unreadable": numpy.frombuffer(bytes(unread), dtype="|b1")
               .reshape(n, len(lay.fields)).copy()}
        for lf in lay.leaves:
            t = lf["type"]
            if t.kind == "V":
                dt, shape = numpy.dtype("|u1"), lf["dims"] + [t.size]
                strides = lf["strides"] + [1]
            else:
                dt, shape, strides = numpy.dtype(t.dtype), lf["dims"], \
                    lf["strides"]
            if n == 0:
                a = numpy.zeros([0] + shape, dtype=dt)
            else:
                a = numpy.ndarray([n] + shape, dtype=dt, buffer=mat,
                                  offset=lf["off"],
                                  strides=[size] + strides).copy()
            out[lf["path"]] = a
        return out

    def close(self):
        if self._own is not None:
            self._own.close()
            self._own = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def _unknown_kind(i):
    """An input kind this schema does not name (a later version's), which
    protobuf keeps among unknown fields; 0 when there is none."""
    try:
        fields = i.UnknownFields()
    except AttributeError:
        try:
            from google.protobuf import unknown_fields
            fields = unknown_fields.UnknownFieldSet(i)
        except ImportError:
            return 0
    for u in fields:
        if u.field_number == 1 and u.wire_type == 0:
            v = u.data & 0xffffffff
            return v - (1 << 32) if v >= 1 << 31 else v
    return 0


def frame_dict(layout, fr):
    """A frame as `dumper cat` prints it (dumper/cat.c)."""
    f = fr.msg
    inputs = []
    for i in f.inputs:
        kind = i.kind if i.HasField("kind") else _unknown_kind(i)
        d = {"kind": _INPUT_KINDS.get(kind, kind)}
        if kind != 5:
            d["name"] = _cstr(i.name, 63)
        if 1 <= kind <= 3:
            d["code"] = i.code
        elif kind in (6, 7):       # a graphical game's key (dumper.c)
            d["code"], d["scancode"], d["mod"] = i.code, i.scancode, i.mod
        elif 8 <= kind <= 11:      # the mouse
            d["x"], d["y"] = i.x, i.y
            if kind in (9, 10):
                d["button"] = i.button
            if kind == 11:
                d["wheel"] = i.wheel
        else:
            d["value"] = _cstr(i.value, 63)
        inputs.append(d)
    out = {"frame": fr.frame, "vtime_ns": fr.vtime_ns,
           "keyframe": bool(fr.keyframe), "inputs": inputs}
    if f.HasField("screen_height"):
        rows, attrs = {}, {}
        for r in f.screen:
            rows[str(r.row)] = _cstr(r.text)
        for r in f.screen:
            a = None
            if r.attrs:
                try:
                    a = json.loads(r.attrs)
                except ValueError:
                    a = None
                if not isinstance(a, list):
                    a = None
            attrs[str(r.row)] = a
        out["screen"] = {"height": f.screen_height,
                         "cursor": [f.screen_cursor_row, f.screen_cursor_col],
                         "rows": rows, "attrs": attrs}
    out["state"] = layout.state(fr.state, fr.unreadable)
    return out


def read_trace(src, on_damage="raise"):
    """Open a trace: SRC is a path, "-" (standard input), a descriptor or a
    binary file object (a pipe's reading end reads live: each frame as its
    record arrives). Iterate the result for frame dicts equal to `dumper
    cat`'s lines, or call .columns() for numpy arrays equal to `dumper
    npy`'s. A stream that is no trace raises TraceError at once; damage
    raises it where it is met, or with on_damage="skip" is passed over as
    dumper does (resynchronizing; the frames up to the next keyframe
    lost) and listed in .problems."""
    return TraceReader(src, on_damage)
