"""`make demo` passes in every terminal: its controller (scripts/demo.py),
typed into a shell inside tmux the way a person would (a detached session
of 200x60 and of 80x24, TERM=xterm-256color and screen-256color), plays the
game, quits it, and its closing `dumper replay` finds every frame identical
(it diverged at frame 211 when the replay took the caller's TERM); and
without a terminal, with no TERM or either of those, the same. And a
launched game's pty reader (the test helpers', the Python client's) is
gone before its descriptor is closed: closed under a live reader, the
number became the next game's pty, whose output the old reader stole
(worker-clock's lines went missing under load)."""
import os
import shutil
import subprocess
import tempfile

from gh import LIB, PROGS, ROOT, Game, check
import gamehook

DEMO_PY = os.path.join(ROOT, "scripts", "demo.py")
TMUX = shutil.which("tmux", path="/usr/bin:/bin")


def demo_in_tmux(cols, rows, term):
    """Type demo.py into a shell in a fresh tmux server of our own; wait
    for its exit status (written to a file, then `tmux wait-for`); return
    the status and the pane's text, history and all."""
    check(TMUX is not None, "tmux is not installed (scripts/deps.sh installs it)")
    d = tempfile.mkdtemp(prefix="gh-tmux-")
    sock = os.path.join(d, "tmux.sock")
    status = os.path.join(d, "status")
    chan = "gh-demo-done"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOOK_", "TMUX")) and k != "LD_PRELOAD"}
    env.pop("TERM", None)
    tmux = [TMUX, "-S", sock, "-f", "/dev/null"]
    try:
        subprocess.run(tmux + ["new-session", "-d", "-s", "demo", "-x", str(cols),
                               "-y", str(rows), "/bin/sh"],
                       env=env, check=True, timeout=30, stdin=subprocess.DEVNULL)
        subprocess.run(tmux + ["set-option", "-g", "history-limit", "5000"],
                       check=True, timeout=30)
        size = subprocess.run(tmux + ["display-message", "-p", "-t", "demo",
                                      "#{window_width}x#{window_height}"],
                              capture_output=True, text=True, timeout=30)
        check(size.stdout.strip() == "%dx%d" % (cols, rows),
              "tmux window is %r" % size.stdout)
        line = ("cd %s && TERM=%s /usr/bin/python3 %s; echo $? > %s; "
                "%s -S %s wait-for -S %s" % (ROOT, term, DEMO_PY, status, TMUX,
                                            sock, chan))
        subprocess.run(tmux + ["send-keys", "-t", "demo", "-l", line],
                       check=True, timeout=30)
        subprocess.run(tmux + ["send-keys", "-t", "demo", "Enter"], check=True,
                       timeout=30)
        try:
            subprocess.run(tmux + ["wait-for", chan], timeout=600, check=True)
        except subprocess.TimeoutExpired:
            pass
        pane = subprocess.run(tmux + ["capture-pane", "-p", "-J", "-S", "-",
                                      "-t", "demo"],
                              capture_output=True, text=True, timeout=30).stdout
        code = open(status).read().strip() if os.path.exists(status) else None
        return code, pane
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True, timeout=30)
        shutil.rmtree(d, ignore_errors=True)


def check_demo_output(text, what):
    check("600 frames stepped" in text, "%s: no play:\n%s" % (what, text[-3000:]))
    check("the game quit with status 0" in text, "%s:\n%s" % (what, text[-3000:]))
    check("replay: identical: 601 frames compared, 0 to 600, every state hash "
          "equal" in text, "%s: the replay:\n%s" % (what, text[-3000:]))


def test_demo_in_tmux_200x60_xterm_256color():
    code, pane = demo_in_tmux(200, 60, "xterm-256color")
    check(code == "0", "exit status %r; the pane:\n%s" % (code, pane[-3000:]))
    check_demo_output(pane, "tmux 200x60")


def test_demo_in_tmux_80x24_screen_256color():
    code, pane = demo_in_tmux(80, 24, "screen-256color")
    check(code == "0", "exit status %r; the pane:\n%s" % (code, pane[-3000:]))
    check_demo_output(pane, "tmux 80x24")


def test_demo_without_a_terminal_whatever_term():
    for term in (None, "xterm-256color", "screen-256color", "dumb"):
        env = dict(os.environ)
        env.pop("TERM", None)
        if term:
            env["TERM"] = term
        r = subprocess.run(["/usr/bin/python3", DEMO_PY], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=300, env=env,
                           start_new_session=True)
        check(r.returncode == 0, "TERM=%r: %s%s" % (term, r.stdout[-2000:],
                                                    r.stderr[-2000:]))
        check_demo_output(r.stdout, "TERM=%r" % term)


def test_pty_readers_are_gone_before_their_descriptor_closes():
    g = Game([PROGS + "/worker-clock"], lockstep=True)
    c = g.connect()
    c.ok("step 3")
    g.wait_output(r"frame 3 at 30")
    g.stop()
    check(not g.reader.is_alive(), "the helper's reader outlived stop()")
    worker = os.path.join(PROGS, "worker-clock")
    with gamehook.Game.launch([worker], lib=LIB) as p:
        p.step(3)
        drainer = p._drainer
        check(drainer is not None and drainer.is_alive(), "no pty reader")
    check(not drainer.is_alive(), "the client's reader outlived close()")
    # Games one after another see every line they print.
    for _ in range(10):
        with Game([worker], lockstep=True) as g:
            g.connect().ok("step 20")
            g.wait_output(r"frame 20 at 200")
            lines = [l for l in g.text().splitlines() if l.startswith("frame")]
            check(lines == ["frame %d at %d" % (i, 10 * i) for i in range(21)],
                  "lines went missing: %r" % lines)
