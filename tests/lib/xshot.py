"""Helpers for graphical games' tests: a screenshot of an X server's root
window read with Xlib's XGetImage (through ctypes, no X tools needed) and
written as PNG, and the Xvfb processes that serve a display. Run as a
program: `xshot.py OUT.png` shoots $DISPLAY (with $XAUTHORITY) and prints
"WIDTH HEIGHT COLOURS" (the number of distinct colours seen)."""
import ctypes
import os
import struct
import sys
import zlib


class XImage(ctypes.Structure):
    # The leading fields of Xlib's XImage, as far as the pixels go.
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int),
                ("xoffset", ctypes.c_int), ("format", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_ubyte)),
                ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int),
                ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("bits_per_pixel", ctypes.c_int), ("red_mask", ctypes.c_ulong),
                ("green_mask", ctypes.c_ulong), ("blue_mask", ctypes.c_ulong)]


def grab(display=None):
    """The root window of DISPLAY ($DISPLAY) as (width, height, rgb bytes);
    raises OSError when the display cannot be opened."""
    x = ctypes.CDLL("libX11.so.6")
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XGetImage.restype = ctypes.POINTER(XImage)
    x.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int,
                            ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                            ctypes.c_ulong, ctypes.c_int]
    x.XDisplayWidth.argtypes = x.XDisplayHeight.argtypes = [ctypes.c_void_p,
                                                           ctypes.c_int]
    x.XDestroyImage = None  # a macro in Xlib: the image is left to exit
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    d = x.XOpenDisplay(display.encode() if display else None)
    if not d:
        raise OSError("cannot open display %r" % (display or
                                                   os.environ.get("DISPLAY")))
    w, h = x.XDisplayWidth(d, 0), x.XDisplayHeight(d, 0)
    img = x.XGetImage(d, x.XDefaultRootWindow(d), 0, 0, w, h, 0xFFFFFFFF,
                      2)   # AllPlanes, ZPixmap
    if not img:
        raise OSError("XGetImage failed")
    im = img.contents
    if im.bits_per_pixel != 32:
        raise OSError("%d bits a pixel: not handled" % im.bits_per_pixel)
    raw = ctypes.string_at(im.data, im.bytes_per_line * h)
    rgb = bytearray(w * h * 3)
    for y in range(h):
        row = raw[y * im.bytes_per_line: y * im.bytes_per_line + 4 * w]
        # 24-bit TrueColor, little-endian 32-bit pixels: B G R X
        rgb[y * w * 3: (y + 1) * w * 3: 3] = row[2::4]
        rgb[y * w * 3 + 1: (y + 1) * w * 3: 3] = row[1::4]
        rgb[y * w * 3 + 2: (y + 1) * w * 3: 3] = row[0::4]
    x.XCloseDisplay(d)
    return w, h, bytes(rgb)


def write_png(path, w, h, rgb):
    """RGB bytes as an 8-bit PNG file."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def read_png(path):
    """(width, height, rgb bytes) of an 8-bit RGB PNG, its rows filtered or
    not (write_png writes them unfiltered, the shim's libpng filters)."""
    w, h, ch, rows = read_png_rows(path)
    if ch != 3:
        raise ValueError("%s: not 8-bit RGB" % path)
    return w, h, b"".join(rows)


def read_png_rows(path):
    """(width, height, channels, rows as bytes) of an 8-bit RGB or
    grayscale PNG, its rows filtered or not."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s: not a PNG" % path)
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (0, 2):
                raise ValueError("%s: not 8-bit RGB or gray" % path)
            ch = 3 if ctype == 2 else 1
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride, out, prev = ch * w, [], bytearray(ch * w)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride) if f else ():
            a = line[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else
                                      (b if pb <= pc else c))) & 255
        out.append(bytes(line))
        prev = line
    return w, h, ch, out


def colours(w, h, rgb, box=None):
    """The distinct colours in RGB (within BOX=(x, y, w, h) when given)."""
    x0, y0, bw, bh = box or (0, 0, w, h)
    seen = set()
    for y in range(y0, y0 + bh):
        row = rgb[(y * w + x0) * 3:(y * w + x0 + bw) * 3]
        seen.update(row[i:i + 3] for i in range(0, len(row), 3))
    return seen


class Xvfb:
    """A private Xvfb for a test: a free display picked by the server
    itself (-displayfd), a cookie of its own; .env has DISPLAY and
    XAUTHORITY; stop() (or leaving a `with`) ends it."""

    def __init__(self, tmpdir):
        import subprocess
        self.auth = os.path.join(tmpdir, "xauth")
        ent = struct.pack(">H", 0xFFFF)  # FamilyWild: any host, any display
        for field in (b"", b"", b"MIT-MAGIC-COOKIE-1", os.urandom(16)):
            ent += struct.pack(">H", len(field)) + field
        fd = os.open(self.auth, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, ent)
        os.close(fd)
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-auth", self.auth, "-nolisten",
             "tcp", "-noreset", "-screen", "0", "1280x1024x24"],
            pass_fds=[w], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(w)
        num = b""
        while not num.endswith(b"\n"):
            c = os.read(r, 16)
            if not c:
                break
            num += c
        os.close(r)
        if not num.strip().isdigit():
            self.stop()
            raise OSError("Xvfb did not start")
        self.display = ":" + num.decode().strip()
        self.env = {"DISPLAY": self.display, "XAUTHORITY": self.auth,
                    "LIBGL_ALWAYS_SOFTWARE": "1"}

    def stop(self):
        self.proc.terminate()
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def shoot(env, path):
    """A screenshot of ENV's display into PATH (a PNG), by this module run
    as a program: (width, height, distinct colours)."""
    import subprocess
    r = subprocess.run(["/usr/bin/python3", os.path.abspath(__file__), path],
                       env=dict(os.environ, **env), capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise OSError("screenshot failed: " + r.stderr[-500:])
    return tuple(int(v) for v in r.stdout.split())


def frame_hashes(sock, n, inputs=None):
    """N steps of one frame of the game at SOCK through the Python client,
    INPUTS[f] (a gamehook.Game method's name and its arguments) sent before
    step F: each frame's (frame, vtime_ns, sha1 of the presented picture,
    None before the first)."""
    import hashlib
    import gamehook
    inputs = inputs or {}
    out = []
    with gamehook.Game(sock) as p:
        for f in range(1, n + 1):
            if f in inputs:
                getattr(p, inputs[f][0])(*inputs[f][1:])
            o = p.step(1)
            try:
                h = hashlib.sha1(p.screenshot().tobytes()).hexdigest()
            except gamehook.GamehookError:
                h = None
            out.append((o.frame, p.info()["vtime_ns"], h))
    return out


def xvfb_pids():
    """{pid: argv} of every Xvfb process on the machine."""
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"Xvfb":
            out[int(p)] = [a.decode(errors="replace") for a in argv if a]
    return out


def game_display(pid):
    """DISPLAY and XAUTHORITY as process PID has them ({} when gone).
    A process just started may still be inside its execve (the launcher
    resumes once the old image is gone, before the kernel has laid out the
    new one's environment, which reads empty meanwhile): wait for it."""
    import time
    end = time.monotonic() + 10
    while True:
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                raw = f.read()
        except OSError:
            return {}
        if raw or time.monotonic() > end:
            break
        time.sleep(0.01)
    env = dict(e.split(b"=", 1) for e in raw.split(b"\0") if b"=" in e)
    return {k.decode(): env[k].decode() for k in (b"DISPLAY", b"XAUTHORITY",
                                                  b"LIBGL_ALWAYS_SOFTWARE")
            if k in env}


if __name__ == "__main__":
    w, h, rgb = grab()
    write_png(sys.argv[1], w, h, rgb)
    print(w, h, len(colours(w, h, rgb)))
