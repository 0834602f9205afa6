"""Fresh games under load survive clients that come and go at once around
their first frame boundaries: many lockstep demo games, started while busy
processes load every CPU, each met as soon as its socket appears by clients
joining together and leaving abruptly (a `hookctl watch` killed by SIGTERM
or SIGKILL right after another client's `step 1`, a watcher dropped with a
reset or a plain close while frames stream to it, a client gone in the
middle of its step, several clients at once); every game must still answer
`hello` afterwards and end as it does without the shim (on its quit key and
on SIGTERM), never by SIGABRT or SIGSEGV. A smaller round runs the same
under AddressSanitizer (with UBSan) and under ThreadSanitizer builds of the
shim, and any report of theirs fails the test. (Issue 8: a client freed while the
control thread settled every client was used again by a later event of
the same epoll batch: "double free or corruption (out)".)"""
import glob
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading

from gh import DEMO, HOOKCTL, ROOT, Conn, Game, TestFailure, check, wait_until


def clean_env():
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("HOOK_") or k in ("GAMEHOOK_OWNER", "LD_PRELOAD"):
            del e[k]
    return e


class Load:
    """One busy process per CPU, for as long as the block runs."""

    def __enter__(self):
        self.procs = [subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"])
                      for _ in range(os.cpu_count() or 2)]
        return self

    def __exit__(self, *a):
        for p in self.procs:
            p.kill()
            p.wait()


def hookctl_proc(sock, *args):
    return subprocess.Popen([HOOKCTL, "-s", sock] + list(args), env=clean_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def drop(conn, reset):
    """Leave at once: a reset (SO_LINGER 0) or a plain close."""
    if reset:
        conn.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def killed_watcher(g, sig):
    """The issue's recipe: `hookctl watch` as soon as the socket is there,
    `step 1` from another client, then the watcher killed."""
    w = hookctl_proc(g.sock, "watch")
    s = subprocess.run([HOOKCTL, "-s", g.sock, "step", "1"], env=clean_env(),
                       capture_output=True, text=True, timeout=60)
    w.send_signal(sig)
    w.wait(timeout=60)
    check(s.returncode == 0 and s.stdout.strip() == "1", "step 1: %r" % (s,))


def dropped_watcher(g, i):
    """A watcher that leaves while frames stream to it, beside a stepping
    client; and a client gone in the middle of its own step."""
    w, s = Conn(g.sock, 60), Conn(g.sock, 60)
    w.send("watch\n")
    check(w.line().startswith("ok watching"), "watch")
    s.send("step 300\n")
    for _ in range(1 + i % 4):
        w.line()
    drop(w, i % 2)
    check(s.line() == "ok 300", "the stepping client's reply")
    gone = Conn(g.sock, 60)
    gone.send("step 200\n")
    drop(gone, i % 3 == 0)
    s.close()


def crowd(g, i):
    """Several clients at once: one steps and leaves mid-step, one watches
    and leaves, one asks and stays until the others are gone."""
    errors = []

    def stepper():
        c = Conn(g.sock, 60)
        c.send("step 100\n")
        drop(c, True)

    def watcher():
        c = Conn(g.sock, 60)
        c.send("watch\nstep 3\n")
        c.line()
        c.line()
        drop(c, False)

    def asker():
        c = Conn(g.sock, 60)
        try:
            c.ok("hello")
            c.ok("info")
        except Exception as e:   # noqa: BLE001 -- reported below
            errors.append(repr(e))
        c.close()

    ts = [threading.Thread(target=f) for f in (stepper, watcher, asker, asker)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(not errors, "a client of the crowd: %s" % errors)


def shim_log(g):
    try:
        with open(g.log, errors="replace") as f:
            return f.read()[-1500:]
    except OSError:
        return ""


def one_game(i, quit_rc, term_rc, env, sigterm=True):
    """Run scenario I on a fresh game; returns a failure message or None."""
    g = Game([DEMO, "--seed", str(i)], lockstep=True, env=env)
    what = "game %d" % i
    try:
        wait_until(lambda: os.path.exists(g.sock) or g.proc.poll() is not None,
                   60, "the control socket")
        kind = i % 4
        try:
            if kind < 2:
                killed_watcher(g, signal.SIGTERM if kind == 0 else signal.SIGKILL)
            elif kind == 2:
                dropped_watcher(g, i)
            else:
                crowd(g, i)
        except (OSError, EOFError, TestFailure) as e:
            if g.proc.poll() is None:
                raise
            what += " (its clients: %r)" % e
        rc = g.proc.poll()
        if rc is not None:
            return "%s died with status %d: %r" % (what, rc, g.text()[-200:])
        c = Conn(g.sock, 60)
        c.ok("hello")
        if i % 2 or not sigterm:
            # Its own quit key: main() returns (joining its worker thread,
            # freeing its message list).
            c.ok("key q")
            c.send("step 5\n")
            rc = g.proc.wait(timeout=60)
            expect = quit_rc
        else:
            g.proc.send_signal(signal.SIGTERM)
            rc = g.proc.wait(timeout=60)
            expect = term_rc
        c.close()
        if rc != expect:
            return "%s ended with status %d, not %d: %r" % (what, rc, expect,
                                                          g.text()[-200:])
        return None
    except Exception as e:   # noqa: BLE001 -- the message is the result
        return "%s: %r, status %r: %r; log: %r" % (what, e, g.proc.poll(),
                                                  g.text()[-200:], shim_log(g))
    finally:
        g.stop()


def baseline():
    """How the demo game ends without the shim: on q, and on SIGTERM."""
    with Game([DEMO, "--seed", "1"], shim=False) as g:
        g.wait_output("Tick")
        g.type_real("q")
        quit_rc = g.proc.wait(timeout=30)
    with Game([DEMO, "--seed", "1"], shim=False) as g:
        g.wait_output("Tick")
        g.proc.send_signal(signal.SIGTERM)
        term_rc = g.proc.wait(timeout=30)
    return quit_rc, term_rc


def run_round(n, parallel, env=None, sigterm=True):
    quit_rc, term_rc = baseline()
    failures = []
    lock = threading.Lock()
    todo = list(range(n))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop(0)
            f = one_game(i, quit_rc, term_rc, env, sigterm)
            if f is not None:
                with lock:
                    failures.append(f)

    with Load():
        ts = [threading.Thread(target=worker) for _ in range(parallel)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    check(not failures, "%d of %d games:\n  %s" % (len(failures), n,
                                                  "\n  ".join(sorted(failures)[:10])))


def test_fresh_games_survive_clients_leaving_abruptly_under_load():
    run_round(48, 6)


def sanitized_shim(b, sanitize):
    """The shim built with SANITIZE into build directory B (build/san is
    the one tests/run.py builds everything into: then nothing is left)."""
    r = subprocess.run(["make", "-s", "B=" + b, "SANITIZE=" + sanitize,
                        b + "/libhook.so"], cwd=ROOT, capture_output=True, text=True)
    check(r.returncode == 0, "make %s: %s%s" % (b, r.stdout[-2000:], r.stderr[-2000:]))
    return os.path.join(ROOT, b, "libhook.so")


def sanitizer_round(b, sanitize, runtime_name, options, sigterm=True):
    lib = sanitized_shim(b, sanitize)
    runtime = subprocess.run(["gcc", "-print-file-name=" + runtime_name],
                             capture_output=True, text=True).stdout.strip()
    check(os.path.isabs(runtime), "no %s" % runtime_name)
    logs = tempfile.mkdtemp(prefix="gh-stress-san-")
    # ASan's runtime must come first. TSan's comes after the shim: the
    # game's calls reach the shim first, and the shim's own calls, the
    # threads it starts among them, go through TSan's interceptors.
    preload = [lib, runtime] if "thread" in sanitize else [runtime, lib]
    env = {"LD_PRELOAD": " ".join(preload)}
    for var, extra in options.items():
        env[var] = "log_path=%s/%s:%s" % (logs, var.split("_")[0].lower(), extra)
    games = None
    try:
        run_round(12, 4, env, sigterm)
    except TestFailure as e:
        games = str(e)
    reports = sorted(glob.glob(os.path.join(logs, "*")))
    text = "".join(open(p, errors="replace").read() for p in reports)
    shutil.rmtree(logs, ignore_errors=True)
    check(not reports, "%s reported:\n%s" % (sanitize, text[:6000]))
    check(games is None, games)


def test_sanitizers_see_nothing_wrong():
    sanitizer_round(os.path.join("build", "san"), "address,undefined", "libasan.so",
                    {"ASAN_OPTIONS": "detect_leaks=0",
                     "UBSAN_OPTIONS": "print_stacktrace=1"})
    # TSan runs a signal's handler at the thread's next call it
    # intercepts; a game held at the gate waits in a raw futex, so there
    # its games end by their quit key only.
    sanitizer_round(os.path.join("build", "tsan"), "thread", "libtsan.so",
                    {"TSAN_OPTIONS": "halt_on_error=0"}, sigterm=False)
