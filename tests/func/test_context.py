"""A run's launch context travels with its trace: the header holds the
argument vector, the environment (the shim's own variables apart), the
directory, the terminal's size and TERM, and `dumper info` shows them;
`dumper replay` recreates them, so a run recorded with one TERM, size,
directory and environment replays identically from a shell with others,
while its overrides (--env, --unset, --size, --cwd) really reach the game
(the same overrides make the demo game diverge); what cannot be recreated
(a removed directory, a missing program) is said before anything starts;
an older trace without a context replays as before and says so; and the
C launcher (hookctl run) and the Python client's give a game the same
environment from the same caller; and the control token (HOOK_TOKEN) is
not written into a trace."""
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile

from gh import BUILD, DEMO, HOOKCTL, LIB, PROGS, ROOT, Game, check, \
    frame_of, wait_until

DUMPER = os.path.join(BUILD, "dumper")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
GOLDEN = os.path.join(ROOT, "tests", "golden", "demo.trace")
TMP = tempfile.mkdtemp(prefix="gh-context-")

_spec = importlib.util.spec_from_file_location(
    "demo_script", os.path.join(ROOT, "scripts", "demo.py"))
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)


def record(name, cwd, cols=120, rows=40, term="xterm-256color"):
    """The demo game played by demo.py's controller for 300 frames, seeded,
    at COLSxROWS with TERM, in directory CWD, with a variable of its own;
    the trace's path. The demo keeps heap pointers in its state: a replay
    whose terminal description or size differs diverges at frame 211."""
    path = os.path.join(TMP, name)
    e = {"HOOK_LAYOUT": LAYOUT, "HOOK_TRACE": path, "HOOK_SEED": "7",
         "TERM": term, "GH_CONTEXT_MARK": "recorded 'here'"}
    with Game([DEMO, "--seed", "7"], env=e, lockstep=True, cols=cols,
              rows=rows, cwd=cwd) as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        for _ in range(60):
            st, lane = demo.parse(json.loads(c.ok("screen")))
            c.ok("key " + demo.decide(st, lane))
            c.ok("step 5")
        c.ok("trace stop")
    return path


def info(path):
    r = subprocess.run([DUMPER, "info", path, "--json"], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0, r.stderr)
    return json.loads(r.stdout)


def other_shell():
    """An environment unlike the recording's: another TERM, a COLUMNS and
    LINES, a variable the game never had, the recording's mark changed."""
    e = dict(os.environ, TERM="screen-256color", COLUMNS="80", LINES="24",
             GH_CONTEXT_MARK="elsewhere", GH_CONTEXT_STRAY="1")
    for k in list(e):
        if k.startswith("HOOK_"):
            del e[k]
    return e


def replay(path, *extra, cwd="/"):
    return subprocess.run([DUMPER, "replay", path] + list(extra),
                          capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=other_shell())


_traces = {}


def recorded():
    """One recording shared by the replay tests (its directory kept)."""
    if "main" not in _traces:
        d = os.path.join(TMP, "play")
        os.makedirs(d, exist_ok=True)
        _traces["main"] = record("main.trace", d)
    return _traces["main"]


def test_header_and_info_carry_the_launch_context():
    path = recorded()
    j = info(path)["launch"]
    check(j is not None, "no launch context in %r" % info(path))
    check(j["argv"] == [DEMO, "--seed", "7"], j["argv"])
    check(j["cwd"] == os.path.join(TMP, "play"), j["cwd"])
    check(j["terminal"] == {"cols": 120, "rows": 40}, j["terminal"])
    check(j["term"] == "xterm-256color", j["term"])
    env = dict(e.split("=", 1) for e in j["env"])
    check(env.get("GH_CONTEXT_MARK") == "recorded 'here'", j["env"])
    check(env.get("PATH") == os.environ.get("PATH"), "PATH not inherited")
    check(not any(k.startswith(("HOOK_", "GAMEHOOK_")) or k == "LD_PRELOAD"
                  for k in env), "shim variables in env: %r" % j["env"])
    shim = dict(e.split("=", 1) for e in j["shim_env"])
    check(shim.get("HOOK_SEED") == "7" and shim.get("HOOK_MODE") == "lockstep"
          and shim.get("LD_PRELOAD") == LIB, j["shim_env"])
    r = subprocess.run([DUMPER, "info", path], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, r.stderr)
    for want in ("argv:               %s --seed 7" % DEMO,
                 "cwd:                %s" % os.path.join(TMP, "play"),
                 "terminal:           120x40", "TERM:               xterm-256color",
                 "  GH_CONTEXT_MARK=recorded 'here'", "  HOOK_SEED=7"):
        check(want in r.stdout, "%r not in:\n%s" % (want, r.stdout))


def test_replay_from_another_shell_is_identical():
    path = recorded()
    r = replay(path)
    check(r.returncode == 0, r.stdout + r.stderr)
    check("replay: launch as recorded: cwd %s, a 120x40 terminal, "
          "TERM=xterm-256color" % os.path.join(TMP, "play") in r.stdout, r.stdout)
    check("replay: identical: 301 frames compared" in r.stdout, r.stdout)


def test_overrides_reach_the_game():
    path = recorded()
    # Each changes what shapes the run: the demo's heap moves, frame 211
    # tells (so the identical replay above is not luck).
    for extra in (["--env", "TERM=xterm"], ["--size", "80x24"],
                  ["--env", "TERM=screen-256color"]):
        r = replay(path, *extra)
        check(r.returncode == 1 and "replay: diverged at frame 211" in r.stdout,
              "%r: %s%s" % (extra, r.stdout, r.stderr))
    # Overrides that do not touch what the game reads change nothing.
    r = replay(path, "--env", "GH_CONTEXT_OTHER=1", "--unset", "GH_CONTEXT_MARK",
               "--cwd", TMP)
    check(r.returncode == 0 and "identical: 301 frames" in r.stdout,
          r.stdout + r.stderr)
    check("1 --env, 1 --unset" in r.stdout and "cwd %s," % TMP in r.stdout,
          r.stdout)
    for bad, why in ((["--size", "80"], "--size takes COLSxROWS"),
                     (["--env", "NOVALUE"], "--env takes NAME=VALUE"),
                     (["--unset", "A=B"], "--unset takes a NAME")):
        r = replay(path, *bad)
        check(r.returncode == 2 and why in r.stderr, "%r: %r" % (bad, r.stderr))


def test_what_cannot_be_recreated_is_said_before_it_starts():
    d = os.path.join(TMP, "gone")
    os.makedirs(d)
    path = record("gone.trace", d, cols=80, rows=24, term="xterm")
    shutil.rmtree(d)
    r = replay(path)
    check(r.returncode == 2, r.stdout + r.stderr)
    check("cannot recreate the recorded launch: directory %s: No such file or "
          "directory (--cwd DIR runs it elsewhere)" % d in r.stderr, r.stderr)
    check("frames" not in r.stdout and "diverged" not in r.stdout, r.stdout)
    r = replay(path, "--cwd", TMP)
    check(r.returncode == 0 and "identical: 301 frames" in r.stdout,
          r.stdout + r.stderr)
    # A recorded program that is not there any more.
    game = os.path.join(TMP, "game-copy")
    shutil.copy(DEMO, game)
    path = os.path.join(TMP, "copy.trace")
    with Game([game, "--seed", "7"], env={"HOOK_LAYOUT": LAYOUT,
              "HOOK_TRACE": path, "HOOK_SEED": "7"}, lockstep=True) as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        c.ok("step 20")
        c.ok("trace stop")
    os.unlink(game)
    r = replay(path)
    check(r.returncode == 2 and "cannot recreate the recorded launch: %s: No "
          "such file or directory (-- GAME ARGS runs another program)" % game
          in r.stderr, r.stdout + r.stderr)
    r = replay(path, "--", DEMO, "--seed", "7")
    check(r.returncode == 0 and "identical: 21 frames" in r.stdout,
          r.stdout + r.stderr)


def test_an_older_trace_replays_as_before_and_says_so():
    check(info(GOLDEN)["launch"] is None, "the golden trace has a context")
    r = replay(GOLDEN, "--", DEMO)
    check("carries no launch context (recorded before gamehook kept it): the "
          "game gets this shell's environment and directory and a 80x24 "
          "terminal, as before" in r.stdout, r.stdout + r.stderr)
    # It ran and compared (the golden run was not seeded: it drifts).
    check("replay: %s, frames 0 to 150, seed none" % DEMO in r.stdout,
          r.stdout + r.stderr)
    r = replay(GOLDEN)
    check(r.returncode == 2 and "records no command line" in r.stderr, r.stderr)


def test_hookctl_run_and_the_python_client_give_the_same_environment():
    # The same caller environment (a stray HOOK_ variable, an old shim and
    # another library in LD_PRELOAD, a variable to unset), the same
    # overrides: the two launchers must record the same environment.
    caller = {"PATH": os.environ["PATH"], "HOME": "/nonexistent-home",
              "LANG": "C.UTF-8", "GH_KEEP": "a b", "GH_GONE": "x",
              "HOOK_SPEED": "3", "GAMEHOOK_OWNER": "1",
              "LD_PRELOAD": "/old/place/libhook.so /usr/lib/x/libother.so"}
    worker = os.path.join(PROGS, "worker-clock")
    got = {}
    for who in ("c", "py"):
        trace = os.path.join(TMP, "env-%s.trace" % who)
        sock = os.path.join(TMP, "env-%s.sock" % who)
        if who == "c":
            # --no-pty: the same descriptors as the Python side's.
            cmd = [HOOKCTL, "run", "--background", "--no-pty", "--trace", trace, "-s", sock,
                   "--env", "GH_SET=1", "--unset", "GH_GONE", "--", worker]
        else:
            cmd = ["/usr/bin/python3", "-c", (
                "import sys; sys.path.insert(0, %r); import gamehook\n"
                "gamehook.spawn([%r], hook={'HOOK_TRACE': %r, 'HOOK_SOCKET': %r},"
                " shim=%r, env={'GH_SET': '1'}, unset=['GH_GONE'],"
                " stdio='inherit')") % (os.path.join(ROOT, "python"), worker,
                                        trace, sock, LIB)]
        # Output to a file: a game holding a pipe would keep run() waiting.
        with open(os.path.join(TMP, "env-%s.out" % who), "w+") as out:
            r = subprocess.run(cmd, env=caller, stdout=out, stderr=out,
                               timeout=60, stdin=subprocess.DEVNULL)
            out.seek(0)
            check(r.returncode == 0, "%s: %s" % (who, out.read()))
        wait_until(lambda: subprocess.run([DUMPER, "info", trace],
                                          capture_output=True).returncode == 0,
                   30, "the trace's header")
        j = info(trace)
        os.kill(j["pid"], 9)
        got[who] = j["launch"]
    c, py = got["c"], got["py"]
    check(c["env"] == py["env"], "environments differ:\n%r\n%r" % (c["env"], py["env"]))
    env = dict(e.split("=", 1) for e in c["env"])
    check(env == {"PATH": os.environ["PATH"], "HOME": "/nonexistent-home",
                  "LANG": "C.UTF-8", "GH_KEEP": "a b", "GH_SET": "1"}, env)
    shim = [dict(e.split("=", 1) for e in x["shim_env"]) for x in (c, py)]
    for s in shim:
        check(s.get("LD_PRELOAD") == LIB + ":/usr/lib/x/libother.so", s)
        check("HOOK_SPEED" not in s and "HOOK_TRACE" in s, s)
    check(c["cwd"] == py["cwd"] and c["argv"] == py["argv"] == [worker],
          "%r %r" % (c, py))


def test_the_control_token_stays_out_of_the_trace():
    tok = "s3cret-token-for-the-trace-test"
    path = os.path.join(TMP, "token.trace")
    with Game([DEMO, "--seed", "7"], env={"HOOK_LAYOUT": LAYOUT, "HOOK_TRACE": path,
              "HOOK_LISTEN": "127.0.0.1:0", "HOOK_TOKEN": tok},
              lockstep=True) as g:
        c = g.connect()
        wait_until(lambda: frame_of(c) == 0, what="the first frame")
        c.ok("step 2")
        c.ok("trace stop")
    j = info(path)["launch"]
    check("HOOK_TOKEN=(not recorded)" in j["shim_env"], j["shim_env"])
    check("HOOK_LISTEN=127.0.0.1:0" in j["shim_env"], j["shim_env"])
    hdr = subprocess.run("%s record %s header | zstd -dc" % (DUMPER, path),
                         shell=True, capture_output=True, timeout=60)
    check(hdr.returncode == 0 and b"HOOK_LISTEN" in hdr.stdout, hdr.stderr)
    check(tok.encode() not in hdr.stdout, "the token is in the header")
