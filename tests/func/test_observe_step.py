"""A binary step's observation is the state of the frame it names: read by
the frame thread as it stops where the step ends (no request posted once
the step is over), and, when two clients' steps overlap and the game does
not stop there, read the old way; in both, the blob, the JSON values and
`get` agree with the frame (the demo's game.tick is frame + 1)."""
import os
import sys

import numpy as np

from gh import ROOT, check

sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402
from gamehook.client import _pb  # noqa: E402

DEMO = os.path.join(ROOT, "build", "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
TICK = 2352     # game.tick's offset in the blob (test_pyclient reads hp)


def tick_of(obs):
    return int(np.frombuffer(obs.state, "<u4", 1, TICK)[0])


def step_req(n):
    return _pb.Step(frames=n, raw=True, observe=["game.tick"])


def test_one_client_sees_the_frame_its_step_ends_at():
    # Every step's observation is of its last frame, as a get there says.
    with gamehook.Game.launch([DEMO], layout=LAYOUT, seed=5) as g:
        frame = max(g.frame, 0)    # steps count from frame 0
        for n in (1, 1, 2, 3, 1, 7, 1, 30, 1, 1):
            o = g.step(n, observe=["game.tick"], raw=True)
            frame += n
            check(o.frame == frame and g.frame == frame,
                  "step %d: observation of frame %d, reply %d, wanted %d"
                  % (n, o.frame, g.frame, frame))
            check(o["game.tick"] == frame + 1 and tick_of(o) == frame + 1,
                  "frame %d: tick %r in the JSON, %d in the blob" % (
                      frame, o["game.tick"], tick_of(o)))
            check(g.get("game.tick") == frame + 1, "get at frame %d: %r"
                  % (frame, g.get("game.tick")))
        # A reset, then steps again: the first frame's state, read anew.
        g.reset()
        o = g.step(1, observe=["game.tick"], raw=True)
        check(o.frame == 1 and tick_of(o) == 2, "after reset: frame %d "
              "tick %d" % (o.frame, tick_of(o)))


def test_two_clients_stepping_at_once_each_see_a_consistent_frame():
    # Two binary clients' steps in flight together: the game runs on past
    # the first's end, whose observation is then read where the game is;
    # each observation's blob and values still match the frame it names,
    # at or after its step's end.
    with gamehook.Game.launch([DEMO], layout=LAYOUT, seed=5) as g:
        h = gamehook.Game(g.sock_path)
        try:
            for k in range(40):
                na, nb = 1 + k % 3, 1 + (k * 7) % 4
                a = g._send(step=step_req(na))
                b = h._send(step=step_req(nb))
                for who, c, rid in (("a", g, a), ("b", h, b)):
                    r = c._reply(rid)
                    o = r.observation
                    end = int(r.text)
                    got = int(np.frombuffer(o.state, "<u4", 1, TICK)[0])
                    check(o.frame >= end and got == o.frame + 1 and
                          o.json == str(o.frame + 1),
                          "round %d, client %s: step to %d, observation "
                          "of frame %d, tick %d in the blob, %s in the "
                          "JSON" % (k, who, end, o.frame, got, o.json))
            o = h.step(1, observe=["game.tick"], raw=True)
            check(tick_of(o) == o.frame + 1, "alone again: frame %d tick %d"
                  % (o.frame, tick_of(o)))
        finally:
            h.close()
