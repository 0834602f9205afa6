"""Pictures through shared memory: a binary client's `screenshot --shm`
writes the picture into a memfd the client passed over the Unix socket
(SCM_RIGHTS) instead of the reply, and the Python client does so by
itself. The arrays equal the PNG file of the same frame and the picture
sent in the reply, full size and downscaled gray; the first picture larger
than the memory comes in the reply and the client grows its memory for the
next; memory that could shrink under the copy (no F_SEAL_SHRINK), or is no
memory at all (a pipe), gets a clear error and the game keeps stepping;
--shm is refused with a file or on the text protocol; every descriptor a
client passes is closed when it is replaced or when the client goes (the
game's descriptors are the same before and after), also descriptors sent
on the text protocol or several at once."""
import fcntl
import json
import os
import socket
import sys
import tempfile

import numpy as np

import xshot
from gh import BUILD, ROOT, Conn, check, wait_until

sys.path.insert(0, os.path.join(ROOT, "python"))
import gamehook  # noqa: E402
from gamehook.client import _pb  # noqa: E402

GFX = os.path.join(BUILD, "demo-gfx")
TMP = tempfile.mkdtemp(prefix="gh-pixshm-")


def launch():
    g = gamehook.Game.launch([GFX, "--gl"], seed=3, headless=True)
    g.step(5)
    return g


def fds_of(pid):
    return sorted(os.listdir("/proc/%d/fd" % pid), key=int)


def raw_shot(g, line, fds=None):
    """The Response to a binary `LINE`, sent with FDS."""
    rid = g._send(fds=fds, command=line)
    r = g._read()
    check(r.id == rid, "reply %d to %d" % (r.id, rid))
    return r


def test_pictures_come_through_shared_memory_and_equal_the_file():
    g = launch()
    try:
        first = raw_shot(g, "screenshot")        # in the reply, as before
        check(first.ok and not first.pixels.shared and
              len(first.pixels.data) == 640 * 480 * 3, first.pixels.width)
        png = os.path.join(TMP, "f.png")
        g.screenshot(png)
        w, h, rgb = xshot.read_png(png)
        from_file = np.frombuffer(rgb, np.uint8).reshape(h, w, 3)
        from_reply = np.frombuffer(first.pixels.data, np.uint8).reshape(
            480, 640, 3)
        check(np.array_equal(from_file, from_reply), "reply != file")
        a = g.screenshot()        # passes the memory: too small, in reply
        check(g._shm is not None and g._shm.size == 640 * 480 * 3,
              "memory not grown: %r" % (g._shm and g._shm.size))
        b = g.screenshot()        # now through the memory
        check(np.array_equal(a, from_file) and np.array_equal(b, from_file),
              "shared picture != file")
        r = raw_shot(g, "screenshot --shm")
        check(r.pixels.shared and len(r.pixels.data) == 0,
              "not shared: %d bytes in the reply" % len(r.pixels.data))
        gray = g.screenshot(size=(84, 84), gray=True)
        r = raw_shot(g, "screenshot --size 84x84 --gray")
        check(np.array_equal(gray, np.frombuffer(r.pixels.data, np.uint8)
                             .reshape(84, 84)), "gray differs")
        # The copy is the caller's: the next picture does not change it.
        keep = b.copy()
        o = g.step(10, pixels=True)
        check(np.array_equal(b, keep), "an earlier array changed")
        check(not np.array_equal(o.pixels, keep),
              "the picture did not change over 10 frames")
        g.screenshot(png)
        w, h, rgb = xshot.read_png(png)
        check(np.array_equal(o.pixels, np.frombuffer(rgb, np.uint8)
                             .reshape(h, w, 3)), "step's pixels != file")
    finally:
        g.close()


def test_bad_memory_gets_a_clear_error_and_the_game_goes_on():
    g = launch()
    try:
        unsealed = os.memfd_create("x", os.MFD_CLOEXEC)
        os.ftruncate(unsealed, 640 * 480 * 3)
        r = raw_shot(g, "screenshot --shm", fds=[unsealed])
        check(not r.ok and r.code == "usage" and
              "F_SEAL_SHRINK" in r.text, "%s %s" % (r.code, r.text))
        rd, wr = os.pipe()
        r = raw_shot(g, "screenshot --shm", fds=[rd])
        check(not r.ok and "sealed" in r.text, r.text)
        for fd in (unsealed, rd, wr):
            os.close(fd)
        # Sealed against writing too: it cannot be mapped for writing.
        ro = os.memfd_create("ro", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(ro, 640 * 480 * 3)
        fcntl.fcntl(ro, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_WRITE)
        r = raw_shot(g, "screenshot --shm", fds=[ro])
        check(not r.ok and "cannot be mapped" in r.text, r.text)
        os.close(ro)
        f = g.step(3).frame
        check(f == 8, "the game did not go on: frame %d" % f)
        r = raw_shot(g, "screenshot %s --shm" % os.path.join(TMP, "x.png"))
        check(not r.ok and r.code == "usage", r.text)
        c = Conn(g.sock_path)
        line = c.cmd("screenshot --shm")
        check(line.startswith("err usage") and "binary" in line, line)
        c.close()
    finally:
        g.close()


def test_passed_descriptors_are_closed():
    g = launch()
    try:
        before = fds_of(g.pid)
        # A second binary client passes memory, replaces it, passes three
        # at once, then goes.
        c = gamehook.Game(g.sock_path)
        c.screenshot()
        c.screenshot()
        check(len(fds_of(g.pid)) == len(before) + 2,
              "client and its memory: %r -> %r" % (before, fds_of(g.pid)))
        mems = [os.memfd_create("m%d" % i) for i in range(3)]
        raw_shot(c, "screenshot", fds=mems)
        check(len(fds_of(g.pid)) == len(before) + 2,
              "three passed at once kept: %r" % fds_of(g.pid))
        for m in mems:
            os.close(m)
        c.close()
        # A text client sending descriptors: none is kept.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(g.sock_path)
        m = os.memfd_create("t")
        socket.send_fds(s, [b"info\n"], [m, m])
        f = s.makefile("rb")
        json.loads(f.readline().split(b" ", 1)[1])
        f.close()
        s.close()
        os.close(m)
        wait_until(lambda: fds_of(g.pid) == before, 20,
                   "the game's descriptors as before %r (now %r)" % (
                       before, fds_of(g.pid)))
    finally:
        g.close()

