"""An environment checker modelled on gymnasium.utils.env_checker.check_env
(gymnasium is not packaged by Debian, so its own checker cannot run here):
the spaces are spaces, reset and step return what Gymnasium's API says with
observations inside the observation space, reset(seed=) is deterministic
and reseeds np_random, render and close behave. Raises CheckFailure with
what is wrong."""
import numpy as np


class CheckFailure(Exception):
    pass


def _ok(cond, msg):
    if not cond:
        raise CheckFailure(msg)


def _same(a, b):
    """Observations equal, dtypes included (Gymnasium's data_equivalence)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and \
            all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and \
            a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def _space_ok(space, sp, what):
    _ok(isinstance(space, sp.Space), "%s is not a %s.Space: %r"
        % (what, sp.__name__, space))
    if isinstance(space, sp.Dict):
        for k, s in space.spaces.items():
            _space_ok(s, sp, "%s[%r]" % (what, k))
    elif isinstance(space, sp.Box):
        _ok(space.low.shape == space.shape and space.high.shape ==
            space.shape, "%s: bounds' shapes differ from %r" % (what,
                                                              space.shape))
        _ok(space.low.dtype == space.dtype and space.high.dtype ==
            space.dtype, "%s: bounds' dtypes differ from %s" % (what,
                                                              space.dtype))
        _ok(not np.any(space.low > space.high), "%s: low > high" % what)


def _obs_ok(space, obs, where):
    if isinstance(obs, dict):
        _ok(list(obs.keys()) == list(space.spaces.keys()) or
            set(obs) == set(space.spaces),
            "%s: keys %s are not the space's %s" % (
                where, sorted(obs), sorted(space.spaces)))
        for k, v in obs.items():
            _obs_ok(space.spaces[k], v, "%s[%r]" % (where, k))
        return
    _ok(isinstance(obs, np.ndarray), "%s: %r is not an ndarray" % (
        where, type(obs)))
    _ok(obs.dtype == space.dtype, "%s: dtype %s, the space's %s" % (
        where, obs.dtype, space.dtype))
    _ok(obs.shape == space.shape, "%s: shape %r, the space's %r" % (
        where, obs.shape, space.shape))
    _ok(space.contains(obs), "%s: not inside %r" % (where, space))


def check_env(env, sp, steps=50, seed=123):
    """Check ENV against Gymnasium's API with spaces module SP; returns the
    number of steps taken."""
    _space_ok(env.observation_space, sp, "observation_space")
    _space_ok(env.action_space, sp, "action_space")
    _ok(isinstance(env.metadata, dict) and "render_modes" in env.metadata,
        "metadata lacks render_modes")
    _ok(env.render_mode is None or env.render_mode in
        env.metadata["render_modes"], "render_mode not in render_modes")

    # reset: (obs, info); reset(seed) deterministic, np_random reseeded.
    r = env.reset(seed=seed)
    _ok(isinstance(r, tuple) and len(r) == 2, "reset returned %r, not "
        "(obs, info)" % (type(r),))
    obs1, info = r
    _ok(isinstance(info, dict), "reset's info is a %s" % type(info))
    _obs_ok(env.observation_space, obs1, "reset obs")
    draw1 = env.np_random.random()
    obs2, _ = env.reset(seed=seed)
    draw2 = env.np_random.random()
    _ok(_same(obs1, obs2), "reset(seed=%d) twice gave different "
        "observations" % seed)
    _ok(draw1 == draw2, "reset(seed=%d) does not reseed np_random" % seed)
    obs3, _ = env.reset()
    _obs_ok(env.observation_space, obs3, "reset() obs")

    # step: five values of the right types, obs inside the space.
    env.action_space.seed(seed)
    n = 0
    for _ in range(steps):
        r = env.step(env.action_space.sample())
        _ok(isinstance(r, tuple) and len(r) == 5, "step returned %r, not "
            "(obs, reward, terminated, truncated, info)" % (type(r),))
        obs, reward, terminated, truncated, info = r
        n += 1
        _obs_ok(env.observation_space, obs, "step %d obs" % n)
        _ok(isinstance(reward, (float, int, np.floating, np.integer)) and
            not isinstance(reward, bool), "reward %r is not a number"
            % (reward,))
        _ok(np.isfinite(reward), "reward %r is not finite" % reward)
        _ok(isinstance(terminated, (bool, np.bool_)) and
            isinstance(truncated, (bool, np.bool_)),
            "terminated/truncated %r %r are not bools" % (
                terminated, truncated))
        _ok(isinstance(info, dict), "step's info is a %s" % type(info))
        if terminated or truncated:
            env.reset()

    # Same actions after the same reset: the same observations.
    def rollout():
        o, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        out = [o]
        for _ in range(10):
            o, _, t, tr, _ = env.step(env.action_space.sample())
            out.append(o)
            if t or tr:
                break
        return out
    a, b = rollout(), rollout()
    _ok(len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b)),
        "the same seed and actions gave different episodes")

    if env.render_mode == "ansi":
        text = env.render()
        _ok(isinstance(text, str), "render() in ansi gave %r" % type(text))
    return n
