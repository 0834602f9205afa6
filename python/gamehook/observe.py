"""The layout -> observation mapping, in one place: every scalar path of
a layout (hero.hp, entities.x, game.state) is a Box of its dtype and shape
(an array of structs gives each member a leading axis of the array's max;
|S and |V values are uint8 arrays of their bytes); "screen" is a Box of the
terminal's characters (uint32 code points, rows x cols); "raw" the state
blob (uint8); "pixels" the picture a graphical game presented (uint8,
height x width x 3, or height x width gray). Values are decoded from the blob of a binary step request
with numpy, never from JSON. GameEnv, VectorEnv and gamehookd use it, so
a game's spaces are the same everywhere."""
import collections
import collections.abc

import numpy as np

from . import spaces as _own
from .errors import GamehookError

Leaf = collections.namedtuple("Leaf", "key dtype native shape offset strides")


def _resolve_type(layout, t):
    """A struct dict, or a numpy dtype."""
    if isinstance(t, dict):
        return t
    types = layout.get("types", {})
    if t in types:
        return types[t]
    return np.dtype(t)


def _size_of(layout, t):
    t = _resolve_type(layout, t)
    return t["size"] if isinstance(t, dict) else t.itemsize


def _walk(layout, t, off, shape, strides, key, out):
    t = _resolve_type(layout, t)
    if isinstance(t, dict):
        for name, m in t["members"].items():
            mo = off + m["offset"]
            if "count" in m:
                c = int(m["count"])
                _walk(layout, m["type"], mo, shape + (c,),
                      strides + (_size_of(layout, m["type"]),),
                      key + "." + name, out)
            else:
                _walk(layout, m["type"], mo, shape, strides,
                      key + "." + name, out)
        return
    if t.kind in "SV":
        # Strings and byte blocks: their bytes, a trailing axis.
        u1 = np.dtype(np.uint8)
        out.append(Leaf(key, u1, u1, shape + (t.itemsize,), off,
                        strides + (1,)))
        return
    native = t if t.isnative else t.newbyteorder("=")
    out.append(Leaf(key, t, native, shape, off, strides))


def layout_leaves(layout):
    """The layout's scalar paths as Leaves (key, dtype in the blob, native
    dtype, shape, offset in the blob, strides), and the blob's size: each
    top-level field in order in a slot starting at a multiple of 8, a
    counted array its max elements (FORMAT.md, "The state blob")."""
    leaves = []
    pos = 0
    for name, f in layout["fields"].items():
        pos = (pos + 7) & ~7
        size = _size_of(layout, f["type"])
        c = f.get("count")
        if c is None:
            _walk(layout, f["type"], pos, (), (), name, leaves)
            pos += size
        else:
            n = int(c) if not isinstance(c, str) else int(f["max"])
            _walk(layout, f["type"], pos, (n,), (size,), name, leaves)
            pos += size * n
    return leaves, pos


def _box_for(sp, leaf):
    d = leaf.native
    if d == np.bool_:
        return sp.Box(np.zeros(leaf.shape, bool), np.ones(leaf.shape, bool),
                      leaf.shape, np.bool_)
    if np.issubdtype(d, np.integer):
        i = np.iinfo(d)
        return sp.Box(np.full(leaf.shape, i.min, d),
                      np.full(leaf.shape, i.max, d), leaf.shape, d)
    return sp.Box(np.full(leaf.shape, -np.inf, d),
                  np.full(leaf.shape, np.inf, d), leaf.shape, d)


def _struct_field(lf, size):
    """LF as a field of a structured dtype over a blob of SIZE bytes:
    (format, holds "v"), or None when it does not fit one."""
    n = lf.dtype.itemsize
    if lf.shape == ():
        return lf.dtype, False
    contiguous = []
    for d in reversed(lf.shape):
        contiguous.insert(0, n)
        n *= d
    if list(lf.strides) == contiguous:
        return (lf.dtype, lf.shape), False
    if len(lf.shape) == 1 and lf.strides[0] >= lf.dtype.itemsize and \
            lf.offset + lf.shape[0] * lf.strides[0] <= size:
        el = np.dtype({"names": ["v"], "formats": [lf.dtype],
                       "offsets": [0], "itemsize": lf.strides[0]})
        return (el, lf.shape), True
    return None


class Observer:
    """The layout -> observation mapping, in one place. OBSERVE: None (every
    scalar path of the layout as a Dict; "screen" without a layout), the
    string "screen" or "raw" (that Box alone), or a list of names: scalar
    paths, prefixes of them ("hero": every hero.*), "screen", "raw" (a
    Dict with those keys). PIXELS: the picture's shape (H, W, 3) or
    (H, W), or None: it adds "pixels" to the observation (a Dict of the
    layout's paths and "pixels"; without a layout "pixels" alone, as
    observe="pixels" is). .space is built from SP (gymnasium.spaces or
    gamehook.spaces); decode() and decode_batch() make observations."""

    def __init__(self, layout, state_size, observe, screen_size, sp=None,
                 pixels=None):
        self.sp = sp or _own.backend()
        self.layout = layout
        self.fields = list(layout["fields"]) if layout else []
        self.leaves, size = layout_leaves(layout) if layout else ([], 0)
        if layout and size != state_size:
            raise GamehookError("layout", "the layout's state blob is %d "
                                "bytes, the game's %d" % (size, state_size))
        self.state_size = state_size
        self.by_key = {lf.key: lf for lf in self.leaves}
        cols, rows = screen_size
        self.screen_shape = (int(rows), int(cols))
        self.pixels_shape = tuple(pixels) if pixels is not None else None
        self.single = None
        if observe is None:
            names = [lf.key for lf in self.leaves] if layout else None
            if names is None:
                self.single = "pixels" if pixels is not None else "screen"
                names = [self.single]
        elif isinstance(observe, str):
            if observe in ("screen", "raw", "pixels"):
                self.single = observe
            names = [observe]
        else:
            names = list(observe)
        if pixels is not None and "pixels" not in names:
            # pixels= adds the picture beside what observe= names.
            if self.single:
                self.single = None
            names.append("pixels")
        items = []
        for n in names:
            if n == "pixels":
                if pixels is None:
                    raise GamehookError("usage", "observe pixels: give "
                                        "pixels= (True, or {\"size\": "
                                        "(W, H), \"gray\": bool})")
                items.append(("pixels", "pixels"))
            elif n == "screen":
                items.append(("screen", "screen"))
            elif n == "raw":
                if not layout:
                    raise GamehookError("layout", "observe raw: the game "
                                        "has no layout loaded")
                items.append(("raw", "raw"))
            elif n in self.by_key:
                items.append((n, self.by_key[n]))
            else:
                sub = [lf for lf in self.leaves if lf.key.startswith(n + ".")]
                if not sub:
                    raise GamehookError("field", "observe: no path '%s' in "
                                        "the layout (paths: %s; or screen, "
                                        "raw, pixels)" % (n, ", ".join(
                                            self.by_key) or "none"))
                items += [(lf.key, lf) for lf in sub]
        seen = set()
        self.items = []
        for k, src in items:
            if k not in seen:
                seen.add(k)
                self.items.append((k, src))
        self.wants_screen = any(s == "screen" for _, s in self.items)
        self.wants_pixels = any(s == "pixels" for _, s in self.items)
        # The blob, for the layout's paths or "raw" (not for the screen or
        # the picture alone).
        self.wants_blob = bool(layout) and state_size > 0 and any(
            s not in ("screen", "pixels") for _, s in self.items)
        self.space = self._build(self.sp)
        self._plan_decode()

    def _one_space(self, sp, src):
        if src == "screen":
            return sp.Box(np.zeros(self.screen_shape, np.uint32),
                          np.full(self.screen_shape, 0x10FFFF, np.uint32),
                          self.screen_shape, np.uint32)
        if src == "pixels":
            sh = self.pixels_shape
            return sp.Box(np.zeros(sh, np.uint8), np.full(sh, 255, np.uint8),
                          sh, np.uint8)
        if src == "raw":
            return sp.Box(np.zeros((self.state_size,), np.uint8),
                          np.full((self.state_size,), 255, np.uint8),
                          (self.state_size,), np.uint8)
        return _box_for(sp, src)

    def _build(self, sp):
        if self.single:
            return self._one_space(sp, self.single)
        return sp.Dict(collections.OrderedDict(
            (k, self._one_space(sp, s)) for k, s in self.items))

    # Decoding.

    def screen_array(self, rows):
        rows_n, cols = self.screen_shape
        a = np.full(self.screen_shape, 32, np.uint32)
        for i, r in enumerate(rows[:rows_n]):
            r = r[:cols]
            if r:
                a[i, :len(r)] = np.frombuffer(r.encode("utf-32-le"), "<u4")
        return a

    def _leaf(self, buf, lf, lead=(), lead_strides=()):
        a = np.ndarray(lead + lf.shape, lf.dtype, buf, lf.offset,
                       lead_strides + lf.strides)
        return a.astype(lf.native) if lf.dtype != lf.native else a

    def _plan_decode(self):
        """decode_batch's table: (key, shape, dtype, offset, strides,
        native dtype or None) a leaf, "screen" and "raw" by name; and
        decode's plan."""
        self._table = [(k, None, None, None, None, src) if isinstance(src, str)
                       else (k, src.shape, src.dtype, src.offset, src.strides,
                             None if src.dtype == src.native else src.native)
                       for k, src in self.items]
        # decode(): one structured dtype over the whole blob, a field a
        # leaf, so that a leaf's array is one field lookup of a 0-d view
        # (half the cost of making each array by hand). A leaf strided
        # over an array of structs is a field of its own structs, holding
        # its value as "v"; one that does not fit is made by hand.
        names, formats, offsets, plan = [], [], [], []
        for k, src in self.items:
            f = None if isinstance(src, str) else _struct_field(
                src, self.state_size)
            if f is None:
                plan.append((k, 0 if isinstance(src, str) else 1, src, None))
                continue
            names.append(k)
            formats.append(f[0])
            offsets.append(src.offset)
            plan.append((k, 3 if f[1] else 2, None,
                         None if src.dtype == src.native else src.native))
        self._struct = None
        if names:
            try:
                self._struct = np.dtype({"names": names, "formats": formats,
                                         "offsets": offsets,
                                         "itemsize": self.state_size})
            except (ValueError, TypeError):
                plan = [(k, 0 if isinstance(s, str) else 1, s, None)
                        for k, s in self.items]
        self._dplan = plan

    def decode(self, blob, screen_rows=None, pixels=None):
        """One observation from the blob (bytes), the screen's rows and the
        picture (an array, taken as it is): arrays are writable views of
        one copy of the blob."""
        buf = bytearray(blob) if blob is not None else None
        rec = np.ndarray((), self._struct, buf) if self._struct is not None \
            else None
        out = {}
        for k, how, src, other in self._dplan:
            if how == 2:            # a field
                a = rec[k]
            elif how == 3:          # a field of structs, holding "v"
                a = rec[k]["v"]
            elif how == 1:          # a leaf made by hand
                a = self._leaf(buf, src)
            elif src == "screen":
                out[k] = self.screen_array(screen_rows)
                continue
            elif src == "pixels":
                out[k] = pixels
                continue
            else:
                out[k] = np.frombuffer(buf, np.uint8).copy()
                continue
            out[k] = a if other is None else a.astype(other)
        return out[self.single] if self.single else out

    def decode_batch(self, blobs, screens=None, pixels=None):
        """Observations of several games stacked: every array gains a
        leading axis (gymnasium's batch_space)."""
        n = len(blobs)
        out = {}
        if self.wants_blob:
            buf = np.empty((n, self.state_size), np.uint8)
            for i, b in enumerate(blobs):
                buf[i] = np.frombuffer(b, np.uint8)
        nd = np.ndarray
        lead, lst = (n,), (self.state_size,)
        for k, shape, dt, off, st, other in self._table:
            if shape is not None:
                a = nd(lead + shape, dt, buf, off, lst + st)
                out[k] = a if other is None else a.astype(other)
            elif other == "screen":
                out[k] = np.stack([self.screen_array(s) for s in screens])
            elif other == "pixels":
                out[k] = np.stack(pixels)
            else:
                out[k] = buf
        return out[self.single] if self.single else out

    def value(self, blob, key):
        """One scalar path's value as a Python number."""
        lf = self.by_key.get(key)
        if lf is None or lf.shape != ():
            raise GamehookError("field", "'%s' is not a scalar path of the "
                                "layout (scalar paths: %s)" % (key, ", ".join(
                                    k for k, v in self.by_key.items()
                                    if v.shape == ())))
        return np.frombuffer(blob, lf.dtype, 1, lf.offset)[0].item()


class State(collections.abc.Mapping):
    """What reward and termination callables see: every scalar path of the
    layout (state["hero.hp"]: an array; state.value("hero.hp"): a number),
    the blob, frame, vtime_ns and the unreadable fields."""

    def __init__(self, observer, blob, frame, vtime_ns, unreadable):
        self.observer = observer
        self.blob = blob
        self.frame = frame
        self.vtime_ns = vtime_ns
        self.unreadable = unreadable

    def __getitem__(self, key):
        lf = self.observer.by_key[key]
        return self.observer._leaf(bytearray(self.blob), lf)

    def __iter__(self):
        return iter(self.observer.by_key)

    def __len__(self):
        return len(self.observer.by_key)

    def value(self, key):
        return self.observer.value(self.blob, key)
