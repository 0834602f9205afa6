"""GameEnv and VectorEnv observe a graphical game's pixels, headless:
build/demo-gfx on a private X server each (headless=True), seeded, with
pixels={"size": (84, 84), "gray": True} and pixels=True (full size RGB):
a random agent passes the env checker (tests/lib/envcheck.py), the
observation space matches the arrays (a Dict of the layout's paths and
"pixels", the picture alone without a layout, no "pixels" when not asked
for); each step's picture is the one presented at its last frame (what
the game shows when asked afterwards, frame_skip too); a key action
changes it; reset() gives the first picture again; two envs with one seed
and the same actions give identical arrays at every step, another seed
differs; VectorEnv batches them (num_envs x H x W) and its game 0 equals
a GameEnv of the same seed; render_mode="rgb_array" is the full picture
(a gray 84x84 env renders what a full-size env of the same seed sees);
bad pixels= (and observe "pixels" without it, an unknown render_mode)
raise GamehookError("usage"); close() leaves no Xvfb behind. Through
gamehookd (GameEnv(server=), VectorEnv(server=)) headless= and pixels=
reach the server's GameEnv and the picture comes back as a uint8 tensor
equal to a local env's."""
import os
import signal
import subprocess

import numpy as np

from gh import ROOT, check
import envcheck
import xshot
from gamehook import GameEnv, GamehookError, VectorEnv, spaces

GFX = os.path.join(ROOT, "build", "demo-gfx")
LAYOUT = os.path.join(ROOT, "demo-gfx", "demo-gfx.layout.json")
GRAY84 = {"size": (84, 84), "gray": True}
NOOP, RIGHT = 0, 2      # DEFAULT_ACTIONS: [], left, right, up, down, ...


def make(**kw):
    kw.setdefault("layout", LAYOUT)
    kw.setdefault("seed", 7)
    kw.setdefault("headless", True)
    return GameEnv([GFX], **kw)


def actions(n, seed=3):
    return [int(a) for a in np.random.default_rng(seed).integers(0, 7, n)]


def auth_of(env):
    """The env's game's private X server's cookie file, checked served."""
    d = xshot.game_display(env.game._proc.pid)
    check(d.get("DISPLAY", "").startswith(":") and "XAUTHORITY" in d,
          "no private display: %r" % d)
    return d["XAUTHORITY"]


def servers_of(auth):
    return [p for p, argv in xshot.xvfb_pids().items() if auth in argv]


def test_spaces_match_the_arrays():
    with make(pixels=GRAY84) as env:
        sp = env.observation_space
        check("pixels" in sp.spaces and "player.x" in sp.spaces,
              "not the layout's paths and pixels: %r" % list(sp.spaces))
        px = sp["pixels"]
        check(px.shape == (84, 84) and px.dtype == np.uint8 and
              int(px.low.min()) == 0 and int(px.high.max()) == 255, repr(px))
        obs, info = env.reset()
        check(obs["pixels"].shape == (84, 84) and
              obs["pixels"].dtype == np.uint8 and sp.contains(obs),
              "reset: %r" % (obs["pixels"].shape,))
        obs, _, _, _, _ = env.step(RIGHT)
        check(sp.contains(obs), "step's observation outside the space")
        obs["pixels"][0, 0] ^= 1    # the caller's own, as the layout's are
        check(envcheck.check_env(env, spaces, steps=20) == 20, "checker")
    with make(pixels=True, layout=None) as env:
        sp = env.observation_space
        check(not hasattr(sp, "spaces") and sp.shape == (480, 640, 3) and
              sp.dtype == np.uint8, "no layout: not the picture alone: %r"
              % sp)
        obs, _ = env.reset()
        check(obs.shape == (480, 640, 3) and sp.contains(obs), obs.shape)
        obs, _, _, _, _ = env.step(NOOP)
        check(obs.shape == (480, 640, 3) and sp.contains(obs), obs.shape)
    # observe="pixels" with a layout: the picture alone (the layout for
    # the reward); no pixels=: the layout's observation as it was.
    with make(pixels={"gray": True}, observe="pixels") as env:
        check(env.observation_space.shape == (480, 640),
              repr(env.observation_space))
        obs, _ = env.reset()
        check(obs.shape == (480, 640), obs.shape)
    with make() as env:
        check("pixels" not in env.observation_space.spaces,
              "pixels without pixels=")
        obs, _ = env.reset()
        check("pixels" not in obs and "player.x" in obs, list(obs))


def test_the_picture_is_the_steps_last_frames():
    # What the step returns is what the game shows at the frame it
    # stopped at (asked afterwards, apart), with frame_skip too; the
    # pictures come through the memory shared with the game (after the
    # first a game gives, which grows it), a relaunched game's too.
    with make(pixels=GRAY84, frame_skip=3) as env:
        shared = []
        take = env._picture
        env._picture = lambda p: (shared.append(bool(p.shared)), take(p))[1]
        obs, info = env.reset()
        check(np.array_equal(obs["pixels"], env.game.screenshot(**GRAY84)),
              "reset's picture is not frame %d's" % info["frame"])
        for k, a in enumerate(actions(12)):
            obs, _, _, _, info = env.step(a)
            check(info["frame"] == 1 + 3 * (k + 1), info)
            check(np.array_equal(obs["pixels"],
                                 env.game.screenshot(**GRAY84)),
                  "step %d: not the picture of frame %d" % (k, info["frame"]))
        check(len(shared) == 13 and all(shared), "not through shared "
              "memory: %r" % shared)
        del shared[:]
        pid = env.game.pid
        obs, info = env.reset(seed=8)      # another seed: launched again
        check(env.game.pid != pid, "reset(seed=8) did not relaunch")
        for k in range(3):
            check(np.array_equal(obs["pixels"],
                                 env.game.screenshot(**GRAY84)),
                  "relaunched, step %d: not the picture of frame %d"
                  % (k, info["frame"]))
            obs, _, _, _, info = env.step(RIGHT)
        check(shared == [False, True, True, True], "relaunched: %r"
              % shared)


def test_a_key_changes_the_picture_and_reset_gives_the_first_again():
    with make(pixels=GRAY84) as env:
        first, _ = env.reset()
        for _ in range(20):
            still, _, _, _, _ = env.step(NOOP)
        again, _ = env.reset()
        check(np.array_equal(first["pixels"], again["pixels"]),
              "reset() gave another first picture")
        for _ in range(20):
            moved, _, _, _, _ = env.step(RIGHT)
        check(moved["player.x"] > still["player.x"],
              "right did not move the player: %r %r" % (
                  moved["player.x"], still["player.x"]))
        diff = int(np.count_nonzero(moved["pixels"] != still["pixels"]))
        check(diff > 0, "holding right changed nothing in the picture")
        third, _ = env.reset()
        check(np.array_equal(first["pixels"], third["pixels"]),
              "reset() after moving gave another first picture")


def test_one_seed_same_pixels_another_differs():
    acts = actions(40)
    runs = []
    for seed in (7, 7, 8):
        with make(pixels=GRAY84, seed=seed, render_mode="rgb_array") as env:
            obs, _ = env.reset()
            seen = [obs["pixels"]]
            full = [env.render()]
            for a in acts:
                obs, _, term, trunc, _ = env.step(a)
                check(not (term or trunc), "episode ended")
                seen.append(obs["pixels"])
                full.append(env.render())
            runs.append((seen, full))
    (a, fa), (b, fb), (c, _) = runs
    for k in range(len(a)):
        check(np.array_equal(a[k], b[k]), "seed 7 twice: step %d differs"
              % k)
        check(np.array_equal(fa[k], fb[k]), "seed 7 twice: rendered "
              "picture %d differs" % k)
    check(any(not np.array_equal(x, y) for x, y in zip(a, c)),
          "seed 8 gave seed 7's pictures")
    # A full-size env of the same seed and actions observes what the gray
    # one renders.
    with make(pixels=True, seed=7, render_mode="rgb_array") as env:
        obs, _ = env.reset()
        check(np.array_equal(obs["pixels"], fa[0]), "reset: render() is "
              "not the full picture")
        check(np.array_equal(env.render(), obs["pixels"]), "render()")
        for k, act in enumerate(acts):
            obs, _, _, _, _ = env.step(act)
            check(obs["pixels"].shape == (480, 640, 3) and
                  np.array_equal(obs["pixels"], fa[k + 1]),
                  "step %d: render() is not the full picture" % k)
            check(np.array_equal(env.render(), obs["pixels"]), "render()")


def test_vector_env_batches_pixels():
    acts = actions(15)
    with VectorEnv(2, [GFX], layout=LAYOUT, seed=7, headless=True,
                   pixels=GRAY84, render_mode="rgb_array") as envs:
        auths = [auth_of(e) for e in envs.envs]
        check(auths[0] != auths[1], "one X server for two games")
        sp = envs.observation_space["pixels"]
        check(sp.shape == (2, 84, 84) and sp.dtype == np.uint8, repr(sp))
        check(envs.single_observation_space["pixels"].shape == (84, 84),
              repr(envs.single_observation_space))
        obs, _ = envs.reset()
        batch = [obs["pixels"]]
        check(obs["pixels"].shape == (2, 84, 84), obs["pixels"].shape)
        for a in acts:
            obs, _, _, _, _ = envs.step([a, RIGHT])
            check(obs["pixels"].shape == (2, 84, 84) and
                  envs.observation_space.contains(obs), obs["pixels"].shape)
            batch.append(obs["pixels"])
        shown = envs.render()
        check(len(shown) == 2 and all(s.shape == (480, 640, 3)
                                       for s in shown), "render()")
    for a in auths:
        check(not servers_of(a), "VectorEnv.close() left an Xvfb: %s" % a)
    # Its game 0 (seed 7) is a GameEnv of seed 7 with the same actions.
    with make(pixels=GRAY84) as env:
        obs, _ = env.reset()
        check(np.array_equal(obs["pixels"], batch[0][0]), "reset differs")
        for k, a in enumerate(acts):
            obs, _, _, _, _ = env.step(a)
            check(np.array_equal(obs["pixels"], batch[k + 1][0]),
                  "step %d: the batch's game 0 differs" % k)
    check(any(not np.array_equal(x[0], x[1]) for x in batch),
          "the two games' pictures are the same")


def test_bad_values_are_usage_errors():
    bad = ["yes", 1, (84, 84), {"size": (0, 84)}, {"size": (84,)},
           {"size": (84, 84, 3)}, {"size": (84.0, 84)}, {"size": "84x84"},
           {"size": (True, 84)}, {"size": (20000, 84)}, {"gray": 1},
           {"grey": True}]
    for p in bad:
        try:
            make(pixels=p).close()
            check(False, "pixels=%r accepted" % (p,))
        except GamehookError as e:
            check(e.code == "usage" and "pixels" in str(e),
                  "pixels=%r: %s %s" % (p, e.code, e))
    for kw in ({"observe": "pixels"}, {"observe": ["player.x", "pixels"]},
               {"render_mode": "human"}, {"headless": "yes"}):
        try:
            make(**kw).close()
            check(False, "%r accepted" % (kw,))
        except GamehookError as e:
            check(e.code == "usage", "%r: %s %s" % (kw, e.code, e))


def test_close_leaves_no_xvfb():
    env = make(pixels=GRAY84)
    env.reset()
    auth = auth_of(env)
    check(len(servers_of(auth)) == 1, "no Xvfb for %s" % auth)
    env.step(RIGHT)
    env.close()
    # close() returns once the game's X server is gone.
    check(not servers_of(auth) and not os.path.exists(auth),
          "left behind: %s %r" % (auth, servers_of(auth)))


def test_through_gamehookd_the_pictures_are_the_local_ones():
    d = subprocess.Popen([os.path.join(ROOT, "build", "gamehookd"),
                          "--address", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = d.stdout.readline()
        check(line.startswith("gamehookd: listening on "), line)
        server = line.split()[-1]
        try:
            GameEnv([GFX], server=server, pixels={"size": (84,)}).close()
            check(False, "a bad pixels= reached the server")
        except GamehookError as e:
            check(e.code == "usage", "%s %s" % (e.code, e))
        acts = actions(10)
        kw = dict(layout=LAYOUT, seed=7, headless=True, pixels=GRAY84)
        with GameEnv([GFX], server=server, **kw) as far, \
                GameEnv([GFX], **kw) as near:
            check(type(far).__name__ == "RemoteGameEnv", type(far).__name__)
            check(repr(far.observation_space) == repr(near.observation_space),
                  "%r / %r" % (far.observation_space, near.observation_space))
            a, _ = near.reset()
            b, _ = far.reset()
            for k, act in enumerate(acts + [None]):
                check(b["pixels"].dtype == np.uint8 and
                      np.array_equal(a["pixels"], b["pixels"]),
                      "step %d: the remote picture differs" % k)
                if act is not None:
                    a, _, _, _, _ = near.step(act)
                    b, _, _, _, _ = far.step(act)
        with VectorEnv(2, [GFX], server=server, seed=7, headless=True,
                       pixels=GRAY84, observe="pixels",
                       layout=LAYOUT) as envs:
            check(envs.observation_space.shape == (2, 84, 84),
                  repr(envs.observation_space))
            obs, _ = envs.reset()
            check(obs.shape == (2, 84, 84) and obs.dtype == np.uint8,
                  obs.shape)
            obs, _, _, _, _ = envs.step([RIGHT, RIGHT])
            check(obs.shape == (2, 84, 84) and
                  envs.observation_space.contains(obs), obs.shape)
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            d.wait(60)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait()
