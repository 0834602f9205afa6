"""gamehook's gRPC client: games run by a gamehookd on another machine
(README, "gamehookd"), spoken to in dm_env_rpc v1.

    from gamehook import GameEnv
    env = GameEnv(["build/demo-game"], layout="demo-game/demo-game.layout.json",
                  seed=7, server="gpu-box:50051")       # a RemoteGameEnv
    obs, info = env.reset()

RemoteGameEnv has GameEnv's interface, spaces rebuilt from the server's
own (gamehook.rpc.SpacesRequest), observations unpacked with numpy.
Connection is the stream alone, for dm_env_rpc requests of any kind,
pipelined: send() any number, then recv() their answers in order.
"""
import json
import os
import queue
import time

import numpy as np

from . import tensors
from ._grpc import grpc
from ._proto import load
from .errors import GamehookError

pb = tensors.pb
gpb = load("gamehook_rpc_pb2")


class RemoteError(GamehookError):
    """An error response: .status the gRPC status code's name
    ("INVALID_ARGUMENT", "ABORTED", "DEADLINE_EXCEEDED", ...); .code the
    game's own error code (README, "Commands") when the game gave the
    error, else the status in lower case."""

    def __init__(self, status, message, game_code=None):
        self.status = status
        super().__init__(game_code or status.lower(), message)


def _status_name(code):
    for s in grpc.StatusCode:
        if s.value[0] == code:
            return s.name
    return "UNKNOWN"


class Connection:
    """One stream to a gamehookd at SERVER ("HOST:PORT"). TOKEN (default
    $GAMEHOOKD_TOKEN) goes as `authorization: Bearer TOKEN`; TLS: the
    root certificate (PEM path) to trust, or a (root, key, cert) triple
    for a client certificate. TIMEOUT: seconds to wait for the server
    to accept; ANSWER_TIMEOUT: seconds to wait for any one answer (None:
    for ever); past it the stream is cancelled and recv() raises
    RemoteError("DEADLINE_EXCEEDED"): a stalled gamehookd does not stall
    its client. Its default is over gamehookd's own --step-timeout (60 s)
    and a slow game's launch, so a hung game's error comes from the
    server first."""

    def __init__(self, server, token=None, tls=None, timeout=60.0,
                 answer_timeout=300.0):
        self._grpc = grpc
        self.answer_timeout = answer_timeout
        self._waiting = None        # since when recv() waits (monotonic)
        self._expired = False
        self._watch = None
        token = token if token is not None else \
            os.environ.get("GAMEHOOKD_TOKEN")
        opts = [("grpc.max_receive_message_length", -1),
                ("grpc.max_send_message_length", -1)]
        if tls is not None:
            root, key, cert = (tls, None, None) if isinstance(tls, str) \
                else tls
            rd = (lambda p: open(p, "rb").read() if p else None)
            creds = grpc.ssl_channel_credentials(rd(root), rd(key), rd(cert))
            self._channel = grpc.secure_channel(server, creds, options=opts)
        else:
            self._channel = grpc.insecure_channel(server, options=opts)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            self._channel.close()
            raise GamehookError("remote", "no gamehookd answers at %s" %
                                server) from None
        call = self._channel.stream_stream(
            "/dm_env_rpc.v1.Environment/Process",
            request_serializer=pb.EnvironmentRequest.SerializeToString,
            response_deserializer=pb.EnvironmentResponse.FromString)
        self._q = queue.SimpleQueue()
        md = [("authorization", "Bearer " + token)] if token else None
        self._stream = call(iter(self._q.get, None), metadata=md)
        self._kinds = []
        self.server = server
        self.fed = False

    def send(self, kind, msg):
        """Queue one request (KIND: "step", "create_world", ...,
        "extension" with a message to pack); its answer comes by recv()."""
        if kind == "extension":
            req = pb.EnvironmentRequest()
            req.extension.Pack(msg)
        else:
            req = pb.EnvironmentRequest(**{kind: msg})
        self._kinds.append(kind)
        self._q.put(req)

    def recv(self):
        """The answer to the oldest request sent: its payload (for an
        extension, the Any); an error response raises RemoteError."""
        if self.fed:
            try:
                r = self.answers.get(timeout=self.answer_timeout)
            except queue.Empty:
                self._kinds.pop(0)
                self._stream.cancel()
                raise self._late() from None
            if isinstance(r, RemoteError):
                self._kinds.pop(0)
                raise r
            return self.unwrap(r)
        if self.answer_timeout is not None and self._watch is None:
            self._start_watch()
        self._waiting = time.monotonic()
        try:
            r = next(self._stream)
        except self._grpc.RpcError as e:
            self._kinds.pop(0)
            if self._expired:
                raise self._late() from None
            raise RemoteError(e.code().name, "gamehookd: %s" %
                              e.details()) from None
        except StopIteration:
            self._kinds.pop(0)
            raise RemoteError("UNAVAILABLE", "gamehookd closed the stream") \
                from None
        finally:
            self._waiting = None
        return self.unwrap(r)

    def _late(self):
        return RemoteError("DEADLINE_EXCEEDED", "gamehookd at %s answered "
                           "nothing in %gs (answer_timeout); the stream is "
                           "closed" % (self.server, self.answer_timeout))

    def _start_watch(self):
        """One thread per connection cancels the stream when a recv()
        waits past answer_timeout: next() on a gRPC stream takes no
        timeout, and a thread per call would cost every step."""
        import threading
        self._stop = threading.Event()
        period = min(1.0, self.answer_timeout / 4)

        def watch():
            while not self._stop.wait(period):
                t = self._waiting
                if t is not None and \
                        time.monotonic() - t > self.answer_timeout:
                    self._expired = True
                    self._stream.cancel()
                    return
        self._watch = threading.Thread(target=watch, daemon=True,
                                       name="gamehook-answer-watch")
        self._watch.start()

    def unwrap(self, r):
        """The payload of R, the answer to the oldest request sent (an
        error raises RemoteError)."""
        kind = self._kinds.pop(0)
        got = r.WhichOneof("payload")
        if got == "error":
            game = None
            for d in r.error.details:
                if d.Is(gpb.GameError.DESCRIPTOR):
                    ge = gpb.GameError()
                    d.Unpack(ge)
                    game = ge.code
            raise RemoteError(_status_name(r.error.code), r.error.message,
                              game)
        if got != kind:
            raise RemoteError("INTERNAL", "a %s answer to a %s request" %
                              (got, kind))
        return getattr(r, kind)

    def feed(self, q, tag):
        """From now on a thread reads the answers as they come into
        .answers (a stream that fails: a RemoteError there) and puts TAG
        on Q for each: for waiting on many streams at once. recv() still
        works, taking from .answers."""
        import threading
        self.answers = queue.SimpleQueue()

        def read():
            try:
                for r in self._stream:
                    self.answers.put(r)
                    q.put(tag)
                self.answers.put(RemoteError("UNAVAILABLE",
                                             "gamehookd closed the stream"))
            except self._grpc.RpcError as e:
                if e.code() == self._grpc.StatusCode.CANCELLED:
                    return
                self.answers.put(RemoteError(e.code().name, "gamehookd: %s"
                                             % e.details()))
            q.put(tag)
        self.fed = True
        threading.Thread(target=read, daemon=True).start()

    def request(self, kind, msg):
        self.send(kind, msg)
        return self.recv()

    def extension(self, msg, answer):
        """A gamehook.rpc request MSG; returns its ANSWER type."""
        a = self.request("extension", msg)
        out = answer()
        a.Unpack(out)
        return out

    def close(self):
        if self._watch is not None:
            self._stop.set()
        if self._channel is not None:
            self._q.put(None)
            self._stream.cancel()
            self._channel.close()
            self._channel = None


def _settings(out, values):
    for k, v in values.items():
        if v is not None:
            tensors.pack(v, out=out[k])


def _local_or_server(path, key, settings):
    """A file the client has goes by content; otherwise it is the server's."""
    if isinstance(path, dict):
        settings[key + "_json"] = json.dumps(path)
    elif os.path.isfile(str(path)):
        with open(path) as f:
            settings[key + "_json"] = f.read()
    else:
        settings[key] = str(path)


from . import spaces
from .env import _Base
from .closing import Closing


class RemoteGameEnv(Closing, _Base):
    """GameEnv's interface over a gamehookd (GameEnv(..., server=) makes
    one): the game runs there. LAYOUT and SCENARIO files found here are
    sent by content, other paths are the server's; reward=/terminated=/
    truncated= callables cannot travel (use a scenario). HEADLESS and
    PIXELS go to the server's GameEnv (the picture comes back as a uint8
    tensor). TOKEN, TLS, TIMEOUT, ANSWER_TIMEOUT: as Connection's."""

    metadata = {"render_modes": ["ansi"], "render_fps": None}

    def __init__(self, argv, *, server, token=None, tls=None, layout=None,
                 seed=None, actions=None, held_keys=None, scenario=None,
                 observe=None, frame_skip=1, max_steps=None, reward=None,
                 terminated=None, truncated=None, render_mode=None,
                 size=(80, 24), env=None, lib=None, cwd=None, timeout=60.0,
                 answer_timeout=300.0, headless=False, pixels=None):
        if reward is not None or terminated is not None or \
                truncated is not None:
            raise GamehookError("usage", "reward=, terminated=, truncated=: "
                                "Python callables run beside the game, not "
                                "over gRPC; give a scenario")
        if render_mode not in (None, "ansi"):
            raise GamehookError("usage", "render_mode %r: only 'ansi' over "
                                "gamehookd (pixels= puts the picture in the "
                                "observation)" % (render_mode,))
        from .env import pixel_spec
        px = pixel_spec(pixels)
        if px is not None:
            px = {k: list(v) if k == "size" and v is not None else v
                  for k, v in px.items()}
        if not isinstance(headless, (bool, np.bool_)):
            raise GamehookError("usage", "headless=%r: True or False"
                                % (headless,))
        self.render_mode = render_mode
        self._world = None
        self._c = None
        self._np_random = None
        # observe= one name ("pixels", "screen", "raw": that Box alone)
        # goes as an option: the observe setting is a list of names (a
        # Dict).
        settings = {"argv": list(argv), "seed": seed, "observe": None if
                    isinstance(observe, str) else observe,
                    "frame_skip": frame_skip, "size": list(size)}
        if actions is not None:
            settings["actions"] = json.dumps([list(a) for a in actions])
        if layout is not None:
            _local_or_server(layout, "layout", settings)
        if scenario is not None:
            _local_or_server(scenario, "scenario", settings)
        if env is not None:
            settings["env"] = ["%s=%s" % kv for kv in (
                env.items() if hasattr(env, "items") else
                (e.split("=", 1) for e in env))]
        opts = {k: v for k, v in (("held_keys", held_keys),
                                  ("max_steps", max_steps), ("lib", lib),
                                  ("cwd", cwd), ("pixels", px),
                                  ("observe", observe if isinstance(
                                      observe, str) else None),
                                  ("headless", bool(headless) or None))
                if v is not None}
        if opts:
            settings["options"] = json.dumps(opts)
        self._c = Connection(server, token=token, tls=tls, timeout=timeout,
                             answer_timeout=answer_timeout)
        try:
            req = pb.CreateWorldRequest()
            _settings(req.settings, settings)
            self._world = self._c.request("create_world", req).world_name
            specs = self._c.request("join_world", pb.JoinWorldRequest(
                world_name=self._world)).specs
            sp = json.loads(self._c.extension(gpb.SpacesRequest(),
                                              gpb.SpacesResponse).json)
        except BaseException:
            self.close()
            raise
        mod = spaces.backend()
        self.observation_space = tensors.rebuild(sp["observation"], mod)
        self.action_space = tensors.rebuild(sp["action"], mod)
        self.specs = specs
        self._obs_leaves = tensors.leaves(self.observation_space)
        self._act_leaves = tensors.leaves(self.action_space)
        self._by_name = {s.name: u for u, s in specs.observations.items()}
        self._all = sorted(specs.observations)
        self._step_req = pb.StepRequest(requested_observations=self._all)
        self.server = server
        self.world_name = self._world

    # --- Gymnasium's interface ---------------------------------------------

    @property
    def np_random(self):
        if self._np_random is None:
            self._np_random = np.random.default_rng()
        return self._np_random

    @np_random.setter
    def np_random(self, rng):
        self._np_random = rng

    @property
    def unwrapped(self):
        return self

    def _observe(self, step):
        o = step.observations
        vals = {}
        for name, space in self._obs_leaves:
            arr = tensors.unpack(o[self._by_name[name]])
            vals[name] = arr.astype(space.dtype, copy=False)
        if type(self.observation_space).__name__ == "Dict":
            obs = _assemble(self.observation_space, vals, "")
        else:
            obs = vals["observation"]
        x = {n: tensors.unpack(o[self._by_name[n]]).item()
             for n in ("reward", "terminated", "truncated", "info")}
        return obs, float(x["reward"]), bool(x["terminated"]), \
            bool(x["truncated"]), json.loads(x["info"])

    def reset(self, *, seed=None, options=None):
        """A new episode (SEED: the game relaunched with it): (obs, info)."""
        if seed is not None:
            self._np_random = np.random.default_rng(seed)
        req = pb.ResetRequest()
        _settings(req.settings, {"seed": seed})
        self._c.send("reset", req)
        self._c.send("step", self._step_req)
        self._c.recv()
        obs, _, _, _, info = self._observe(self._c.recv())
        return obs, info

    def _action_request(self, action):
        req = pb.StepRequest()
        req.CopyFrom(self._step_req)
        leaves = self._act_leaves
        if len(leaves) == 1 and type(self.action_space).__name__ != "Dict":
            values = {"observation": action}
        else:
            values = _flatten(self.action_space, action, "")
        for uid, (name, space) in enumerate(leaves, 1):
            kind = type(space).__name__
            v = values[name]
            tensors.pack(v, "int64" if kind in ("Discrete", "MultiDiscrete")
                         else "int8" if kind == "MultiBinary" else
                         space.dtype, out=req.actions[uid])
        return req

    def step_send(self, action):
        """step()'s first half: send the action (answers come in order)."""
        self._c.send("step", self._action_request(action))

    def step_recv(self):
        """step()'s second half: (obs, reward, terminated, truncated, info)."""
        return self._observe(self._c.recv())

    def step(self, action):
        """ACTION for frame_skip frames: (obs, reward, terminated,
        truncated, info)."""
        self.step_send(action)
        return self.step_recv()

    def render(self):
        """"ansi": the screen's text, rows joined by newlines."""
        if self.render_mode != "ansi":
            return None
        return "\n".join(json.loads(self.command("screen")))

    def command(self, line):
        """Any text command, run by the game's shim; its reply's payload."""
        return self._c.extension(gpb.CommandRequest(line=line),
                                 gpb.CommandResponse).text

    def save(self, name):
        return json.loads(self._c.extension(gpb.SaveRequest(name=name),
                                            gpb.SaveResponse).json)

    def load(self, name):
        return json.loads(self._c.extension(gpb.LoadRequest(name=name),
                                            gpb.LoadResponse).json)

    def close(self):
        """Destroy the world (its game ends) and close the stream."""
        c, self._c = self._c, None
        if c is None:
            return
        try:
            # A fed stream's end destroys its worlds just the same.
            if self._world is not None and not c.fed:
                c.request("destroy_world", pb.DestroyWorldRequest(
                    world_name=self._world))
        except GamehookError:
            pass
        finally:
            self._world = None
            c.close()


def _assemble(space, flat, prefix):
    out = {}
    for k, sub in space.spaces.items():
        if type(sub).__name__ == "Dict":
            out[k] = _assemble(sub, flat, prefix + k + ".")
        else:
            out[k] = flat[prefix + k]
    return out


def _flatten(space, value, prefix):
    out = {}
    for k, sub in space.spaces.items():
        if type(sub).__name__ == "Dict":
            out.update(_flatten(sub, value[k], prefix + k + "."))
        else:
            out[prefix + k] = value[k]
    return out
