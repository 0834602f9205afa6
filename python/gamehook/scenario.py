"""Scenario files: the reward and the end of an episode, declared over a
layout's fields, in the spirit of stable-retro's scenario.json.

    {
      "reward": {"variables": {"hero.score": {"reward": 1.0},
                               "hero.hp":    {"reward": 0.5}}},
      "done":   {"condition": "any",
                 "variables": {"game.state": {"op": "equal", "reference": 2},
                               "hero.hp":    {"op": "less-or-equal",
                                              "reference": 0}}},
      "truncate": {"max_steps": 3000}
    }

reward: the weighted change of each variable over a step (its value after
the step less its value before, times "reward"; "measurement": "absolute"
weighs the value itself). done: comparisons of a value with "reference"
("op": equal, not-equal, less-than, greater-than, less-or-equal,
greater-or-equal, or ==, !=, <, >, <=, >=; zero, nonzero, negative,
positive need no reference), ended when "any" (the default) or "all" of
them hold: the episode is terminated. truncate.max_steps: steps after which
the episode is truncated. Variables are paths of scalar values of the
layout (hero.hp, game.state): the keys of GameEnv's observation Dict.
"""
import json
import operator

from .errors import GamehookError

OPS = {
    "equal": operator.eq, "==": operator.eq,
    "not-equal": operator.ne, "!=": operator.ne,
    "less-than": operator.lt, "<": operator.lt,
    "greater-than": operator.gt, ">": operator.gt,
    "less-or-equal": operator.le, "<=": operator.le,
    "greater-or-equal": operator.ge, ">=": operator.ge,
}
UNARY = {
    "zero": lambda v: v == 0, "nonzero": lambda v: v != 0,
    "negative": lambda v: v < 0, "positive": lambda v: v > 0,
}


def _fail(where, path, why):
    raise GamehookError("scenario", "%s: %s: %s" % (where, path, why))


def _keys(where, path, obj, allowed):
    if not isinstance(obj, dict):
        _fail(where, path, "must be an object, not %s" % type(obj).__name__)
    for k in obj:
        if k not in allowed:
            _fail(where, path, "unknown key '%s' (known: %s)" % (
                k, ", ".join(allowed)))


def _number(where, path, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        _fail(where, path, "must be a number, not %r" % (v,))
    return v


class Scenario:
    """A parsed scenario: .rewards [(path, weight, absolute)], .done
    [(path, op name, test)], .condition ("any" or "all"), .max_steps (or
    None), .variables (every path it reads)."""

    def __init__(self, spec, where="scenario"):
        _keys(where, "(top)", spec, ("reward", "done", "truncate"))
        self.rewards = []
        self.done = []
        self.condition = "any"
        self.max_steps = None
        r = spec.get("reward", {})
        _keys(where, "reward", r, ("variables",))
        for path, v in r.get("variables", {}).items():
            p = "reward.variables." + path
            _keys(where, p, v, ("reward", "measurement"))
            m = v.get("measurement", "delta")
            if m not in ("delta", "absolute"):
                _fail(where, p + ".measurement",
                      "'%s' is not delta or absolute" % m)
            self.rewards.append((path, float(_number(
                where, p + ".reward", v.get("reward", 1.0))), m == "absolute"))
        d = spec.get("done", {})
        _keys(where, "done", d, ("condition", "variables"))
        self.condition = d.get("condition", "any")
        if self.condition not in ("any", "all"):
            _fail(where, "done.condition", "'%s' is not any or all"
                  % self.condition)
        for path, v in d.get("variables", {}).items():
            p = "done.variables." + path
            _keys(where, p, v, ("op", "reference"))
            op = v.get("op")
            if op in UNARY:
                if "reference" in v:
                    _fail(where, p + ".reference", "'%s' takes none" % op)
                test = UNARY[op]
            elif op in OPS:
                if "reference" not in v:
                    _fail(where, p, "'%s' needs a reference" % op)
                ref = _number(where, p + ".reference", v["reference"])
                test = (lambda f, ref: lambda x: f(x, ref))(OPS[op], ref)
            else:
                _fail(where, p + ".op", "%r is not one of %s" % (
                    op, ", ".join(list(OPS) + list(UNARY))))
            self.done.append((path, op, test))
        t = spec.get("truncate", {})
        _keys(where, "truncate", t, ("max_steps",))
        if "max_steps" in t:
            n = t["max_steps"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                _fail(where, "truncate.max_steps",
                      "must be an integer >= 1, not %r" % (n,))
            self.max_steps = n
        seen = []
        for path in [p for p, _, _ in self.rewards] + \
                [p for p, _, _ in self.done]:
            if path not in seen:
                seen.append(path)
        self.variables = seen

    @classmethod
    def load(cls, src):
        """A Scenario from a path, a dict, or a Scenario."""
        if isinstance(src, Scenario):
            return src
        if isinstance(src, dict):
            return cls(src)
        try:
            with open(src) as f:
                spec = json.load(f)
        except OSError as e:
            raise GamehookError("scenario", "%s: %s" % (src, e.strerror))
        except ValueError as e:
            raise GamehookError("scenario", "%s: not JSON: %s" % (src, e))
        return cls(spec, where=str(src))

    def reward(self, prev, now):
        """The step's reward from the values before (PREV) and after
        (NOW): dicts path -> number."""
        total = 0.0
        for path, w, absolute in self.rewards:
            total += w * (now[path] if absolute else now[path] - prev[path])
        return total

    def terminated(self, now):
        if not self.done:
            return False
        hits = (test(now[path]) for path, _, test in self.done)
        return any(hits) if self.condition == "any" else all(hits)
