"""schema/dm_env_rpc.proto is DeepMind's published dm_env_rpc v1 on the
wire (every message, field number, type, enum and the service, against
the upstream file in tests/golden/dm_env_rpc). gamehookd (build/gamehookd)
on loopback: a GameEnv with server= plays
the same episode as a local GameEnv; a plain gRPC client generated from
schema/dm_env_rpc.proto by protoc and grpc_python_plugin drives a world
through the whole dm_env_rpc lifecycle; a client killed mid-game has its
game ended; malformed, unknown, out-of-spec and oversized requests get
typed errors while another client's game carries on; a crashed game and a
hung one end their episode with an error (ABORTED, DEADLINE_EXCEEDED) and
the next reset starts a new game; a server that stalls ends its client's
wait after answer_timeout (unfed and fed); `make install` ships a gamehookd that
runs from the installed package; any address but loopback needs a token
(a client with a wrong one is refused) or TLS with client certificates
(a client without its certificate, or without TLS, does not get in);
--max-games caps the games; a vector of 4 games spread over two
gamehookds plays each game's local episode, resets itself at an
episode's end in both autoreset modes, and answers send/recv in batches;
importing gamehook.remote turns gRPC's fork handlers off (a child forked
beside gRPC's threads once hung in them) unless the environment chose."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap

from gh import ROOT, check, wait_until

sys.path.insert(0, os.path.join(ROOT, "python"))
import numpy as np  # noqa: E402
import gamehook  # noqa: E402
from gamehook import remote, tensors  # noqa: E402
from gamehook.remote_vector import RemoteVectorEnv  # noqa: E402

GAMEHOOKD = os.path.join(ROOT, "build", "gamehookd")
DEMO = os.path.join(ROOT, "build", "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
pb = tensors.pb


class Daemon:
    """A gamehookd on a free port, stopped (and its games ended) on exit."""

    def __init__(self, *args, env=None, address="127.0.0.1:0", prog=GAMEHOOKD):
        self.p = subprocess.Popen([prog, "--address", address] +
                                  list(args), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, **(env or {})))
        line = self.p.stdout.readline()
        check(line.startswith("gamehookd: listening on "),
              "gamehookd said %r %s" % (line, self.p.stderr.read()
                                        if self.p.poll() is not None else ""))
        self.port = int(line.rsplit(":", 1)[1])
        self.address = "127.0.0.1:%d" % self.port

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def alive(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return "zombie" not in f.read()
    except OSError:
        return False


def game_pid(env):
    return json.loads(env.command("hello"))["pid"]


def create(c, **settings):
    req = pb.CreateWorldRequest()
    for k, v in dict({"argv": [DEMO], "layout": LAYOUT, "seed": 3},
                     **settings).items():
        tensors.pack(v, out=req.settings[k])
    return c.request("create_world", req).world_name


def expect_error(fn, status, what):
    try:
        fn()
    except remote.RemoteError as e:
        check(e.status == status, "%s: %s, not %s (%s)" % (
            what, e.status, status, e))
        return e
    check(False, "%s: no error" % what)


def test_a_remote_gameenv_plays_the_local_episode():
    kw = dict(layout=LAYOUT, seed=11, observe=["hero.x", "hero.hp",
                                               "game.tick"])
    actions = [2, 2, 5, 1, 0, 5, 2, 2, 1, 5] * 3
    with Daemon() as d:
        local = gamehook.GameEnv([DEMO], **kw)
        far = gamehook.GameEnv([DEMO], server=d.address, **kw)
        try:
            check(isinstance(far, remote.RemoteGameEnv), type(far).__name__)
            check(repr(far.observation_space) == repr(local.observation_space)
                  and repr(far.action_space) == repr(local.action_space),
                  "spaces %r %r / %r %r" % (far.observation_space,
                                            far.action_space,
                                            local.observation_space,
                                            local.action_space))
            for episode in range(2):
                a, ia = local.reset()
                b, ib = far.reset()
                for act in actions:
                    check(all((a[k] == b[k]).all() and a[k].dtype == b[k].dtype
                              for k in a), "obs %r / %r" % (a, b))
                    check(ia["frame"] == ib["frame"], "info %r / %r" % (ia, ib))
                    check(far.observation_space.contains(b), "obs not in space")
                    a, ra, ta, ua, ia = local.step(act)
                    b, rb, tb, ub, ib = far.step(act)
                    check((ra, ta, ua) == (rb, tb, ub), "reward/ends")
            check(b["hero.x"] != 0 and b["game.tick"] > 30, repr(b))
            saved = far.save("here")
            check(saved["frame"] >= ib["frame"], repr(saved))
            e = expect_error(lambda: far.load("never"), "FAILED_PRECONDITION",
                             "load of a name never saved")
            check(e.code == "snapshot", "the game's own code: %r" % e.code)
            pid = game_pid(far)
        finally:
            local.close()
            far.close()
        wait_until(lambda: not alive(pid), 60, "the closed world's game ends")


PLAIN_CLIENT = textwrap.dedent('''
    import json, queue, sys
    sys.path[:0] = [sys.argv[1]]
    import grpc
    import dm_env_rpc_pb2 as pb, dm_env_rpc_pb2_grpc as rpc
    assert pb.__file__.startswith(sys.argv[1]), pb.__file__
    stub = rpc.EnvironmentStub(grpc.insecure_channel(sys.argv[2]))
    q = queue.Queue()
    answers = stub.Process(iter(q.get, None), timeout=120)
    def ask(**kw):
        q.put(pb.EnvironmentRequest(**kw))
        r = next(answers)
        return r
    def strs(*v):
        return pb.Tensor(strings=pb.Tensor.StringArray(array=list(v)),
                         shape=[len(v)])
    out = {}
    r = ask(create_world=pb.CreateWorldRequest(settings={
        "argv": strs(sys.argv[3]), "layout": strs(sys.argv[4]),
        "observe": strs("hero.x", "hero.hp"),
        "seed": pb.Tensor(int64s=pb.Tensor.Int64Array(array=[5]))}))
    name = r.create_world.world_name
    r = ask(join_world=pb.JoinWorldRequest(world_name=name))
    specs = r.join_world.specs
    out["observations"] = {s.name: [list(s.shape), pb.DataType.Name(s.dtype)]
                           for s in specs.observations.values()}
    act = specs.actions[1]
    out["action"] = [act.name, pb.DataType.Name(act.dtype),
                     list(act.min.int64s.array), list(act.max.int64s.array)]
    uid = {s.name: u for u, s in specs.observations.items()}
    want = [uid["hero.x"], uid["reward"]]
    r = ask(step=pb.StepRequest(requested_observations=want))
    out["first"] = [pb.EnvironmentStateType.Name(r.step.state),
                    list(r.step.observations[uid["hero.x"]].int32s.array)]
    for i in range(4):
        r = ask(step=pb.StepRequest(actions={1: pb.Tensor(
            int64s=pb.Tensor.Int64Array(array=[2]))},
            requested_observations=want))
    out["after"] = [pb.EnvironmentStateType.Name(r.step.state),
                    list(r.step.observations[uid["hero.x"]].int32s.array),
                    list(r.step.observations[uid["reward"]].doubles.array)]
    r = ask(step=pb.StepRequest(actions={1: pb.Tensor(
        int64s=pb.Tensor.Int64Array(array=[99]))}))
    out["bad"] = [r.WhichOneof("payload"), r.error.code, r.error.message]
    r = ask(reset=pb.ResetRequest())
    out["reset"] = r.WhichOneof("payload")
    r = ask(step=pb.StepRequest(requested_observations=want))
    out["again"] = list(r.step.observations[uid["hero.x"]].int32s.array)
    out["leave"] = ask(leave_world=pb.LeaveWorldRequest()).WhichOneof("payload")
    out["destroy"] = ask(destroy_world=pb.DestroyWorldRequest(
        world_name=name)).WhichOneof("payload")
    out["gone"] = ask(join_world=pb.JoinWorldRequest(
        world_name=name)).error.code
    print(json.dumps(out), flush=True)
    q.put(None)
    rest = list(answers)           # the stream's end, its status OK
    assert not rest, rest
''')


def test_a_plain_grpc_client_from_the_proto():
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(
            ["protoc", "--proto_path", os.path.join(ROOT, "schema"),
             "--python_out", tmp, "--grpc_python_out", tmp,
             "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
             "dm_env_rpc.proto"], capture_output=True, text=True)
        check(r.returncode == 0, "protoc: " + r.stderr)
        with open(os.path.join(tmp, "client.py"), "w") as f:
            f.write(PLAIN_CLIENT)
        with Daemon() as d:
            try:
                r = subprocess.run(["/usr/bin/python3", os.path.join(
                    tmp, "client.py"), tmp, d.address, DEMO, LAYOUT],
                    capture_output=True, text=True, timeout=300, cwd=tmp)
            except subprocess.TimeoutExpired as e:
                check(False, "the client hung: %r %r" % (e.stdout, e.stderr))
        check(r.returncode == 0, "client: " + r.stderr[-2000:])
        out = json.loads(r.stdout)
    check(out["observations"]["hero.x"] == [[], "INT32"] and
          out["observations"]["reward"] == [[], "DOUBLE"], repr(out))
    check(out["action"][1] == "INT64" and out["action"][2] == [0] and
          out["action"][3][0] >= 2, repr(out["action"]))
    x0 = out["first"][1][0]
    check(out["first"][0] == "RUNNING", repr(out["first"]))
    check(out["after"][0] == "RUNNING" and out["after"][1][0] > x0 and
          out["after"][2] == [0.0], "four rights: %r from %r" % (
              out["after"], x0))
    check(out["bad"][0] == "error" and out["bad"][1] == 3 and
          "maximum" in out["bad"][2], repr(out["bad"]))
    check(out["reset"] == "reset" and out["again"] == [x0],
          "reset: %r, x %r (first %r)" % (out["reset"], out["again"], x0))
    check(out["leave"] == "leave_world" and out["destroy"] == "destroy_world"
          and out["gone"] == 5, repr(out))


VANISHING_CLIENT = textwrap.dedent('''
    import json, os, sys, time
    sys.path.insert(0, sys.argv[1])
    from gamehook import remote
    env = remote.RemoteGameEnv([sys.argv[3]], server=sys.argv[2])
    env.reset()
    print(json.loads(env.command("hello"))["pid"], flush=True)
    time.sleep(600)
''')


def test_a_vanished_clients_games_end():
    with Daemon() as d:
        p = subprocess.Popen(["/usr/bin/python3", "-c", VANISHING_CLIENT,
                              os.path.join(ROOT, "python"), d.address, DEMO],
                             stdout=subprocess.PIPE, text=True)
        try:
            pid = int(p.stdout.readline())
            check(alive(pid), "the client's game is not running")
        finally:
            p.kill()
            p.wait()
        wait_until(lambda: not alive(pid), 60,
                   "the killed client's game %d ends" % pid)


def test_bad_requests_get_typed_errors_and_others_carry_on():
    import grpc
    with Daemon("--max-message", "65536") as d:
        other = gamehook.GameEnv([DEMO], layout=LAYOUT, seed=2,
                                 observe=["game.tick"], server=d.address)
        c = remote.Connection(d.address)
        try:
            other.reset()
            t0 = other.step(0)[0]["game.tick"]
            # Bytes that are no EnvironmentRequest, through the same stream.
            raw = grpc.insecure_channel(d.address).stream_stream(
                "/dm_env_rpc.v1.Environment/Process")
            got = list(raw(iter([b"\xff\xff\xff", b""])))
            errs = [pb.EnvironmentResponse.FromString(g) for g in got]
            check(len(errs) == 2 and errs[0].error.code == 3 and
                  "decode" in errs[0].error.message and errs[1].error.code
                  == 3, "malformed: %r" % errs)
            expect_error(lambda: c.request("join_world", pb.JoinWorldRequest(
                world_name="world-999")), "NOT_FOUND", "unknown world")
            expect_error(lambda: c.request("step", pb.StepRequest()),
                         "FAILED_PRECONDITION", "step before join")
            req = pb.CreateWorldRequest()
            tensors.pack([DEMO], out=req.settings["argv"])
            tensors.pack(1, out=req.settings["colour"])
            expect_error(lambda: c.request("create_world", req),
                         "INVALID_ARGUMENT", "unknown setting")
            expect_error(lambda: create(c, argv=["/nonexistent/game"]),
                         "INVALID_ARGUMENT", "a program that is not there")
            name = create(c)
            c.request("join_world", pb.JoinWorldRequest(world_name=name))
            c.request("step", pb.StepRequest())
            for bad, why in (({1: 7}, "beyond Discrete(7)"),
                             ({1: -1}, "below 0"),
                             ({2: 1}, "no action 2"),
                             ({1: 1.5}, "a float"),
                             ({1: [1, 2]}, "two values")):
                s = pb.StepRequest()
                for u, v in bad.items():
                    tensors.pack(v, out=s.actions[u])
                expect_error(lambda: c.request("step", s), "INVALID_ARGUMENT",
                             "action %s" % why)
            expect_error(lambda: c.request("step", pb.StepRequest(
                requested_observations=[999])), "INVALID_ARGUMENT",
                "unknown observation")
            # No action at all: dm_env_rpc leaves it to the environment;
            # here it is the minimum, key set 0 (nothing pressed).
            check(c.request("step", pb.StepRequest()).state == pb.RUNNING,
                  "a step without actions")
            expect_error(lambda: c.extension(pb.Tensor(), pb.Tensor),
                         "UNIMPLEMENTED", "unknown extension")
            # Still answering on this stream after all of that.
            s = pb.StepRequest(requested_observations=[1])
            tensors.pack(2, out=s.actions[1])
            check(c.request("step", s).state == pb.RUNNING, "step after errors")
            # A world another client joined: its creator cannot destroy
            # it under them, but when the creator goes, the world goes.
            c2, c3 = remote.Connection(d.address), remote.Connection(
                d.address)
            try:
                name2 = create(c2)
                c3.request("join_world", pb.JoinWorldRequest(
                    world_name=name2))
                c3.request("step", pb.StepRequest())
                expect_error(lambda: c2.request(
                    "destroy_world", pb.DestroyWorldRequest(
                        world_name=name2)), "FAILED_PRECONDITION",
                    "destroying a world another client joined")
                c2.close()

                def gone():
                    try:
                        c3.request("step", pb.StepRequest())
                        return False
                    except remote.RemoteError as e:
                        check(e.status == "NOT_FOUND", str(e))
                        return True
                wait_until(gone, 60, "the joined world of a creator gone")
            finally:
                c2.close()
                c3.close()
            # Oversized: gRPC refuses the message and ends that stream.
            big = pb.CreateWorldRequest()
            tensors.pack(["x" * 100000], out=big.settings["argv"])
            expect_error(lambda: c.request("create_world", big),
                         "RESOURCE_EXHAUSTED", "a 100 KB request")
            o, _, _, _, info = other.step(0)
            check(o["game.tick"] > t0, "the other game stopped: %r %r" % (
                o, t0))
        finally:
            c.close()
            other.close()


def test_a_crashed_or_hung_game_ends_its_episode_with_an_error():
    with Daemon("--step-timeout", "3") as d:
        env = gamehook.GameEnv([DEMO], layout=LAYOUT, seed=4,
                               observe=["game.tick"], server=d.address)
        try:
            env.reset()
            pid = game_pid(env)
            os.kill(pid, signal.SIGKILL)
            e = expect_error(lambda: env.step(0), "ABORTED", "crashed game")
            check("signal 9" in e.message or "ended" in e.message, str(e))
            obs, info = env.reset()
            pid2 = game_pid(env)
            check(pid2 != pid and alive(pid2) and info["frame"] >= 1,
                  "after the crash: %r %r" % (pid2, info))
            os.kill(pid2, signal.SIGSTOP)
            try:
                expect_error(lambda: env.step(0), "DEADLINE_EXCEEDED",
                             "hung game")
            finally:
                try:
                    os.kill(pid2, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            wait_until(lambda: not alive(pid2), 60, "the hung game is killed")
            env.reset()
            o = env.step(0)[0]
            check(o["game.tick"] >= 1, repr(o))
        finally:
            env.close()


def test_off_loopback_needs_a_token_and_games_are_capped():
    r = subprocess.run([GAMEHOOKD, "--address", "0.0.0.0:0"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 2 and "token" in r.stderr, "no token: %d %r" % (
        r.returncode, r.stderr))
    with Daemon("--max-games", "1", address="0.0.0.0:0",
                env={"GAMEHOOKD_TOKEN": "sesame"}) as d:
        c = remote.Connection(d.address, token="wrong")
        try:
            expect_error(lambda: create(c), "UNAUTHENTICATED", "a wrong token")
        finally:
            c.close()
        env = gamehook.GameEnv([DEMO], layout=LAYOUT, server=d.address,
                               token="sesame")
        c = remote.Connection(d.address, token="sesame")
        try:
            env.reset()
            expect_error(lambda: create(c), "RESOURCE_EXHAUSTED",
                         "a second game over --max-games 1")
            env.close()
            name = create(c)
            check(name.startswith("world-"), name)
        finally:
            env.close()
            c.close()


def test_the_installed_gamehookd_serves():
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["make", "-s", "install", "DESTDIR=" + tmp,
                            "PREFIX=/opt/gh"], cwd=ROOT, capture_output=True,
                           text=True)
        check(r.returncode == 0, "make install: " + r.stderr[-2000:])
        top = os.path.join(tmp, "opt", "gh")
        check(os.path.exists(os.path.join(top, "share", "gamehook",
                                          "dm_env_rpc.proto")), "no .proto")
        with Daemon(prog=os.path.join(top, "bin", "gamehookd")) as d:
            env = gamehook.GameEnv([DEMO], layout=LAYOUT, server=d.address,
                                   observe=["hero.x"])
            try:
                env.reset()
                pid = game_pid(env)
                exe = os.readlink("/proc/%d/exe" % d.p.pid)
                with open("/proc/%d/environ" % pid, "rb") as f:
                    preload = [v for v in f.read().split(b"\0")
                               if v.startswith(b"LD_PRELOAD=")]
                check(b"/opt/gh/lib/gamehook/libhook.so" in preload[0],
                      "the installed server's game preloads %r" % preload)
                check("python3" in exe, exe)
            finally:
                env.close()


def _certs(d):
    """A CA, a server certificate for localhost and a client's, in D."""
    def ssl(*a):
        r = subprocess.run(["openssl"] + list(a), cwd=d, capture_output=True,
                           text=True)
        check(r.returncode == 0, "openssl %s: %s" % (a[0], r.stderr[-500:]))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    ssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=gamehook test CA")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for who in ("server", "client"):
        ssl("req", *ec, "-keyout", who + ".key", "-out", who + ".csr",
            "-subj", "/CN=" + ("localhost" if who == "server" else who))
        ssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey",
            "ca.key", "-CAcreateserial", "-out", who + ".pem", "-days", "2",
            "-extfile", "san.ext")
    return lambda n: os.path.join(d, n)


def test_tls_with_client_certificates_off_loopback():
    with tempfile.TemporaryDirectory() as tmp:
        p = _certs(tmp)
        tls = ["--tls-cert", p("server.pem"), "--tls-key", p("server.key")]
        r = subprocess.run([GAMEHOOKD, "--address", "0.0.0.0:0"] + tls,
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 2 and "token" in r.stderr,
              "TLS without client certificates nor token: %d %r" % (
                  r.returncode, r.stderr))
        with Daemon(*(tls + ["--tls-client-ca", p("ca.pem")]),
                    address="0.0.0.0:0") as d:
            addr = "localhost:%d" % d.port
            env = gamehook.GameEnv([DEMO], layout=LAYOUT, server=addr,
                                   observe=["hero.x"], tls=(
                                       p("ca.pem"), p("client.key"),
                                       p("client.pem")))
            try:
                obs, info = env.reset()
                check(info["frame"] >= 1 and "hero.x" in obs, repr(info))
            finally:
                env.close()
            try:
                gamehook.GameEnv([DEMO], server=addr, tls=p("ca.pem"),
                                 timeout=5)
                check(False, "a client without a certificate got in")
            except gamehook.GamehookError as e:
                check(e.code in ("remote", "unavailable"), str(e))
            try:
                gamehook.GameEnv([DEMO], server=addr, timeout=5)
                check(False, "a client without TLS got in")
            except gamehook.GamehookError as e:
                check(e.code in ("remote", "unavailable"), str(e))


def ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_a_vector_env_spans_two_servers():
    kw = dict(layout=LAYOUT, observe=["hero.x", "game.tick"],
              scenario={"truncate": {"max_steps": 5}})
    acts = [np.array([2, 1, 5, 2]), np.array([1, 1, 2, 0])] * 4
    with Daemon() as d1, Daemon() as d2:
        for mode in ("next_step", "same_step"):
            v = gamehook.VectorEnv(4, [DEMO], server=[d1.address,
                                                      d2.address],
                                   seed=3, autoreset_mode=mode, **kw)
            check(isinstance(v, RemoteVectorEnv), type(v).__name__)
            local = [gamehook.GameEnv([DEMO], seed=3 + i, **kw)
                     for i in range(4)]
            try:
                parents = {ppid(game_pid(e)) for e in v.envs}
                check(parents == {d1.p.pid, d2.p.pid},
                      "games' parents %r, servers %r" % (
                          parents, (d1.p.pid, d2.p.pid)))
                obs, infos = v.reset()
                want = [e.reset()[0] for e in local]
                ended = [False] * 4
                ends = 0
                for t, a in enumerate(acts):
                    for i in range(4):
                        check(all(obs[k][i] == want[i][k] for k in want[i]),
                              "%s step %d game %d: %r / %r" % (
                                  mode, t, i, {k: obs[k][i] for k in obs},
                                  want[i]))
                    obs, rew, term, trunc, infos = v.step(a)
                    ends += int(trunc.sum())
                    for i, e in enumerate(local):
                        if ended[i] and mode == "next_step":
                            want[i], info = e.reset()
                            check(not trunc[i] and rew[i] == 0 and
                                  infos["steps"][i] == 0, "next-step reset")
                            ended[i] = False
                            continue
                        want[i], r, te, tr, info = e.step(a[i])
                        check(trunc[i] == tr and rew[i] == r, "flags")
                        if tr and mode == "same_step":
                            fo = infos["final_obs"][i]
                            check(infos["_final_obs"][i] and
                                  (fo["game.tick"] == want[i]["game.tick"]),
                                  "final_obs %r / %r" % (fo, want[i]))
                            want[i], info = e.reset()
                        ended[i] = tr
                check(ends == 4, "%s: %d episodes of 4 ended in %d steps" % (
                    mode, ends, len(acts)))
                # EnvPool's way: batches of 2 as they come.
                v.batch_size = 2
                v.send(np.array([0, 0, 0, 0]))
                got = list(v.recv()[4]["env_id"]) + \
                    list(v.recv()[4]["env_id"])
                check(sorted(got) == [0, 1, 2, 3], "env ids %r" % got)
            finally:
                v.close()
                for e in local:
                    e.close()


STATUS_PROTO = """syntax = "proto3";
package google.rpc;
import "google/protobuf/any.proto";
message Status {
  int32 code = 1;
  string message = 2;
  repeated google.protobuf.Any details = 3;
}
"""


def _descriptor(tmp, include, name):
    from google.protobuf import descriptor_pb2
    out = os.path.join(tmp, "set.pb")
    r = subprocess.run(["protoc", "-I", include, "-I", tmp, "-I",
                        "/usr/include", "--include_imports",
                        "--descriptor_set_out", out, name],
                       capture_output=True, text=True)
    check(r.returncode == 0, "protoc %s: %s" % (name, r.stderr))
    fs = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fs.ParseFromString(f.read())
    return {f.name: f for f in fs.file}


def test_the_proto_is_dm_env_rpc_on_the_wire():
    golden = os.path.join(ROOT, "tests", "golden", "dm_env_rpc")
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "google", "rpc"))
        with open(os.path.join(tmp, "google", "rpc", "status.proto"),
                  "w") as f:
            f.write(STATUS_PROTO)
        up = _descriptor(tmp, golden, "dm_env_rpc/v1/dm_env_rpc.proto")
        mine = _descriptor(tmp, os.path.join(ROOT, "schema"),
                           "dm_env_rpc.proto")
    a, b = up["dm_env_rpc/v1/dm_env_rpc.proto"], mine["dm_env_rpc.proto"]

    def messages(f, extra=()):
        out = {}

        def walk(ms, pre):
            for m in ms:
                out[pre + m.name] = sorted(
                    (x.number, x.name, x.type, x.label,
                     # google.rpc.Status is ours, field for field
                     x.type_name.replace(".google.rpc.", ".dm_env_rpc.v1."),
                     x.oneof_index if x.HasField("oneof_index") else None)
                    for x in m.field)
                walk(m.nested_type, pre + m.name + ".")
        walk(f.message_type, "")
        return out
    ma, mb = messages(a), messages(b)
    ma["Status"] = messages(up["google/rpc/status.proto"])["Status"]
    check(a.package == b.package == "dm_env_rpc.v1", b.package)
    diff = [k for k in sorted(set(ma) | set(mb)) if ma.get(k) != mb.get(k)]
    check(not diff, "messages that differ: %s" % ", ".join(
        "%s %r / %r" % (k, ma.get(k), mb.get(k)) for k in diff))
    enums = [[(e.name, [(v.name, v.number) for v in e.value])
              for e in f.enum_type] for f in (a, b)]
    check(enums[0] == enums[1], "enums %r / %r" % tuple(enums))
    svc = [[(s.name, [(m.name, m.input_type, m.output_type,
                       m.client_streaming, m.server_streaming)
                      for m in s.method]) for s in f.service] for f in (a, b)]
    check(svc[0] == svc[1] and svc[0], "service %r / %r" % tuple(svc))


FORK_CHECK = """
import os, sys
sys.path.insert(0, sys.argv[1])
import gamehook.remote
from grpc._cython import cygrpc
print(os.environ.get("GRPC_ENABLE_FORK_SUPPORT"), cygrpc.is_fork_support_enabled())
"""


def test_grpc_fork_handlers_are_off_unless_asked():
    # A local GameEnv launched beside a RemoteVectorEnv hung once in fork,
    # in gRPC's post-fork handler (a lock another thread held): importing
    # gamehook.remote turns gRPC's fork handlers off, unless the
    # environment already chose.
    env = {k: v for k, v in os.environ.items()
           if k != "GRPC_ENABLE_FORK_SUPPORT"}
    for given, want in ((None, "false False"), ("1", "1 True")):
        e = dict(env, **({"GRPC_ENABLE_FORK_SUPPORT": given} if given else {}))
        r = subprocess.run(["/usr/bin/python3", "-c", FORK_CHECK,
                            os.path.join(ROOT, "python")], env=e,
                           capture_output=True, text=True, timeout=120)
        check(r.stdout.strip() == want, "GRPC_ENABLE_FORK_SUPPORT=%s: %r %s"
              % (given, r.stdout, r.stderr[-500:]))


def test_a_stalled_server_does_not_stall_its_client():
    # A server that takes the stream and never answers: recv() raises
    # DEADLINE_EXCEEDED after answer_timeout, unfed and fed alike, where it
    # used to wait for ever; with answer_timeout=None it still waits.
    import threading
    import time
    from concurrent import futures
    from gamehook._grpc import grpc
    release = threading.Event()

    def process(requests, context):
        next(requests, None)      # the first request, then silence
        release.wait(60)
        return iter(())
    handler = grpc.method_handlers_generic_handler(
        "dm_env_rpc.v1.Environment",
        {"Process": grpc.stream_stream_rpc_method_handler(
            process, request_deserializer=pb.EnvironmentRequest.FromString,
            response_serializer=pb.EnvironmentResponse.SerializeToString)})
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    srv.add_generic_rpc_handlers((handler,))
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    try:
        for fed in (False, True):
            c = remote.Connection("127.0.0.1:%d" % port, answer_timeout=1.5)
            if fed:
                import queue
                c.feed(queue.SimpleQueue(), 0)
            t0 = time.monotonic()
            expect_error(lambda: c.request(
                "create_world", pb.CreateWorldRequest()),
                "DEADLINE_EXCEEDED", "answered nothing in 1.5s")
            waited = time.monotonic() - t0
            check(1.4 < waited < 30, "waited %.1fs (fed=%s)" % (waited, fed))
            c.close()
        # None waits for ever: still waiting after 3 s, then answered by
        # the stream's end once the server lets go.
        c = remote.Connection("127.0.0.1:%d" % port, answer_timeout=None)
        out = []
        th = threading.Thread(target=lambda: out.append(
            _catch(lambda: c.request("create_world",
                                     pb.CreateWorldRequest()))))
        th.start()
        th.join(3)
        check(th.is_alive() and not out, "answer_timeout=None gave up: %r"
              % out)
        release.set()
        th.join(30)
        check(out and isinstance(out[0], remote.RemoteError) and
              out[0].status == "UNAVAILABLE", "after the end: %r" % out)
        c.close()
    finally:
        release.set()
        srv.stop(0)


def _catch(fn):
    try:
        return fn()
    except remote.RemoteError as e:
        return e
