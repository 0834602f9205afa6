"""gamehook.spaces has Gymnasium's semantics: samples lie in their space
with the space's dtype and shape, seeding repeats samples, contains()
rejects wrong shapes, dtypes, bounds and types, Discrete's start,
MultiBinary and MultiDiscrete ranges, Dict's key order (sorted unless an
OrderedDict gives it) and seeding of its subspaces, Box sampling by
boundedness, bool and uint64 Boxes, and batch_space as gymnasium's
vector utilities build it."""
import collections

import numpy as np

from gh import check
from gamehook import spaces as S


def test_samples_lie_in_their_space_and_seeds_repeat():
    made = [S.Discrete(5, start=-2), S.Box(-1.5, 2.0, (3, 2)),
            S.Box(0, 10, (4,), np.int32), S.Box(None, None, (3,), np.uint64),
            S.Box(-np.inf, np.inf, (5,), np.float64),
            S.Box(np.array([0.0, -np.inf]), np.array([np.inf, 0.0])),
            S.Box(0, 1, (2, 2), np.bool_), S.MultiBinary(6),
            S.MultiBinary((2, 3)), S.MultiDiscrete([3, 4, 5]),
            S.Dict({"b": S.Discrete(2), "a": S.Box(0, 1, (2,))})]
    for sp in made:
        sp.seed(42)
        a = [sp.sample() for _ in range(20)]
        sp.seed(42)
        b = [sp.sample() for _ in range(20)]
        for x, y in zip(a, b):
            check(x in sp, "%r not in %r" % (x, sp))
            if isinstance(x, dict):
                check(all(np.array_equal(x[k], y[k]) for k in x), repr(sp))
            else:
                check(np.array_equal(x, y), "%r: seed did not repeat" % sp)
                if sp.shape is not None:
                    check(np.shape(x) == sp.shape and
                          np.asarray(x).dtype == sp.dtype,
                          "%r: sample %r" % (sp, x))
    half = made[5]
    s = np.array([half.sample() for _ in range(200)])
    check((s[:, 0] >= 0).all() and (s[:, 1] <= 0).all() and
          len(set(s[:, 0])) > 100, "half-bounded Box sampling")
    d = S.Discrete(5, start=-2)
    check({int(d.sample()) for _ in range(200)} == {-2, -1, 0, 1, 2},
          "Discrete start")


def test_contains_rejects_what_gymnasium_rejects():
    b = S.Box(0, 1, (2,), np.float32)
    for x, want in ((np.array([0.5, 1.0], np.float32), True),
                    ([0.5, 0.5], True),
                    (np.array([0.5, 1.5], np.float32), False),
                    (np.array([0.5], np.float32), False),
                    (np.array([0.5, 0.5], np.float64), False),
                    ("ab", False)):
        check((x in b) == want, "Box contains %r: %r" % (x, not want))
    i = S.Box(0, 255, (3,), np.uint8)
    check(np.array([1, 2, 3], np.uint8) in i and
          np.array([1, 2, 3], np.int64) not in i, "dtype casting")
    d = S.Discrete(3)
    check(2 in d and np.int64(0) in d and 3 not in d and -1 not in d and
          1.0 not in d and "1" not in d, "Discrete contains")
    m = S.MultiBinary(3)
    check([0, 1, 1] in m and [0, 2, 1] not in m and [0, 1] not in m,
          "MultiBinary contains")
    md = S.MultiDiscrete([2, 3])
    check([1, 2] in md and [2, 0] not in md and [0, -1] not in md,
          "MultiDiscrete contains")
    dd = S.Dict({"x": d, "y": m})
    check({"x": 1, "y": [1, 0, 1]} in dd and {"x": 1} not in dd and
          {"x": 3, "y": [1, 0, 1]} not in dd and [1] not in dd,
          "Dict contains")
    try:
        S.Box(1, 0, (2,))
        check(False, "low > high accepted")
    except ValueError:
        pass
    try:
        S.Discrete(0)
        check(False, "Discrete(0) accepted")
    except ValueError:
        pass


def test_dict_order_and_batching():
    sorted_d = S.Dict({"b": S.Discrete(2), "a": S.Discrete(3)})
    kept = S.Dict(collections.OrderedDict([("b", S.Discrete(2)),
                                           ("a", S.Discrete(3))]))
    check(list(sorted_d.keys()) == ["a", "b"] and
          list(kept.keys()) == ["b", "a"], "Dict order")
    seeds = kept.seed(7)
    check(len(seeds) == 3 and seeds[0] == 7, repr(seeds))
    x1 = kept.sample()
    kept.seed(7)
    check(kept.sample() == x1, "Dict seed")
    bd = S.batch_space(kept, 4)
    check(isinstance(bd["b"], S.MultiDiscrete) and
          list(bd["b"].nvec) == [2] * 4, repr(bd))
    bb = S.batch_space(S.Box(0, 3, (2, 5), np.int16), 3)
    check(bb.shape == (3, 2, 5) and bb.dtype == np.int16 and
          bb.high.max() == 3, repr(bb))
    bm = S.batch_space(S.MultiBinary(4), 2)
    check(isinstance(bm, S.Box) and bm.shape == (2, 4) and
          bm.dtype == np.int8, repr(bm))
    check(all(bd.sample() in bd for _ in range(10)), "batched samples")
