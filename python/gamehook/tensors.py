"""dm_env_rpc tensors and specs from numpy arrays and spaces, and back
(schema/dm_env_rpc.proto): what gamehookd and gamehook.remote put on the
wire. A space's JSON description (describe/rebuild) carries what a spec
cannot say (Discrete against a bounded integer Box), for gamehook's own
client."""
import numpy as np

from ._proto import load

pb = load("dm_env_rpc_pb2")

# numpy dtype -> (DataType, Tensor payload field, the spec's bounds field).
# Narrower integers travel widened, as dm_env_rpc has no 16-bit arrays.
_BY_KIND = {
    "float32": (pb.FLOAT, "floats"), "float64": (pb.DOUBLE, "doubles"),
    "int8": (pb.INT8, "int8s"), "int16": (pb.INT32, "int32s"),
    "int32": (pb.INT32, "int32s"), "int64": (pb.INT64, "int64s"),
    "uint8": (pb.UINT8, "uint8s"), "uint16": (pb.UINT32, "uint32s"),
    "uint32": (pb.UINT32, "uint32s"), "uint64": (pb.UINT64, "uint64s"),
    "bool": (pb.BOOL, "bools"), "float16": (pb.FLOAT, "floats"),
}
# DataType -> (numpy dtype, payload field)
_BY_TYPE = {pb.FLOAT: ("float32", "floats"), pb.DOUBLE: ("float64", "doubles"),
            pb.INT8: ("int8", "int8s"), pb.INT32: ("int32", "int32s"),
            pb.INT64: ("int64", "int64s"), pb.UINT8: ("uint8", "uint8s"),
            pb.UINT32: ("uint32", "uint32s"), pb.UINT64: ("uint64", "uint64s"),
            pb.BOOL: ("bool", "bools"), pb.STRING: (object, "strings")}
_FIELD_TYPE = {field: t for t, (_, field) in _BY_TYPE.items()}


def data_type(dtype):
    """The DataType an array of numpy DTYPE travels as."""
    dtype = np.dtype(dtype)
    if dtype.kind in "USO":
        return pb.STRING
    try:
        return _BY_KIND[dtype.name][0]
    except KeyError:
        raise ValueError("dtype %s has no dm_env_rpc type" % dtype) from None


def np_dtype(data_type_):
    """The numpy dtype of a DataType (STRING: object)."""
    try:
        return np.dtype(_BY_TYPE[data_type_][0])
    except KeyError:
        raise ValueError("data type %s is not supported" %
                         pb.DataType.Name(data_type_)
                         if data_type_ in pb.DataType.values()
                         else "data type %d is unknown" % data_type_) from None


def _fill(arr_msg, field, flat):
    if field in ("int8s", "uint8s"):
        arr_msg.array = flat.tobytes()
    elif field == "strings":
        arr_msg.array.extend(str(s) for s in flat.tolist())
    else:
        arr_msg.array.extend(flat.tolist())


def pack(value, dtype=None, out=None):
    """A Tensor holding VALUE (array-like), as DTYPE when given; into OUT
    (a Tensor, e.g. a map's entry) when given."""
    arr = np.asarray(value, dtype=dtype)
    t = pb.Tensor() if out is None else out
    dt = data_type(arr.dtype)
    field = _BY_TYPE[dt][1]
    if dt != pb.STRING:
        arr = arr.astype(_BY_TYPE[dt][0], copy=False)
    _fill(getattr(t, field), field, arr.ravel())
    t.shape.extend(arr.shape)
    return t


def packer(data_type_):
    """pack() for one DataType, its lookups done once: f(value, out)."""
    npt, field = _BY_TYPE[data_type_]
    npt = None if field == "strings" else np.dtype(npt)

    def f(value, out):
        arr = np.asarray(value, dtype=npt)
        _fill(getattr(out, field), field, arr.ravel())
        if arr.ndim:
            out.shape.extend(arr.shape)
    return f


def unpack(t, dtype=None):
    """The numpy array a Tensor holds; with DTYPE (a DataType), a payload
    of another type is a ValueError. A scalar payload fills its shape; one
    negative dimension is inferred. Bad shapes raise ValueError."""
    field = t.WhichOneof("payload")
    if field is None:
        raise ValueError("tensor has no payload")
    if field == "protos":
        raise ValueError("tensors of protos are not supported")
    if dtype is not None and _FIELD_TYPE[field] != dtype:
        raise ValueError("tensor of %s where %s was expected" % (
            pb.DataType.Name(_FIELD_TYPE[field]), pb.DataType.Name(dtype)))
    npt, _ = _BY_TYPE[_FIELD_TYPE[field]]
    data = getattr(t, field).array
    if field in ("int8s", "uint8s"):
        flat = np.frombuffer(data, dtype=npt)
    elif field == "strings":
        flat = np.array(list(data), dtype=object)
    else:
        flat = np.array(data, dtype=npt)
    shape = list(t.shape)
    if sum(1 for d in shape if d < 0) > 1:
        raise ValueError("shape %s: only one dimension may be negative" % shape)
    known = int(np.prod([d for d in shape if d >= 0])) if shape else 1
    if any(d < 0 for d in shape):
        if known == 0 or flat.size % known:
            raise ValueError("shape %s does not fit %d elements" %
                             (shape, flat.size))
        shape = [flat.size // known if d < 0 else d for d in shape]
        known = flat.size
    if flat.size == 1 and known != 1:
        flat = np.full(known, flat[0], dtype=flat.dtype)
    if flat.size != known:
        raise ValueError("shape %s wants %d elements, the payload has %d" %
                         (shape, known, flat.size))
    return flat.reshape(shape)


def _bound(value_msg, dt, arr):
    field = _BY_TYPE[dt][1]
    arr = np.asarray(arr).astype(_BY_TYPE[dt][0]).ravel()
    if arr.size and (arr == arr[0]).all():
        arr = arr[:1]
    _fill(getattr(value_msg, field), field, arr)


def _bounds(space):
    """(kind, numpy dtype, shape, low, high) of a leaf space."""
    kind = type(space).__name__
    if kind == "Discrete":
        start = int(getattr(space, "start", 0))
        return kind, np.dtype("int64"), (), start, start + int(space.n) - 1
    if kind == "MultiBinary":
        return kind, np.dtype("int8"), tuple(space.shape), 0, 1
    if kind == "MultiDiscrete":
        nvec = np.asarray(space.nvec)
        start = np.asarray(getattr(space, "start", 0))
        return kind, np.dtype("int64"), nvec.shape, start + 0 * nvec, \
            start + nvec - 1
    if kind == "Box":
        return kind, np.dtype(space.dtype), tuple(space.shape), space.low, \
            space.high
    raise ValueError("space %s has no tensor spec" % kind)


def leaves(space, prefix=""):
    """[(name, leaf space)] of SPACE: a Dict's leaves named with dots."""
    if type(space).__name__ == "Dict":
        out = []
        for k, sub in space.spaces.items():
            out += leaves(sub, prefix + k + ".")
        return out
    return [(prefix[:-1] or "observation", space)]


def spec(name, space):
    """The TensorSpec of a leaf SPACE."""
    kind, dtype, shape, low, high = _bounds(space)
    s = pb.TensorSpec(name=name, shape=list(shape), dtype=data_type(dtype))
    if s.dtype not in (pb.STRING, pb.BOOL):
        lo, hi = np.asarray(low), np.asarray(high)
        if not (lo.dtype.kind == "f" and np.isinf(lo).all()):
            _bound(s.min, s.dtype, np.broadcast_to(lo, shape) if shape else lo)
        if not (hi.dtype.kind == "f" and np.isinf(hi).all()):
            _bound(s.max, s.dtype, np.broadcast_to(hi, shape) if shape else hi)
    return s


def spec_bounds(s):
    """(min, max) arrays of a TensorSpec, broadcast to its shape (None
    where absent)."""
    out = []
    for v in (s.min, s.max):
        f = v.WhichOneof("payload")
        if f is None:
            out.append(None)
            continue
        arr = np.asarray(getattr(v, f).array if f not in ("int8s", "uint8s")
                         else np.frombuffer(getattr(v, f).array, _BY_TYPE[
                             _FIELD_TYPE[f]][0]))
        out.append(np.full(tuple(s.shape), arr.ravel()[0]) if arr.size == 1
                   else arr.reshape(tuple(s.shape)))
    return tuple(out)


def check(arr, s, bounds=None):
    """ARR against TensorSpec S: shape and bounds (BOUNDS: spec_bounds(S),
    if known); ValueError says how it is outside."""
    if list(arr.shape) != list(s.shape):
        raise ValueError("%s: shape %s, the spec's is %s" % (
            s.name, list(arr.shape), list(s.shape)))
    lo, hi = bounds or spec_bounds(s)
    if lo is not None and (arr < lo).any():
        raise ValueError("%s: %s below the minimum %s" % (
            s.name, arr.tolist(), lo.tolist()))
    if hi is not None and (arr > hi).any():
        raise ValueError("%s: %s above the maximum %s" % (
            s.name, arr.tolist(), hi.tolist()))


def describe(space):
    """SPACE as JSON-able data, for rebuild() on the other side."""
    kind = type(space).__name__
    if kind == "Dict":
        return {"type": kind, "spaces": {k: describe(v)
                                         for k, v in space.spaces.items()}}
    if kind == "Discrete":
        return {"type": kind, "n": int(space.n),
                "start": int(getattr(space, "start", 0))}
    if kind == "MultiBinary":
        return {"type": kind, "n": np.asarray(space.n).tolist()}
    if kind == "MultiDiscrete":
        return {"type": kind, "nvec": np.asarray(space.nvec).tolist()}
    if kind == "Box":
        def lst(a):
            a = np.asarray(a)
            if a.dtype.kind == "f":
                return [None if np.isinf(x) else float(x)
                        for x in a.ravel().tolist()] if a.size else []
            return a.ravel().tolist()
        return {"type": kind, "shape": list(space.shape),
                "dtype": np.dtype(space.dtype).str,
                "low": lst(space.low), "high": lst(space.high)}
    raise ValueError("space %s cannot be described" % kind)


def rebuild(d, spaces):
    """The space describe() gave D, built with the module SPACES
    (gymnasium.spaces or gamehook.spaces)."""
    kind = d["type"]
    if kind == "Dict":
        import collections
        return spaces.Dict(collections.OrderedDict(
            (k, rebuild(v, spaces)) for k, v in d["spaces"].items()))
    if kind == "Discrete":
        return spaces.Discrete(d["n"], start=d.get("start", 0))
    if kind == "MultiBinary":
        return spaces.MultiBinary(d["n"])
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(d["nvec"])
    dtype = np.dtype(d["dtype"])
    shape = tuple(d["shape"])

    def arr(v, inf):
        a = np.array([inf if x is None else x for x in v],
                     dtype=dtype if dtype.kind != "f" else "float64")
        return a.reshape(shape).astype(dtype)
    return spaces.Box(arr(d["low"], -np.inf), arr(d["high"], np.inf),
                      shape=shape, dtype=dtype)
