"""The control socket holds up: garbage, over-long lines and binary junk get
a clear `err` and the game keeps running; socat and nc -U work; several
clients at once; a controller killed mid-step never hurts the game; 0600 in
a 0700 directory, other uids refused; every descriptor close-on-exec."""
import json
import os
import random
import socket
import stat
import shutil
import subprocess
import tempfile
import time

from gh import BUILD, PROGS, Conn, Game, HOOKCTL, check, frame_of, wait_until


def game():
    return Game([PROGS + "/worker-clock"], lockstep=True)


def test_garbage_gets_clear_errors_and_game_lives():
    with game() as g:
        c = g.connect()
        check(c.cmd("frobnicate").startswith("err unknown unknown command 'frobnicate'"), "unknown")
        check(c.cmd("step 1 2 3").startswith("err usage"), "too many args")
        check(c.cmd("hello extra").startswith("err usage"), "hello takes no args")
        c.send(b"x" * 10000 + b"\n")
        r = c.line()
        check(r.startswith("err toolong"), r)
        check(c.ok("step 2") == "2", "connection usable after an over-long line")
        c.send(b"step\x00\x01\x02\n")
        check(c.line().startswith("err binary"), "control bytes")
        c.send(b"\r\n   \n\thello\r\n")      # blank lines: no reply
        check(json.loads(c.line()[3:])["frame"] == 2, "hello after blanks")
        c.send("héllo wörld\n".encode())
        check(c.line().startswith("err unknown"), "utf-8 verb")


def test_binary_junk_first_closes_connection():
    with game() as g:
        c = g.connect()
        j = Conn(g.sock)
        j.send(b"\x00\x00\x00\x10\x08\x01\xff\xfe")
        check(j.line().startswith("err binary"), "binary first bytes")
        try:
            j.line()
            check(False, "connection left open after lost framing")
        except (EOFError, ConnectionResetError):
            pass
        check(c.ok("step") == "1", "game fine after junk")


def test_random_junk_from_many_connections():
    rng = random.Random(1234)
    with game() as g:
        c = g.connect()
        for _ in range(40):
            s = socket.socket(socket.AF_UNIX)
            s.connect(g.sock)
            s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9000))))
            if rng.random() < 0.5:
                s.shutdown(socket.SHUT_WR)
            s.close()
        check(c.ok("step 5") == "5", "game answers after junk")
        check(g.alive(), "game died")


def test_socat_and_nc():
    with game() as g:
        g.connect()
        r = subprocess.run("printf 'step 10\\nhello\\n' | socat - UNIX-CONNECT:" + g.sock,
                           shell=True, capture_output=True, text=True, timeout=20)
        lines = r.stdout.splitlines()
        check(lines[0] == "ok 10" and '"frame":10' in lines[1], r.stdout + r.stderr)
        r = subprocess.run(["nc", "-U", "-q", "1", g.sock], input="step 5\nquit\n",
                           capture_output=True, text=True, timeout=20)
        check(r.stdout.splitlines()[:2] == ["ok 15", "ok bye"], r.stdout + r.stderr)


def test_second_client_while_one_is_stepping():
    with Game([PROGS + "/worker-clock"], lockstep=True, env={"HOOK_SPEED": "1"}) as g:
        a = g.connect()
        b = g.connect()
        a.send("step 100\n")                     # 1 s of game time at speed 1
        wait_until(lambda: frame_of(b) > 0, what="the first step to start")
        t0 = time.monotonic()
        h = json.loads(b.ok("hello"))
        check(time.monotonic() - t0 < 0.5, "hello waited for the other client's step")
        check(h["state"] == "stepping", h)
        b.send("step 10\n")
        check(a.line() == "ok 100", "first step")
        check(b.line() == "ok 110", "the second step runs after the first")
        check(frame_of(a) == 110, "frame")


def test_controller_killed_mid_step():
    with Game([PROGS + "/worker-clock"], lockstep=True, env={"HOOK_SPEED": "1"}) as g:
        c = g.connect()
        p = subprocess.Popen([HOOKCTL, "-s", g.sock, "step", "1000000"])
        wait_until(lambda: frame_of(c) > 5, what="stepping")
        p.kill()
        p.wait()
        s = socket.socket(socket.AF_UNIX)      # and one that vanishes unread
        s.connect(g.sock)
        s.sendall(b"step 1000\nhello\nhello\n")
        s.close()
        # Frames owed only to clients that left are not run: the game
        # stops where it was, alive and answering.
        wait_until(lambda: json.loads(c.ok("hello"))["state"] == "paused",
                   what="the game to stop")
        f = frame_of(c)
        check(f < 1000, "ran frames nobody waits for: %d" % f)
        check(c.ok("step 2") == str(f + 2), "steps again")
        check(g.alive(), "game died")


def test_socket_and_directory_modes():
    with game() as g:
        g.connect()
        st = os.stat(g.sock)
        check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
              "socket mode %o" % st.st_mode)
    # The default location: a private directory.
    env = {"HOOK_SOCKET": "", "XDG_RUNTIME_DIR": ""}
    with Game([PROGS + "/worker-clock"], lockstep=True, env=env) as g:
        path = "/tmp/gamehook-%d/%d.sock" % (os.getuid(), g.proc.pid)
        wait_until(lambda: os.path.exists(path), what=path)
        d = os.stat(os.path.dirname(path))
        check(stat.S_IMODE(d.st_mode) == 0o700 and d.st_uid == os.getuid(),
              "dir mode %o" % d.st_mode)
        def hello():
            return subprocess.run([HOOKCTL, "-p", str(g.proc.pid), "hello"],
                                  capture_output=True, text=True, timeout=10)
        # Found by pid alone; stopped at frame 0 (once it got there).
        wait_until(lambda: '"frame":0' in hello().stdout, what="frame 0")
        r = hello()
        check(r.returncode == 0 and '"frame":0' in r.stdout, r.stdout + r.stderr)


def test_other_uid_refused():
    # Needs root to act as another user; CI runs as root.
    check(os.getuid() == 0, "this test must run as root (CI does)")
    # A directory the other user can reach: neither /tmp nor the checkout
    # need be (this machine's /tmp is 0700).
    base = next(b for b in ("/dev/shm", "/var/tmp", BUILD)
                if os.path.isdir(b) and os.stat(b).st_mode & 0o001)
    d = tempfile.mkdtemp(prefix="gh-uid-", dir=base)
    sock = os.path.join(d, "g.sock")
    with Game([PROGS + "/worker-clock"], lockstep=True, env={"HOOK_SOCKET": sock}) as g:
        wait_until(lambda: os.path.exists(sock), what="socket")
        os.chmod(d, 0o755)                 # the shim made it 0700: open it up,
        os.chmod(sock, 0o777)              # so that only the uid check stands
        code = ("import socket,os,time\nos.setgid(65534); os.setuid(65534)\n"
                "s=socket.socket(socket.AF_UNIX); s.connect(%r)\n"
                "try:\n time.sleep(0.2); s.sendall(b'hello\\n'); print(repr(s.recv(100)))\n"
                "except OSError: print(repr(b''))\n" % sock)
        r = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True,
                           text=True, timeout=10)
        check(r.stdout.strip() == "b''", "another uid got: %r %r" % (r.stdout, r.stderr))
        c = Conn(sock)
        check(c.ok("step") == "1", "the owner still gets in")
    shutil.rmtree(d, ignore_errors=True)


def test_descriptors_close_on_exec():
    with game() as g:
        c = g.connect()
        c.ok("step 3")
        fds = os.listdir("/proc/%d/fd" % g.proc.pid)
        check(len(fds) > 4, "the shim's descriptors: %r" % fds)
        for fd in fds:
            if int(fd) <= 2:
                continue
            flags = int(open("/proc/%d/fdinfo/%s" % (g.proc.pid, fd)).read()
                        .split("flags:")[1].split()[0], 8)
            check(flags & 0o2000000, "fd %s (%s) lacks O_CLOEXEC" % (
                fd, os.readlink("/proc/%d/fd/%s" % (g.proc.pid, fd))))


def test_detach_leaves_game_running():
    with game() as g:
        c = g.connect()
        c.ok("step 5")
        check(c.ok("detach") == "detached", "detach")
        wait_until(lambda: not os.path.exists(g.sock), what="socket removed")
        n = len(g.text().splitlines())
        wait_until(lambda: len(g.text().splitlines()) > n + 20, what="game running on")
        check(g.alive(), "game died")


def test_step_hot_path_hands_back_everything_else():
    # A sole stepping client is served by the frame thread itself; anything
    # but one plain step (pipelined lines, other commands, a second client)
    # must still be answered, in order, by the control thread.
    with game() as g:
        c = g.connect()
        for i in range(1, 51):
            check(c.ok("step") == str(i), "plain steps")
        c.send("step 2\nstep 3\nhello\n")
        check(c.line() == "ok 52" and c.line() == "ok 55", "pipelined steps")
        check(json.loads(c.line()[3:])["frame"] == 55, "hello after them")
        check(c.ok("step") == "56", "hot path again")
        d = g.connect()                       # a second client takes it back
        check(d.ok("step 4") == "60", "second client queues behind the first")
        check(c.ok("step") == "61", "first client still served")
        check(frame_of(d) == 61, "both see the same frame")
        d.close()
        check(c.ok("step 9") == "70", "alone again")
        c.send("ste")                         # a line in pieces
        time.sleep(0.05)
        c.send("p\n")
        check(c.line() == "ok 71", "split line")


def test_tcp_only_with_a_token():
    # TCP is opened only when asked, on loopback by default, and nothing
    # passes before `auth TOKEN`; without a token the shim refuses to start.
    tok = "s3cret-token-42"
    with Game([PROGS + "/worker-clock"], lockstep=True,
              env={"HOOK_LISTEN": ":0", "HOOK_TOKEN": tok}) as g:
        c = g.connect()
        addr = json.loads(c.ok("info"))["listen"]
        check(addr.startswith("127.0.0.1:"), "loopback by default: %r" % addr)
        port = int(addr.rsplit(":", 1)[1])
        t = socket.create_connection(("127.0.0.1", port), timeout=10)
        t.sendall(b"step 5\n")
        check(t.recv(200).startswith(b"err auth"), "unauthenticated command")
        check(t.recv(200) == b"", "connection closed after refusal")
        t = socket.create_connection(("127.0.0.1", port), timeout=10)
        t.sendall(b"auth wrong-token\n")
        check(t.recv(200).startswith(b"err auth wrong token"), "wrong token")
        t = socket.create_connection(("127.0.0.1", port), timeout=10)
        t.sendall(("auth %s\nstep 5\n" % tok).encode())
        got = b""
        while got.count(b"\n") < 2:
            got += t.recv(200)
        check(got == b"ok welcome\nok 5\n", got)
        r = subprocess.run([HOOKCTL, "-s", "tcp:127.0.0.1:%d" % port, "step", "2"],
                           capture_output=True, text=True, timeout=20,
                           env=dict(os.environ, HOOK_TOKEN=tok))
        check(r.returncode == 0 and r.stdout == "7\n", r)
        check(c.ok("auth anything") == "not needed", "unix clients need no token")
    with Game([PROGS + "/worker-clock"], lockstep=True, env={"HOOK_LISTEN": ":0"}) as g:
        g.wait_output(r"frame 20 at")            # runs untouched
        check(not os.path.exists(g.sock), "socket opened without a token")
        check("HOOK_TOKEN" in open(g.log).read(), "the refusal is logged")
