"""The memory scan (`scan`) in real games: the README's walkthrough, run
line by line as printed, finds the demo's gold in the stripped binary and
the layout it prints works in a new run; every operator keeps exactly the
values it should (a game of known values at addresses it prints: rising,
falling, constant, of every type, floats within their decimals); a value
behind a pointer gets a pointer chain that `get` reads in another run;
candidates in memory unmapped mid-scan are dropped without a fault; bad
input is refused and the game goes on; HOOK_SCAN_MEMORY bounds the scan
with a clear error; a seeded run gives the same state with scans as
without, and a load keeps the scan; the binary protocol serves it too."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from gh import ROOT, Game, cc, check, frame_of, wait_until

BUILD = os.path.join(ROOT, "build")
DEMO = os.path.join(BUILD, "demo-game")
LAYOUT = os.path.join(ROOT, "demo-game", "demo-game.layout.json")
PTR_GAME = os.path.join(BUILD, "tests", "ptr-game")
README = os.path.join(ROOT, "README.md")

sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402

SCAN_GAME = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int32_t up = 1000003;
int32_t down = -5000011;
int32_t still = 123456789;
int16_t small = -12345;
uint8_t byte = 200;
int64_t big = 1099511627776LL;
float pi = 3.14159f;
double half = 0.5;

int main(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	char *buf = malloc(4 << 20);
	memset(buf, 1, 4 << 20);
	printf("up=%p down=%p still=%p small=%p byte=%p big=%p pi=%p "
	    "half=%p buf=%p\n", (void *)&up, (void *)&down, (void *)&still,
	    (void *)&small, (void *)&byte, (void *)&big, (void *)&pi,
	    (void *)&half, (void *)buf);
	fflush(stdout);
	for (;;) {
		up += 7;
		down -= 3;
		half += 0.5;
		buf[0]++;
		nanosleep(&tick, NULL);
	}
}
"""

_tmp = tempfile.mkdtemp(prefix="gh-scan-")
_game = None


def scan_game():
    global _game
    if _game is None:
        _game = cc(_tmp, "scan-game", SCAN_GAME, "-O1")
    return _game


def start_scan_game(env=None):
    g = Game([scan_game()], env=env, lockstep=True)
    m = g.wait_output(r"up=(\S+) down=(\S+) still=(\S+) small=(\S+) "
                      r"byte=(\S+) big=(\S+) pi=(\S+) half=(\S+) buf=(\S+)")
    names = ["up", "down", "still", "small", "byte", "big", "pi", "half", "buf"]
    addr = {n: int(v, 16) for n, v in zip(names, m.groups())}
    return g, addr


def addresses(c, n=1000):
    r = json.loads(c.ok("scan list %d" % n))
    check(len(r["list"]) == min(n, r["candidates"]), repr(r)[:300])
    return {int(e["address"], 16): e for e in r["list"]}


def count(reply):
    return json.loads(reply)["candidates"]


def err(c, line, code):
    r = c.cmd(line)
    check(r.startswith("err %s " % code), "%s: %r" % (line, r))
    return r


# ------------------------------------------------------------ walkthrough

# Fields of a reply that depend on the environment the game was given
# (how many zeros its memory holds), not on the game.
VOLATILE = {"pages_read", "pages_skipped", "memory"}


def walkthrough():
    """The README's walkthrough: [(command, expected output lines)]."""
    text = open(README).read()
    m = re.search(r"<!-- scan-walkthrough -->\n```sh\n(.*?)```\n"
                  r"<!-- /scan-walkthrough -->", text, re.S)
    check(m is not None, "no walkthrough in the README")
    steps = []
    for line in m.group(1).splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            check(steps, "output before a command: %r" % line)
            steps[-1][1].append(line)
    return steps


def same_output(want, got):
    if len(want) != len(got):
        return False
    for w, g in zip(want, got):
        if w.startswith("{"):
            try:
                jw, jg = json.loads(w), json.loads(g)
            except ValueError:
                return False
            if jw.get("scan") == "start":
                # How many zeros: the environment's; there are many.
                check(jg.get("candidates", 0) > 1000, "start: %r" % g)
                jw.pop("candidates")
                jg.pop("candidates", None)
            for k in VOLATILE:
                jw.pop(k, None)
                jg.pop(k, None)
            if jw != jg:
                return False
        elif w != g:
            return False
    return True


def test_readme_walkthrough_finds_the_gold():
    steps = walkthrough()
    check(len(steps) >= 8, "a walkthrough of %d commands" % len(steps))
    d = tempfile.mkdtemp(prefix="gh-walk-")
    run = os.path.join(d, "run")
    os.mkdir(run)
    os.symlink(BUILD, os.path.join(d, "build"))
    script = []
    for cmd, _ in steps:
        script.append(cmd)
        script.append('echo "@@ $?"')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HOOK_") and k != "LD_PRELOAD"}
    env["XDG_RUNTIME_DIR"] = run
    try:
        p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=d, env=env,
                           capture_output=True, text=True, timeout=300)
        outs, cur = [], []
        for line in p.stdout.splitlines():
            if line.startswith("@@ "):
                outs.append((cur, int(line[3:])))
                cur = []
            else:
                cur.append(line)
        check(len(outs) == len(steps), "ran %d of %d commands: %s" % (
            len(outs), len(steps), p.stderr[-800:]))
        for (cmd, want), (got, status) in zip(steps, outs):
            check(status == 0, "%s: exit status %d (%s)" % (cmd, status,
                  p.stderr[-500:]))
            check(same_output(want, got), "%s:\n  README: %r\n  got:    %r"
                  % (cmd, want, got))
        with open(os.path.join(d, "gold.json")) as f:
            layout = json.load(f)
        check(list(layout["fields"]) == ["gold"], repr(layout))
    finally:
        # The walkthrough ends its games with q; any left is ended here.
        sock_dir = os.path.join(run, "gamehook")
        for name in os.listdir(sock_dir) if os.path.isdir(sock_dir) else []:
            if name.endswith(".sock"):
                try:
                    os.kill(int(name[:-5]), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------ operators

def test_operators_keep_what_they_should():
    g, a = start_scan_game()
    with g:
        c = g.connect()
        c.ok("step 2")
        # Unknown start: every value; then the rising one rises.
        r = json.loads(c.ok("scan start i32"))
        check(r["mode"] == "bitmap" and r["candidates"] > 1000000, repr(r))
        c.ok("step 1")
        check(count(c.ok("scan increased")) < 1000, "increased left many")
        got = addresses(c)
        check(a["up"] in got, "up not among the increased")
        check(a["down"] not in got and a["still"] not in got,
              "down or still counted as increased")
        up = got[a["up"]]
        check(up["value"] == up["previous"], repr(up))
        c.ok("step 1")
        check(count(c.ok("scan increased")) >= 1, "up lost")
        e = addresses(c)[a["up"]]
        check(e["value"] - e["previous"] == 0 and e["value"] > 1000003, repr(e))
        v = e["value"]
        c.ok("scan > %d" % (v - 1))
        c.ok("scan < %d" % (v + 1))
        c.ok("scan range %d %d" % (v - 5, v + 5))
        check(a["up"] in addresses(c), "up lost by > < range")
        check(count(c.ok("scan = %d" % v)) >= 1, "= lost it")
        check(a["up"] in addresses(c), "up lost by =")
        c.ok("step 1")
        c.ok("scan changed")
        e = addresses(c)[a["up"]]
        check(e["value"] == v + 7, "up moved by %d, not 7" % (e["value"] - v))
        c.ok("scan != %d" % (v + 7))
        check(a["up"] not in addresses(c), "!= kept the value it excludes")

        # Falling, and still.
        c.ok("scan start i32")
        c.ok("step 2")
        c.ok("scan decreased")
        got = addresses(c)
        check(a["down"] in got and a["up"] not in got, "decreased")
        check(got[a["down"]]["value"] < -5000011, repr(got[a["down"]]))
        c.ok("scan start i32 123456789")
        check(a["still"] in addresses(c), "start with a value")
        c.ok("step 3")
        c.ok("scan unchanged")
        check(a["still"] in addresses(c), "unchanged lost the constant")
        c.ok("scan changed")
        check(a["still"] not in addresses(c), "changed kept the constant")

        # Every width and kind, as a value and as a dtype.
        for start, name in [("i16 -12345", "small"), ("u8 200", "byte"),
                            ("|u1 200", "byte"), ("i64 1099511627776", "big"),
                            ("<i8 0x10000000000", "big"), ("f32 3.14", "pi"),
                            ("f32 3.1", "pi"), ("<f4 3.14159", "pi")]:
            c.ok("scan start " + start)
            check(a[name] in addresses(c), "scan start %s missed %s" % (
                start, name))
        c.ok("scan start f32 3.2")       # 3.14159 is not 3.2 to a decimal
        check(a["pi"] not in addresses(c), "f32 3.2 took 3.14159")
        c.ok("scan start f32 3.14159")
        c.ok("scan != 3.14")
        check(a["pi"] not in addresses(c), "!= 3.14 kept 3.14159")
        c.ok("scan start f64")
        c.ok("step 2")
        c.ok("scan increased")
        e = addresses(c).get(a["half"])
        check(e is not None and e["value"] == e["previous"], repr(e))
        check(e["value"] >= 2.0 and e["value"] * 2 == int(e["value"] * 2),
              repr(e))
        info = json.loads(c.ok("scan info"))
        track = json.loads(c.ok("info"))["track"]["method"]
        check(info["active"] and info["type"] == "<f8" and
              info["tracking"] == track, repr(info))
        check(c.ok("scan stop") == "stopped", "stop")
        check(not json.loads(c.ok("scan info"))["active"], "still on")


def test_narrowing_skips_pages_not_written():
    """With write tracking (wp where the kernel has it), a pass reads only
    the pages written since the last one, and keeps what it should."""
    g, a = start_scan_game()
    with g:
        c = g.connect()
        method = json.loads(c.ok("info"))["track"]["method"]
        check(method in ("wp", "soft-dirty", "none"), method)
        c.ok("step 2")
        c.ok("scan start i32")
        check(json.loads(c.ok("scan info"))["tracking"] == method, "info")
        c.ok("step 1")
        r = json.loads(c.ok("scan unchanged"))
        if method == "none":
            check(r["pages_skipped"] == 0, repr(r))
            return
        # The game writes a few pages a frame (up, down, half, buf[0],
        # its stack is apart): the 4 MiB block's other pages are skipped.
        check(r["pages_skipped"] > 1000 and r["pages_read"] < 100, repr(r))
        got = addresses(c)
        check(a["still"] in got and a["up"] not in got and
              a["down"] not in got, "unchanged after skipping: %r" % r)
        c.ok("scan start i32")
        c.ok("step 1")
        r = json.loads(c.ok("scan changed"))
        check(r["pages_skipped"] > 1000 and r["pages_read"] < 100, repr(r))
        got = addresses(c)
        check(a["up"] in got and a["down"] in got and a["still"] not in got,
              "changed after skipping: %r" % r)


def test_bad_input_is_refused_and_the_game_goes_on():
    g, a = start_scan_game()
    with g:
        c = g.connect()
        err(c, "scan list", "state")
        err(c, "scan = 5", "state")
        err(c, "scan layout 0", "state")
        err(c, "scan", "usage")
        err(c, "scan start", "usage")
        err(c, "scan start q32", "usage")
        err(c, "scan frobnicate", "usage")
        err(c, "scan start i32 abc", "usage")
        err(c, "scan start i8 300", "usage")
        err(c, "scan start u8 -1", "usage")
        check(not json.loads(c.ok("scan info"))["active"],
              "a refused start began a scan")
        c.ok("scan start i32 123456789")
        err(c, "scan =", "usage")
        err(c, "scan range 5", "usage")
        err(c, "scan range 9 1", "usage")
        err(c, "scan changed 4", "usage")
        err(c, "scan list 1001", "usage")
        err(c, "scan layout x", "usage")
        err(c, "scan layout 0 9bad", "usage")
        err(c, "scan layout 0 v --depth 9", "usage")
        err(c, "scan layout 99999999", "range")
        # The scan is as it was, and the game runs.
        check(a["still"] in addresses(c), "a refused pass changed the scan")
        f = frame_of(c)
        c.ok("step 3")
        check(frame_of(c) == f + 3, "the game did not step after errors")


def test_memory_bound_is_a_clear_error():
    g, a = start_scan_game(env={"HOOK_SCAN_MEMORY": "2"})
    with g:
        c = g.connect()
        c.ok("step 1")
        r = err(c, "scan start i32", "memory")
        check("HOOK_SCAN_MEMORY" in r and "MiB" in r, r)
        check(not json.loads(c.ok("scan info"))["active"], "half a scan")
        # With a value it is one bit a slot: that fits.
        c.ok("scan start i32 123456789")
        check(a["still"] in addresses(c), "the bounded scan missed it")
        check(json.loads(c.ok("scan info"))["limit"] == 2 << 20, "limit")
        c.ok("step 1")
    g, a = start_scan_game(env={"HOOK_SCAN_MEMORY": "lots"})
    with g:
        c = g.connect()
        err(c, "scan start i32 1", "usage")
        c.ok("step 1")


# ------------------------------------------------------------ layouts

def test_pointer_chain_reaches_a_mapped_block():
    """ptr-game keeps its box in a block it maps and points at from a
    global: the scan finds the value, and its layout is a chain."""
    with Game([PTR_GAME], lockstep=True) as g:
        c = g.connect()
        c.ok("step 5")
        c.ok("scan start u32")
        for _ in range(3):
            c.ok("step 1")
            c.ok("scan increased")
        c.ok("step 1")
        c.ok("scan changed")
        got = json.loads(c.ok("scan list"))["list"]
        dyn = [e for e in got if e["where"] == "dynamic"]
        stat = [e for e in got if e["where"] != "dynamic"]
        check(len(dyn) == 2 and stat, "candidates: %r" % got)
        box = min(dyn, key=lambda e: int(e["address"], 16))   # box.value
        frame = frame_of(c)
        lay = json.loads(c.ok("scan layout %d box" % box["index"]))
        f = lay["fields"]["box"]
        check(f.get("pointers") == [0] and "module" not in f and
              f["type"] == "<u4", repr(lay))
        st = json.loads(c.ok("scan layout %d turns" % stat[0]["index"]))
        check("pointers" not in st["fields"]["turns"], repr(st))
        lay["fields"].update(st["fields"])
        path = os.path.join(_tmp, "box.json")
        with open(path, "w") as out:
            json.dump(lay, out)
        # Past turn 20 the block is unmapped: the box's candidates go.
        c.ok("step 20")
        r = json.loads(c.ok("scan increased"))
        left = json.loads(c.ok("scan list"))["list"]
        check(all(e["where"] != "dynamic" for e in left), repr(left))
        check(r["candidates"] == len(left) and left, repr(r))
        c.ok("step 1")

    # Another run reads it through the chain.
    with Game([PTR_GAME], env={"HOOK_LAYOUT": path}, lockstep=True) as g:
        c = g.connect()
        c.ok("step %d" % frame)
        v = json.loads(c.ok("get"))
        check(v["box"] == box["value"] and v["turns"] * 10 == v["box"],
              "through the chain: %r, the scan saw %r" % (v, box))


# ------------------------------------------------------------ the game

def demo_run(scan):
    with Game([DEMO], env={"HOOK_LAYOUT": LAYOUT, "HOOK_SEED": "5"},
              lockstep=True) as g:
        c = g.connect()
        c.ok("keydown space")
        if scan:
            c.ok("scan start i32 0")
        for _ in range(6):
            c.ok("step 50")
            if scan:
                c.ok("scan changed" if _ % 2 else "scan unchanged")
                c.ok("scan list 5")
        c.ok("save s")
        if scan:
            n = json.loads(c.ok("scan info"))["candidates"]
            c.ok("scan start i32")
        c.ok("step 10")
        c.ok("load s")
        if scan:
            # The scan is not the game's: the load left it alone.
            info = json.loads(c.ok("scan info"))
            check(info["mode"] == "bitmap" and info["candidates"] > n,
                  "the load changed the scan: %r" % info)
            c.ok("scan unchanged")
        c.ok("step 100")
        return json.loads(c.ok("get"))


def test_scans_do_not_disturb_the_game():
    plain = demo_run(False)
    scanned = demo_run(True)
    check(plain == scanned, "a seeded run differs with scans:\n%r\n%r" % (
        plain, scanned))


def test_binary_protocol():
    with gamehook.Game.launch([DEMO], seed=3) as g:
        g.step(10)
        r = json.loads(g.command("scan start i32 0"))
        check(r["candidates"] > 1000, repr(r))
        g.step(300)
        r = json.loads(g.command("scan changed"))
        check(r["op"] == "changed", repr(r))
        lst = json.loads(g.command("scan list 3"))
        check(len(lst["list"]) == min(3, r["candidates"]), repr(lst))
        try:
            g.command("scan = x")
            check(False, "scan = x accepted")
        except gamehook.GamehookError as e:
            check(e.code == "usage", repr(e))
