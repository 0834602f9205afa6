"""Spaces with Gymnasium's semantics, for when gymnasium is not installed
(Debian does not package it): Discrete, Box, MultiBinary, MultiDiscrete
and Dict with sample(), contains() (and `in`), seed() and np_random, the
same constructor arguments, dtypes and sampling rules as gymnasium.spaces
1.x, and batch_space() as gymnasium.vector.utils has it.

backend() is the module GameEnv builds its spaces from: gymnasium.spaces
when gymnasium can be imported (Gymnasium's checker rejects other space
classes), this module otherwise. Code that builds spaces writes
`sp = spaces.backend(); sp.Box(...)` and works with either.
"""
import collections
import numbers

import numpy as np


def backend():
    """gymnasium.spaces when importable, else this module."""
    try:
        import gymnasium.spaces as gs
        return gs
    except ImportError:
        import sys
        return sys.modules[__name__]


def _rng(seed=None):
    if seed is not None and not (isinstance(seed, (int, np.integer))
                                 and seed >= 0):
        raise ValueError("seed must be a non-negative integer or None, "
                         "not %r" % (seed,))
    return np.random.default_rng(seed)


class Space:
    """The base: a shape, a dtype and a generator of its own."""

    def __init__(self, shape=None, dtype=None, seed=None):
        self._shape = None if shape is None else tuple(shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self._np_random = None
        if seed is not None:
            self.seed(seed)

    @property
    def shape(self):
        return self._shape

    @property
    def np_random(self):
        if self._np_random is None:
            self.seed()
        return self._np_random

    @property
    def is_np_flattenable(self):
        return True

    def seed(self, seed=None):
        """Seed this space's generator; returns [seed]."""
        self._np_random = _rng(seed)
        return [seed]

    def sample(self, mask=None):
        raise NotImplementedError

    def contains(self, x):
        raise NotImplementedError

    def __contains__(self, x):
        return self.contains(x)


class Discrete(Space):
    """The integers start .. start+n-1, as np.int64."""

    def __init__(self, n, seed=None, start=0):
        if not (isinstance(n, (numbers.Integral, np.integer)) and n > 0):
            raise ValueError("Discrete: n must be a positive integer, not %r"
                             % (n,))
        self.n = np.int64(n)
        self.start = np.int64(start)
        super().__init__((), np.int64, seed)

    def sample(self, mask=None):
        if mask is not None:
            mask = np.asarray(mask, dtype=np.int8)
            valid = np.flatnonzero(mask == 1)
            if valid.size == 0:
                return self.start
            return np.int64(self.start + self.np_random.choice(valid))
        return np.int64(self.start + self.np_random.integers(self.n))

    def contains(self, x):
        if isinstance(x, int):
            v = np.int64(x)
        elif isinstance(x, (np.generic, np.ndarray)) and \
                np.issubdtype(x.dtype, np.integer) and x.shape == ():
            v = np.int64(x)
        else:
            return False
        return bool(self.start <= v < self.start + self.n)

    def __repr__(self):
        if self.start != 0:
            return "Discrete(%d, start=%d)" % (self.n, self.start)
        return "Discrete(%d)" % self.n

    def __eq__(self, other):
        return isinstance(other, Discrete) and self.n == other.n and \
            self.start == other.start


def _bound(v, dtype, shape, high):
    """A bound broadcast to SHAPE; None or an infinite bound of an integer
    (or bool) dtype becomes the dtype's limit."""
    if dtype == np.bool_:
        v = (1 if high else 0) if v is None else v
        return np.broadcast_to(np.asarray(v).astype(np.bool_), shape).copy()
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        if v is None or (np.ndim(v) == 0 and np.isinf(float(v))):
            return np.full(shape, info.max if high else info.min, dtype)
        return np.broadcast_to(np.asarray(v).astype(dtype), shape).copy()
    if v is None:
        v = np.inf if high else -np.inf
    return np.broadcast_to(np.asarray(v).astype(dtype), shape).copy()


class Box(Space):
    """Arrays of SHAPE and DTYPE between LOW and HIGH (each a scalar or an
    array of the shape; +-inf for an unbounded float)."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        dtype = np.dtype(dtype)
        if not (np.issubdtype(dtype, np.integer) or
                np.issubdtype(dtype, np.floating) or dtype == np.bool_):
            raise ValueError("Box: dtype %s is not a number or bool" % dtype)
        if shape is None:
            for b in (low, high):
                if isinstance(b, np.ndarray) and b.shape != ():
                    shape = b.shape
                    break
            else:
                shape = ()
        elif isinstance(shape, numbers.Integral):
            shape = (shape,)
        shape = tuple(int(d) for d in shape)
        self.low = _bound(low, dtype, shape, False)
        self.high = _bound(high, dtype, shape, True)
        if self.low.shape != shape or self.high.shape != shape:
            raise ValueError("Box: bounds do not match shape %r" % (shape,))
        if np.any(self.low > self.high):
            raise ValueError("Box: low > high")
        super().__init__(shape, dtype, seed)
        if np.issubdtype(dtype, np.floating):
            self.bounded_below = np.isfinite(self.low)
            self.bounded_above = np.isfinite(self.high)
        else:
            self.bounded_below = np.ones(shape, bool)
            self.bounded_above = np.ones(shape, bool)

    def is_bounded(self, manner="both"):
        below, above = bool(np.all(self.bounded_below)), \
            bool(np.all(self.bounded_above))
        return {"both": below and above, "below": below,
                "above": above}[manner]

    def sample(self, mask=None):
        r = self.np_random
        if self.dtype == np.bool_:
            lo = self.low.astype(np.int8)
            hi = self.high.astype(np.int8)
            return r.integers(lo, hi, endpoint=True).astype(np.bool_)
        if np.issubdtype(self.dtype, np.integer):
            return r.integers(self.low, self.high, endpoint=True,
                              dtype=self.dtype).reshape(self.shape)
        # Gymnasium's rule: uniform when bounded, exponential when bounded
        # on one side, normal when unbounded.
        s = np.empty(self.shape, np.float64)
        lo = self.low.astype(np.float64)
        hi = self.high.astype(np.float64)
        both = self.bounded_below & self.bounded_above
        below = self.bounded_below & ~self.bounded_above
        above = ~self.bounded_below & self.bounded_above
        none = ~self.bounded_below & ~self.bounded_above
        s[none] = r.normal(size=none[none].shape)
        s[below] = r.exponential(size=below[below].shape) + lo[below]
        s[above] = hi[above] - r.exponential(size=above[above].shape)
        s[both] = r.uniform(lo[both], hi[both], size=both[both].shape)
        return s.astype(self.dtype)

    def contains(self, x):
        if not isinstance(x, np.ndarray):
            try:
                x = np.asarray(x, dtype=self.dtype)
            except (ValueError, TypeError, OverflowError):
                return False
        return bool(np.can_cast(x.dtype, self.dtype) and
                    x.shape == self.shape and np.all(x >= self.low) and
                    np.all(x <= self.high))

    def __repr__(self):
        def b(a):
            return str(a.flat[0]) if a.size and np.all(a == a.flat[0]) \
                else str(a)
        return "Box(%s, %s, %r, %s)" % (b(self.low), b(self.high),
                                        self.shape, self.dtype)

    def __eq__(self, other):
        return isinstance(other, Box) and self.shape == other.shape and \
            self.dtype == other.dtype and np.array_equal(self.low, other.low) \
            and np.array_equal(self.high, other.high)


class MultiBinary(Space):
    """Arrays of 0s and 1s (np.int8) of shape N (an int or a shape)."""

    def __init__(self, n, seed=None):
        shape = (int(n),) if isinstance(n, (numbers.Integral, np.integer)) \
            else tuple(int(d) for d in n)
        if not all(d > 0 for d in shape):
            raise ValueError("MultiBinary: n must be positive, not %r" % (n,))
        self.n = n
        super().__init__(shape, np.int8, seed)

    def sample(self, mask=None):
        if mask is not None:
            mask = np.asarray(mask, dtype=np.int8)
            s = self.np_random.integers(0, 2, self.shape, dtype=np.int8)
            return np.where(mask == 2, s, mask).astype(np.int8)
        return self.np_random.integers(0, 2, self.shape, dtype=np.int8)

    def contains(self, x):
        if isinstance(x, (list, tuple)):
            x = np.array(x)
        return bool(isinstance(x, np.ndarray) and x.shape == self.shape and
                    np.issubdtype(x.dtype, np.integer) and
                    np.all((x == 0) | (x == 1)))

    def __repr__(self):
        return "MultiBinary(%r)" % (self.n,)

    def __eq__(self, other):
        return isinstance(other, MultiBinary) and self.shape == other.shape


class MultiDiscrete(Space):
    """Arrays whose element i is in start[i] .. start[i]+nvec[i]-1."""

    def __init__(self, nvec, dtype=np.int64, seed=None, start=None):
        self.nvec = np.array(nvec, dtype=dtype, copy=True)
        self.start = np.zeros_like(self.nvec) if start is None else \
            np.array(start, dtype=dtype, copy=True)
        if self.start.shape != self.nvec.shape:
            raise ValueError("MultiDiscrete: start and nvec differ in shape")
        if not np.all(self.nvec > 0):
            raise ValueError("MultiDiscrete: nvec must be positive")
        super().__init__(self.nvec.shape, dtype, seed)

    def sample(self, mask=None):
        return (self.np_random.random(self.nvec.shape) * self.nvec).astype(
            self.dtype) + self.start

    def contains(self, x):
        if isinstance(x, (list, tuple)):
            x = np.array(x)
        if not isinstance(x, np.ndarray) or x.shape != self.shape or \
                x.dtype == object or not np.issubdtype(x.dtype, np.integer):
            return False
        return bool(np.all(self.start <= x) and
                    np.all(x - self.start < self.nvec))

    def __repr__(self):
        return "MultiDiscrete(%s)" % (self.nvec,)

    def __eq__(self, other):
        return isinstance(other, MultiDiscrete) and \
            np.array_equal(self.nvec, other.nvec) and \
            np.array_equal(self.start, other.start)


class Dict(Space):
    """A dict of spaces; its samples are dicts with the same keys. Keys
    are sorted unless an OrderedDict (or a list of pairs) gives the
    order, as Gymnasium does."""

    def __init__(self, spaces=None, seed=None, **kw):
        if spaces is None:
            spaces = {}
        if isinstance(spaces, collections.abc.Mapping) and \
                not isinstance(spaces, collections.OrderedDict):
            try:
                spaces = dict(sorted(spaces.items()))
            except TypeError:
                spaces = dict(spaces.items())
        elif isinstance(spaces, collections.abc.Sequence):
            spaces = dict(spaces)
        spaces = dict(spaces)
        spaces.update(kw)
        for k, s in spaces.items():
            if not isinstance(s, Space):
                raise ValueError("Dict: %r is not a space (%r)" % (k, s))
        self.spaces = spaces
        super().__init__(None, None, None)
        if seed is not None:
            self.seed(seed)

    def seed(self, seed=None):
        """An int seeds every subspace with a seed drawn from it."""
        self._np_random = _rng(seed)
        if seed is None:
            return [seed] + [s for sp in self.spaces.values()
                             for s in sp.seed(None)]
        seeds = self._np_random.integers(2 ** 31, size=len(self.spaces))
        out = [seed]
        for sp, s in zip(self.spaces.values(), seeds):
            out += sp.seed(int(s))
        return out

    def sample(self, mask=None):
        return {k: sp.sample(None if mask is None else mask[k])
                for k, sp in self.spaces.items()}

    def contains(self, x):
        return bool(isinstance(x, dict) and x.keys() == self.spaces.keys()
                    and all(x[k] in sp for k, sp in self.spaces.items()))

    def __getitem__(self, key):
        return self.spaces[key]

    def keys(self):
        return self.spaces.keys()

    def items(self):
        return self.spaces.items()

    def __iter__(self):
        return iter(self.spaces)

    def __len__(self):
        return len(self.spaces)

    def __repr__(self):
        return "Dict(%s)" % ", ".join("%r: %r" % kv
                                       for kv in self.spaces.items())

    def __eq__(self, other):
        return isinstance(other, Dict) and self.spaces == other.spaces


def batch_space(space, n=1):
    """The space of N stacked samples of SPACE, as
    gymnasium.vector.utils.batch_space builds it: a Box gains a leading
    axis, Discrete becomes MultiDiscrete, MultiBinary a Box of 0..1 int8,
    MultiDiscrete a Box, Dict a Dict of batched spaces."""
    if isinstance(space, Box):
        return Box(np.stack([space.low] * n), np.stack([space.high] * n),
                   dtype=space.dtype)
    if isinstance(space, Discrete):
        return MultiDiscrete(np.full((n,), space.n, dtype=space.dtype),
                             dtype=space.dtype,
                             start=np.full((n,), space.start,
                                           dtype=space.dtype))
    if isinstance(space, MultiBinary):
        return Box(0, 1, (n,) + space.shape, dtype=space.dtype)
    if isinstance(space, MultiDiscrete):
        return Box(np.stack([space.start] * n),
                   np.stack([space.start + space.nvec - 1] * n),
                   dtype=space.dtype)
    if isinstance(space, Dict):
        return Dict(collections.OrderedDict(
            (k, batch_space(s, n)) for k, s in space.spaces.items()))
    raise TypeError("batch_space: %r is not a space gamehook batches"
                    % (space,))
