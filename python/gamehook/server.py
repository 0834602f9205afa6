"""gamehookd: games on this machine served over gRPC, as dm_env_rpc v1
(schema/dm_env_rpc.proto) with gamehook's extensions
(schema/gamehook_rpc.proto). One bidirectional stream per client, its
requests answered in order; every refusal is an EnvironmentResponse.error
(a gRPC status code and a message) and the stream goes on. README,
"gamehookd", is the manual."""
import argparse
import hmac
import ipaddress
import itertools
import json
import os
import sys
import tempfile
import threading
import time
from concurrent import futures

from . import tensors
from ._grpc import grpc
from ._proto import load
from .errors import GamehookError
from .world import World, WorldError

pb = tensors.pb
gpb = load("gamehook_rpc_pb2")

DEFAULT_ADDRESS = "127.0.0.1:50051"
SERVICE = "dm_env_rpc.v1.Environment"

# CreateWorld's settings: name -> (kind, what it is). kind: "str", "strs",
# "int", "ints", "json".
SETTINGS = {
    "argv": ("strs", "the game's command line (required)"),
    "layout": ("str", "a layout file on the server"),
    "layout_json": ("str", "a layout's text (the server keeps it in a file)"),
    "scenario": ("str", "a scenario file on the server"),
    "scenario_json": ("str", "a scenario's text"),
    "seed": ("int", "HOOK_SEED"),
    "actions": ("json", "key sets, JSON: [[], [\"left\"], ...]"),
    "observe": ("strs", "layout paths to observe"),
    "frame_skip": ("int", "frames an action is repeated"),
    "size": ("ints", "the terminal's cols, rows"),
    "env": ("strs", "NAME=VALUE variables for the game"),
    "options": ("json", "further GameEnv keyword arguments, a JSON object"),
}


def _code(name):
    return getattr(grpc.StatusCode, name).value[0]


class Refused(Exception):
    """A request refused: grpc status code NAME and a message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _setting(name, t):
    kind, _ = SETTINGS[name]
    try:
        arr = tensors.unpack(t)
    except ValueError as e:
        raise Refused("INVALID_ARGUMENT", "setting %s: %s" % (name, e))
    want_str = kind in ("str", "strs", "json")
    if (arr.dtype == object) != want_str:
        raise Refused("INVALID_ARGUMENT", "setting %s: wants %s" % (
            name, "a string" if kind in ("str", "json") else
            "strings" if kind == "strs" else "integers"))
    if not want_str and arr.dtype.kind not in "iu":
        raise Refused("INVALID_ARGUMENT", "setting %s: wants integers" % name)
    if kind in ("str", "json", "int"):
        if arr.size != 1:
            raise Refused("INVALID_ARGUMENT", "setting %s: wants one value, "
                          "got %d" % (name, arr.size))
        v = arr.ravel()[0]
        if kind == "json":
            try:
                return json.loads(v)
            except ValueError as e:
                raise Refused("INVALID_ARGUMENT", "setting %s: not JSON: %s" %
                              (name, e))
        return str(v) if kind == "str" else int(v)
    return [str(x) if want_str else int(x) for x in arr.ravel().tolist()]


class Server:
    """The worlds of one gamehookd, and the sessions (streams) using them."""

    def __init__(self, max_games=16, step_timeout=60.0, allow=None,
                 token=None, make_env=None):
        self.max_games = max_games
        self.step_timeout = step_timeout
        self.allow = [os.path.realpath(p) for p in allow] if allow else None
        self.token = token
        self.make_env = make_env
        self.worlds = {}
        self.reserved = 0           # worlds being created
        self.lock = threading.Lock()
        self.names = itertools.count(1)
        self.tmp = tempfile.mkdtemp(prefix="gamehookd-")
        self.stopping = threading.Event()
        self.watchdog = threading.Thread(target=self._watch, daemon=True)
        self.watchdog.start()

    def _watch(self):
        """Kill a game that has not answered a call for step_timeout: the
        call then returns, with an error, instead of hanging."""
        while not self.stopping.wait(0.25):
            now = time.monotonic()
            with self.lock:
                worlds = list(self.worlds.values())
            for w in worlds:
                t = w.busy_since
                if t is not None and now - t > self.step_timeout:
                    w.kill("did not answer within %gs (--step-timeout) and "
                           "was killed" % self.step_timeout)

    def close(self):
        self.stopping.set()
        with self.lock:
            worlds = list(self.worlds.values())
            self.worlds.clear()
        for w in worlds:
            w.kill("the server stopped")
            w.close()
        import shutil
        shutil.rmtree(self.tmp, True)

    # --- the stream -------------------------------------------------------

    def process(self, requests, context):
        """The Process RPC: one session."""
        if self.token is not None:
            md = dict(context.invocation_metadata())
            got = md.get("authorization", "")
            if not hmac.compare_digest(got.encode(), ("Bearer " +
                                                      self.token).encode()):
                context.abort(grpc.StatusCode.UNAUTHENTICATED,
                              "gamehookd: a token is needed (metadata "
                              "authorization: Bearer TOKEN)")
        s = Session(self)
        try:
            for raw in requests:
                yield s.handle(raw)
        finally:
            s.end()

    def add_world(self, kwargs, session):
        with self.lock:
            if len(self.worlds) + self.reserved >= self.max_games:
                raise Refused("RESOURCE_EXHAUSTED", "this server runs at most "
                              "%d games (--max-games), all taken" %
                              self.max_games)
            self.reserved += 1
            name = "world-%d" % next(self.names)
        try:
            w = World(name, kwargs, session, make_env=self.make_env)
            # a slow launch is the watchdog's too once the world is known
        finally:
            with self.lock:
                self.reserved -= 1
        with self.lock:
            self.worlds[name] = w
        return w

    def world(self, name):
        with self.lock:
            w = self.worlds.get(name)
        if w is None:
            raise Refused("NOT_FOUND", "no world %r (worlds: %s)" % (
                name, ", ".join(sorted(self.worlds)) or "none"))
        return w

    def destroy(self, w):
        with self.lock:
            self.worlds.pop(w.name, None)
        w.destroyed = True
        w.kill("was destroyed")
        w.close()

    # --- settings ---------------------------------------------------------

    def world_kwargs(self, settings):
        bad = [k for k in settings if k not in SETTINGS]
        if bad:
            raise Refused("INVALID_ARGUMENT", "unknown setting %s (settings: "
                          "%s)" % (", ".join(sorted(bad)),
                                   ", ".join(SETTINGS)))
        v = {k: _setting(k, t) for k, t in settings.items()}
        if not v.get("argv"):
            raise Refused("INVALID_ARGUMENT", "setting argv (the game's "
                          "command line, strings) is required")
        kw = {"argv": v["argv"]}
        if self.allow is not None:
            import shutil
            prog = shutil.which(v["argv"][0]) or v["argv"][0]
            if os.path.realpath(prog) not in self.allow:
                raise Refused("PERMISSION_DENIED", "%s is not among the "
                              "programs this server runs (--allow)" %
                              v["argv"][0])
            for e in v.get("env", []):
                if e.startswith(("LD_", "HOOK_", "GAMEHOOK_")):
                    raise Refused("PERMISSION_DENIED", "env %s: not with "
                                  "--allow" % e.split("=")[0])
            if "options" in v and set(v["options"]) & {"lib", "cwd", "env"}:
                raise Refused("PERMISSION_DENIED", "options lib, cwd, env: "
                              "not with --allow")
        for key in ("layout", "scenario"):
            if key + "_json" in v:
                fd, path = tempfile.mkstemp(suffix=".json", dir=self.tmp)
                with os.fdopen(fd, "w") as f:
                    f.write(v[key + "_json"])
                kw[key] = path
            elif key in v:
                kw[key] = v[key]
        for key in ("seed", "actions", "observe", "frame_skip"):
            if key in v:
                kw[key] = v[key]
        if "size" in v:
            if len(v["size"]) != 2:
                raise Refused("INVALID_ARGUMENT", "setting size: cols, rows")
            kw["size"] = tuple(v["size"])
        if "env" in v:
            kw["env"] = dict(e.split("=", 1) for e in v["env"] if "=" in e)
        opts = v.get("options", {})
        if not isinstance(opts, dict):
            raise Refused("INVALID_ARGUMENT", "setting options: a JSON object")
        # The game's own socket waits outlast the watchdog's.
        kw["timeout"] = max(60.0, self.step_timeout + 10)
        kw.update(opts)
        return kw


class Session:
    """One client's stream: the worlds it created (ended with it) and the
    one it joined."""

    def __init__(self, server):
        self.server = server
        self.created = {}
        self.joined = None

    def end(self):
        """The stream is over (closed, or the client vanished)."""
        if self.joined is not None:
            self.joined.joined = None
            self.joined = None
        for w in list(self.created.values()):
            self.server.destroy(w)
        self.created.clear()

    def handle(self, raw):
        """The serialized EnvironmentResponse to one serialized request."""
        resp = pb.EnvironmentResponse()
        try:
            req = pb.EnvironmentRequest()
            try:
                req.ParseFromString(raw)
            except Exception as e:
                raise Refused("INVALID_ARGUMENT", "the request does not "
                              "decode as an EnvironmentRequest: %s" % e)
            kind = req.WhichOneof("payload")
            if kind is None:
                raise Refused("INVALID_ARGUMENT", "the request has no payload"
                              " (an unknown kind of request?)")
            getattr(self, "_" + kind)(getattr(req, kind), resp)
        except (Refused, WorldError) as e:
            resp.Clear()
            resp.error.code = _code(e.code)
            resp.error.message = e.message
            game = getattr(e, "game", None)
            if game is not None:
                resp.error.details.add().Pack(gpb.GameError(
                    code=game.code, message=game.message))
        except Exception as e:      # a bug of ours: the stream goes on
            resp.Clear()
            resp.error.code = _code("INTERNAL")
            resp.error.message = "gamehookd: %s: %s" % (type(e).__name__, e)
        return resp.SerializeToString()

    def _mine(self, w):
        if w.joined is not None and w.joined is not self:
            raise Refused("FAILED_PRECONDITION", "world %s is joined by "
                          "another client" % w.name)

    def _joined(self):
        w = self.joined
        if w is None:
            raise Refused("FAILED_PRECONDITION", "join a world first")
        if w.destroyed:
            self.joined = None
            raise Refused("NOT_FOUND", "world %s was destroyed (its creator "
                          "destroyed it or went away)" % w.name)
        return w

    def _create_world(self, req, resp):
        kw = self.server.world_kwargs(req.settings)
        try:
            w = self.server.add_world(kw, self)
        except GamehookError as e:
            raise WorldError("INVALID_ARGUMENT", "cannot start the game: %s" %
                             e, game=e)
        except WorldError:
            raise
        except TypeError as e:
            raise Refused("INVALID_ARGUMENT", "cannot make the world: %s" % e)
        self.created[w.name] = w
        resp.create_world.world_name = w.name

    def _join_world(self, req, resp):
        if self.joined is not None:
            raise Refused("FAILED_PRECONDITION", "already joined %s; leave it "
                          "first" % self.joined.name)
        if req.settings:
            raise Refused("INVALID_ARGUMENT", "JoinWorld takes no settings "
                          "(given: %s)" % ", ".join(req.settings))
        w = self.server.world(req.world_name)
        with w.lock:
            self._mine(w)
            w.joined = self
            w.running = False
        self.joined = w
        resp.join_world.specs.CopyFrom(w.specs)

    def _step(self, req, resp):
        w = self._joined()
        with w.lock:
            w.step(req.actions, list(req.requested_observations), resp.step)

    def _seed(self, settings, what):
        bad = [k for k in settings if k != "seed"]
        if bad:
            raise Refused("INVALID_ARGUMENT", "%s: unknown setting %s "
                          "(settings: seed)" % (what, ", ".join(bad)))
        return _setting("seed", settings["seed"]) if "seed" in settings \
            else None

    def _reset(self, req, resp):
        w = self._joined()
        seed = self._seed(req.settings, "Reset")
        with w.lock:
            w.reset(seed)
        resp.reset.specs.CopyFrom(w.specs)

    def _reset_world(self, req, resp):
        w = self.server.world(req.world_name)
        seed = self._seed(req.settings, "ResetWorld")
        with w.lock:
            self._mine(w)
            w.reset(seed)
        resp.reset_world.SetInParent()

    def _leave_world(self, req, resp):
        if self.joined is not None:
            self.joined.joined = None
            self.joined = None
        resp.leave_world.SetInParent()

    def _destroy_world(self, req, resp):
        w = self.server.world(req.world_name)
        self._mine(w)
        if self.joined is w:
            self.joined = None
        self.created.pop(w.name, None)
        self.server.destroy(w)
        resp.destroy_world.SetInParent()

    def _extension(self, req, resp):
        w = self._joined()
        for cls, run in ((gpb.SaveRequest, lambda m: gpb.SaveResponse(
                json=w.command("save " + m.name))),
                (gpb.LoadRequest, lambda m: gpb.LoadResponse(
                    json=w.command("load " + m.name))),
                (gpb.CommandRequest, lambda m: gpb.CommandResponse(
                    text=w.command(m.line))),
                (gpb.SpacesRequest, lambda m: gpb.SpacesResponse(
                    json=w.spaces_json()))):
            if req.Is(cls.DESCRIPTOR):
                m = cls()
                req.Unpack(m)
                if cls in (gpb.SaveRequest, gpb.LoadRequest) and \
                        not m.name.strip() or "\n" in getattr(m, "line", "") \
                        + getattr(m, "name", ""):
                    raise Refused("INVALID_ARGUMENT", "a name (one line) is "
                                  "needed")
                with w.lock:
                    out = run(m)
                resp.extension.Pack(out)
                return
        raise Refused("UNIMPLEMENTED", "unknown extension %s (gamehookd "
                      "knows gamehook.rpc.SaveRequest, LoadRequest, "
                      "CommandRequest, SpacesRequest)" % req.type_url)


# --- the program ----------------------------------------------------------

def _loopback(host):
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(address=DEFAULT_ADDRESS, token=None, max_games=16, max_clients=64,
          max_message=4 << 20, step_timeout=60.0, allow=None, tls=None,
          make_env=None):
    """Start a server; returns (grpc server, Server, the bound port)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("address %r: HOST:PORT" % address)
    if not _loopback(host) and token is None and (tls is None or
                                                  tls[2] is None):
        raise ValueError("address %s is not loopback: give a token "
                         "(--token-file, GAMEHOOKD_TOKEN) or TLS with client "
                         "certificates (--tls-*)" % address)
    srv = Server(max_games=max_games, step_timeout=step_timeout, allow=allow,
                 token=token, make_env=make_env)
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Process": grpc.stream_stream_rpc_method_handler(
            srv.process, request_deserializer=None,
            response_serializer=None)})
    g = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_clients,
                                   thread_name_prefix="gamehookd"),
        handlers=[handler], maximum_concurrent_rpcs=max_clients,
        options=[("grpc.max_receive_message_length", max_message),
                 ("grpc.max_send_message_length", -1),
                 ("grpc.keepalive_time_ms", 30000),
                 ("grpc.keepalive_timeout_ms", 10000),
                 ("grpc.http2.min_ping_interval_without_data_ms", 5000),
                 ("grpc.keepalive_permit_without_calls", 1),
                 ("grpc.so_reuseport", 0)])
    if tls is not None:
        cert, key, ca = tls
        creds = grpc.ssl_server_credentials(
            [(open(key, "rb").read(), open(cert, "rb").read())],
            root_certificates=open(ca, "rb").read() if ca else None,
            require_client_auth=ca is not None)
        bound = g.add_secure_port(address, creds)
    else:
        bound = g.add_insecure_port(address)
    if not bound:
        srv.close()
        raise OSError("cannot listen on %s" % address)
    g.start()
    return g, srv, bound


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="gamehookd", description="Serve games under gamehook over gRPC "
        "(dm_env_rpc v1).")
    p.add_argument("--address", default=os.environ.get(
        "GAMEHOOKD_ADDRESS", DEFAULT_ADDRESS), help="HOST:PORT to listen on "
        "(default %(default)s; port 0: any free port)")
    p.add_argument("--token-file", help="a file holding the token clients "
                   "must send (metadata authorization: Bearer TOKEN); "
                   "or GAMEHOOKD_TOKEN")
    p.add_argument("--tls-cert", help="serve TLS with this certificate (PEM)")
    p.add_argument("--tls-key", help="... and this key")
    p.add_argument("--tls-client-ca", help="require client certificates "
                   "signed by this CA")
    p.add_argument("--max-games", type=int, default=16)
    p.add_argument("--max-clients", type=int, default=64)
    p.add_argument("--max-message", type=int, default=4 << 20,
                   help="largest request in bytes (default %(default)s)")
    p.add_argument("--step-timeout", type=float, default=60.0,
                   help="seconds a game may take to answer before it is "
                   "killed (default %(default)s)")
    p.add_argument("--allow", action="append", metavar="PROGRAM",
                   help="run only these programs (repeatable)")
    a = p.parse_args(argv)
    token = os.environ.get("GAMEHOOKD_TOKEN")
    if a.token_file:
        try:
            with open(a.token_file) as f:
                token = f.read().strip()
        except OSError as e:
            p.exit(2, "gamehookd: token file: %s\n" % e)
    if token is not None and not token:
        p.exit(2, "gamehookd: the token is empty\n")
    tls = None
    if a.tls_cert or a.tls_key:
        if not (a.tls_cert and a.tls_key):
            p.exit(2, "gamehookd: --tls-cert and --tls-key go together\n")
        tls = (a.tls_cert, a.tls_key, a.tls_client_ca)
    if a.max_games < 1 or a.max_clients < 1:
        p.exit(2, "gamehookd: --max-games and --max-clients: at least 1\n")
    try:
        g, srv, port = serve(a.address, token=token, max_games=a.max_games,
                             max_clients=a.max_clients,
                             max_message=a.max_message,
                             step_timeout=a.step_timeout, allow=a.allow,
                             tls=tls)
    except (ValueError, OSError) as e:
        p.exit(2, "gamehookd: %s\n" % e)
    host = a.address.rpartition(":")[0]
    print("gamehookd: listening on %s:%d" % (host, port), flush=True)
    import signal
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    g.stop(2).wait()
    srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
