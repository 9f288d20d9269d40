"""Synthetic stand-ins for the case photos a district office would supply.

The 密云区 2023-09 brief illustrates its 典型案例 (悦欣嘉园社区, 檀营地区) with three photos;
having none, we draw photo-like substitutes (tiny pinhole camera, soft shadows, grain, blur):
charging-shed.jpg (the new e-bike charging shed), charging-detail.jpg (e-bikes plugged into
its charging cabinet) and fitness.jpg (the courtyard fitness equipment), by default into the
period's district folder config/beijing/periods/monthly-2023-09/密云区/.  Fixed seeds and no
EXIF, so reruns are byte-identical.    .venv/bin/python -m data.sample photos [--out DIR]

The scooter's profiles, the people's poses and the scooters' colours are in
``data/sample/weights/photos.yaml`` (``SHAPES.NAME`` below); the scenes are drawn here.
"""

from __future__ import annotations

import math
import os
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .common import CITY, ROOT, Weights, cli

FONT = str(ROOT / "fonts" / "NotoSansCJKsc-Regular.otf")
DEFAULT_OUT = CITY / "periods" / "monthly-2023-09" / "密云区"
OUT_HELP = "folder for the three JPEGs"
W, H, MAX_BYTES = 1200, 900, 130_000
SHADOW = (20, 22, 35)


def shade(c, k):
    return tuple(max(0, min(255, int(v * k))) for v in c[:3]) + tuple(c[3:])


class Cam:
    """Pinhole camera: world X right, Y up, Z forward (metres); yaw turns it towards +X."""

    def __init__(self, pos=(0, 1.6, 0), yaw=0.0, f=900, hy=450):
        self.pos, self.f, self.hy = pos, f, hy
        self.c, self.s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))

    def z(self, p):
        return (p[0] - self.pos[0]) * self.s + (p[2] - self.pos[2]) * self.c

    def __call__(self, p):
        dx, dz, zc = p[0] - self.pos[0], p[2] - self.pos[2], max(self.z(p), 0.05)
        return W / 2 + self.f * (dx * self.c - dz * self.s) / zc, self.hy + self.f * (self.pos[1] - p[1]) / zc

    def poly(self, d, pts, fill):
        d.polygon([self(p) for p in pts], fill=fill)

    def quad(self, d, a, b, fill, axis="z"):
        """Axis-aligned rectangle from corner a to corner b, in a plane normal to `axis`."""
        (x0, y0, z0), (x1, y1, z1) = a, b
        self.poly(d, {"x": [(x0, y0, z0), (x0, y1, z0), (x0, y1, z1), (x0, y0, z1)],
                      "y": [(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)],
                      "z": [(x0, y0, z0), (x0, y1, z0), (x1, y1, z0), (x1, y0, z0)]}[axis], fill)

    def tube(self, d, a, b, r, fill, hi=None):
        """A round bar from a to b: thick line with round caps and an optional highlight."""
        w, pa, pb = max(1, round(2 * r * self.f / max((self.z(a) + self.z(b)) / 2, 0.3))), self(a), self(b)
        d.line([pa, pb], fill=fill, width=w)
        if w >= 4:
            for x, y in (pa, pb):
                d.ellipse([x - w / 2 + .5, y - w / 2 + .5, x + w / 2 - .5, y + w / 2 - .5], fill=fill)
            if hi:
                o = w * 0.22
                d.line([(pa[0] - o, pa[1] - o), (pb[0] - o, pb[1] - o)], fill=hi, width=max(1, w // 4))

    def disc(self, d, c, r, fill, axis="y", n=32):
        put = {"y": lambda u, v: (c[0] + u, c[1], c[2] + v), "z": lambda u, v: (c[0] + u, c[1] + v, c[2]),
               "x": lambda u, v: (c[0], c[1] + v, c[2] + u)}[axis]
        self.poly(d, [put(r * math.cos(2 * math.pi * i / n), r * math.sin(2 * math.pi * i / n)) for i in range(n)], fill)


def backdrop(hy, sky_top, sky_hor, far, near, rng, clouds=5):
    """Sky gradient with soft clouds above the horizon line `hy`, ground gradient below."""
    y = np.arange(H, dtype=np.float32)[:, None, None]
    t, g = np.clip(y / hy, 0, 1) ** 1.5, np.clip((y - hy) / (H - hy), 0, 1) ** 0.8
    sky, ground = np.array(sky_top) * (1 - t) + np.array(sky_hor) * t, np.array(far) * (1 - g) + np.array(near) * g
    img = Image.fromarray((np.where(y < hy, sky, ground) * np.ones((1, W, 1))).astype(np.uint8))
    mask = Image.new("L", (W, H), 0)
    for _ in range(clouds):
        cx, cy = rng.uniform(0, W), rng.uniform(20, hy * 0.55)
        for _ in range(8):
            rx, ry, ox, oy = rng.uniform(40, 120), rng.uniform(10, 28), rng.uniform(-130, 130), rng.uniform(-14, 14)
            ImageDraw.Draw(mask).ellipse([cx + ox - rx, cy + oy - ry, cx + ox + rx, cy + oy + ry], fill=int(rng.uniform(70, 150)))
    img.paste((252, 250, 246), mask=mask.filter(ImageFilter.GaussianBlur(16)))
    return img


def overlay(img, paint, blur=0):
    """Let paint(draw) put translucent RGBA marks (shadows, joints) on a layer; blur and composite it."""
    layer = Image.new("RGBA", img.size, SHADOW + (0,))
    paint(ImageDraw.Draw(layer))
    layer = layer.filter(ImageFilter.GaussianBlur(blur)) if blur else layer
    return Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")


def paving(cam, xs, zs, alpha=60):
    """A paint() callback drawing a tile grid on the ground that fades with distance."""
    def paint(d):
        for x in xs:
            for z in zs:
                a = SHADOW + (int(alpha * min(1, 8 / max(cam.z((x, 0, z)), 1))),)
                if x != xs[-1]:
                    d.line([cam((x, 0, z)), cam((x + xs[1] - xs[0], 0, z))], fill=a)
                if z != zs[-1]:
                    d.line([cam((x, 0, z)), cam((x, 0, z + zs[1] - zs[0]))], fill=a)
    return paint


def building(d, cam, x0, z0, width, wall, rng, floors=6, warm=1.0):
    """A 6-storey slab block: front face with window grid and balcony bands, shaded end wall."""
    h, x1 = floors * 2.9 + 0.8, x0 + width
    side = x0 if cam.pos[0] < x0 else x1 if cam.pos[0] > x1 else None
    if side is not None:
        cam.quad(d, (side, 0, z0), (side, h, z0 + 12), shade(wall, 0.7), "x")
    cam.quad(d, (x0, 0, z0), (x1, h, z0), shade(wall, warm))
    cam.quad(d, (x0, h - 0.8, z0), (x1, h, z0), shade(wall, 0.82 * warm))
    n = int(width / 3.3)
    for fl in range(floors):
        y = 0.9 + fl * 2.9
        cam.quad(d, (x0, y - 0.25, z0), (x1, y - 0.1, z0), shade(wall, 1.08 * warm))
        for xa in np.arange(n) * width / n + x0 + width / n * 0.22:
            cam.quad(d, (xa, y + 0.25, z0), (xa + width / n * 0.56, y + 1.75, z0), shade((92, 112, 132), rng.uniform(0.55, 1.15)))
            cam.quad(d, (xa, y + 0.95, z0), (xa + width / n * 0.56, y + 1.02, z0), shade(wall, 0.9))


def tree(d, cam, x, z, h, rng, green=(70, 115, 55), sun=(-0.6, 0.6)):
    """Trunk plus a canopy of leaf clumps, lit from the `sun` side, painted back to front."""
    cam.tube(d, (x, 0, z), (x, h * 0.55, z), 0.035 * h, (78, 64, 52))
    R, blobs = h * 0.33, []
    for _ in range(110):
        u, v, w = rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(0, 1)
        n, k = math.sqrt(u * u + v * v + w * w) or 1, rng.random() ** 0.3
        lit = 0.62 + 0.3 * (u / n * sun[0] + v / n * sun[1]) + rng.uniform(-0.12, 0.12)
        blobs.append(((x + R * k * u / n, h * 0.66 + 0.85 * R * k * v / n, z + R * k * w / n), lit))
    for p, lit in sorted(blobs, key=lambda b: -cam.z(b[0])):
        cam.disc(d, p, R * 0.3, shade(green, lit), axis="z", n=12)


def _tables(raw: dict) -> dict:
    """data/sample/weights/photos.yaml with the fender's arcs as points and every point and colour a tuple."""
    fender = raw["BIKE"]["fender"]
    cu, cv = fender["centre"]
    bike = {"fender": tuple((cu + a["r"] * math.cos(math.radians(t)), cv + a["r"] * math.sin(math.radians(t)))
                            for a in fender["arcs"] for t in range(a["from"], a["to"], a["step"]))}
    bike |= {part: tuple(map(tuple, pts)) for part, pts in raw["BIKE"].items() if part != "fender"}
    return {"BIKE": bike, "POSES": {pose: tuple(map(tuple, joints)) for pose, joints in raw["POSES"].items()},
            "SHED_SCOOTERS": [tuple(c) for c in raw["SHED_SCOOTERS"]]}


SHAPES = Weights("photos", _tables)     # W is the image's width


def bike(d, cam, xf, z0, color, box=False):
    """Electric scooter side-on, front wheel at xf, from slices that shrink towards the flanks."""
    P = lambda u, v, w=0.0: (xf + u, v, z0 + w)
    for u in (0.25, 1.38):
        for w in (0.045, -0.045):
            cam.disc(d, P(u, 0.26, w), 0.26, (28, 28, 30), axis="z", n=24)
        cam.disc(d, P(u, 0.26, -0.05), 0.15, (156, 158, 162), axis="z", n=16)
        cam.disc(d, P(u, 0.26, -0.052), 0.05, (90, 92, 96), axis="z", n=10)
    cam.tube(d, P(0.25, 0.26, -0.04), P(0.45, 1.0, -0.04), 0.025, (60, 60, 64))
    parts = [("fender", color), ("apron", color), ("board", (72, 72, 78)), ("rear", color), ("seat", (30, 30, 34))]
    for w in np.linspace(0.15, -0.15, 9):
        k, f = 1.0 - 1.4 * (w + 0.15), 1 - 0.1 * (w / 0.15) ** 2  # far slices darker, outer ones smaller
        for name, col in parts + [("box", (205, 60, 45))] * box:
            pts = SHAPES.BIKE[name]
            cu, cv = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
            cam.poly(d, [P(cu + (u - cu) * f, cv + (v - cv) * f, w) for u, v in pts], shade(col, k))
    cam.quad(d, P(.37, .95, -.16), P(.46, 1.02, -.16), (245, 244, 230))  # headlight
    cam.quad(d, P(1.64, .64, -.16), P(1.71, .71, -.16), (200, 40, 40))  # tail light
    cam.tube(d, P(0.5, 1.07, -0.36), P(0.5, 1.07, 0.36), 0.02, (25, 25, 28))
    cam.tube(d, P(0.5, 1.07, -0.27), P(0.55, 1.28, -0.3), 0.008, (40, 40, 44))


def cable(d, cam, a, b, sag=0.35, width=2):
    pts = [[a[i] + (b[i] - a[i]) * t - (sag * 4 * t * (1 - t) if i == 1 else 0) for i in range(3)] for t in np.linspace(0, 1, 16)]
    d.line([cam(p) for p in pts], fill=(18, 18, 20), width=width, joint="curve")


def sign(img, quad, text, size, fg, bg):
    """Render `text` on a sign and warp it onto the screen quadrilateral `quad` (TL, TR, BR, BL)."""
    src = Image.new("RGB", size, bg)
    ImageDraw.Draw(src).text((size[0] / 2, size[1] / 2), text, fill=fg, anchor="mm", font=ImageFont.truetype(FONT, int(size[1] * .62)))
    A, B = [], []
    for (x, y), (u, v) in zip(quad, [(0, 0), (size[0], 0), size, (0, size[1])]):
        A += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        B += [u, v]
    coef = tuple(np.linalg.solve(np.array(A, float), np.array(B, float)))
    mask = Image.new("L", size, 255).transform(img.size, Image.PERSPECTIVE, coef, Image.BILINEAR)
    img.paste(src.transform(img.size, Image.PERSPECTIVE, coef, Image.BICUBIC), mask=mask)


def finish(img, path, seed, tint=(1.0, 1.0, 1.0)):
    """Vignette, tint, blotchy light, film grain, slight lens blur; save within the size budget."""
    rng, (yy, xx) = np.random.default_rng(seed), np.mgrid[0:H, 0:W]
    a = np.asarray(img, np.float32) * (1 - 0.14 * (((xx - W / 2) / (W / 2)) ** 2 + ((yy - H / 2) / (H / 2)) ** 2))[..., None]
    blotch = Image.fromarray(rng.normal(128, 40, (H // 75, W // 75)).clip(0, 255).astype(np.uint8)).resize((W, H), Image.BICUBIC)
    a = a * np.array(tint, np.float32) + (np.asarray(blotch, np.float32)[..., None] - 128) * 0.05 + rng.normal(0, 3.2, (H, W, 1))
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
    for q in range(82, 40, -4):
        img.save(path, "JPEG", quality=q, optimize=True)
        if os.path.getsize(path) <= MAX_BYTES:
            break


def shed_photo(path):
    rng, cam = random.Random(9101), Cam(pos=(-0.8, 1.6, 0), yaw=30, f=860, hy=470)
    img = backdrop(cam.hy, (92, 140, 200), (208, 222, 232), (178, 176, 170), (150, 148, 142), rng)
    d = ImageDraw.Draw(img)
    for ang, dist, wall in ((-8, 95, (228, 214, 194)), (8, 88, (222, 206, 186)), (24, 84, (230, 218, 200)),
                            (40, 90, (224, 210, 190)), (56, 96, (228, 214, 194))):
        building(d, cam, dist * math.sin(math.radians(ang)) - 13, dist * math.cos(math.radians(ang)), 26, wall, rng)
    cam.quad(d, (-80, 0, 38), (80, 0, 60), (112, 138, 92), "y")  # lawn and trees behind the paved yard
    for i in range(14):
        tree(d, cam, -14 + i * 3.6 + rng.uniform(-1, 1), 42 + rng.uniform(-2, 3), rng.uniform(6, 8.5), rng)
    cam.quad(d, (-80, 0, 37.6), (80, 0.15, 37.6), (196, 194, 188))  # kerb
    img = overlay(img, paving(cam, list(range(-14, 14)), list(range(1, 38))), blur=0.5)
    ZS, X0, X1 = range(4, 35, 3), 2.0, 5.0  # post rows along Z; front and back post lines
    img = overlay(img, lambda s: [cam.quad(s, (x0, 0, z0), (x1, 0, z0 + 31), SHADOW + (a,), "y")
                                  for x0, x1, z0, a in ((1.7, 5.4, 3.6, 70), (3.1, 7.0, 4.8, 90))], blur=6)
    d = ImageDraw.Draw(img)
    cam.quad(d, (X1 + .05, 0.15, 4), (X1 + .05, 1.3, 34), (150, 160, 170), "x")  # back panel
    for y in np.arange(0.25, 1.3, 0.1):
        d.line([cam((X1, y, 4)), cam((X1, y, 34))], fill=(132, 142, 152))
    for z in ZS:
        cam.tube(d, (X1, 0, z), (X1, 2.8, z), 0.05, (150, 156, 162))
    for z in np.arange(33.2, 4.2, -0.78):
        bike(d, cam, X0 + 0.35 + rng.uniform(0, 0.25), z + rng.uniform(-0.08, 0.08), rng.choice(SHAPES.SHED_SCOOTERS),
             box=rng.random() < 0.3)
    for z in reversed(ZS):
        cam.tube(d, (X0, 0, z), (X0, 2.5, z), 0.055, (160, 166, 172), hi=(215, 220, 225))
        for dz in (-0.14, 0.14):  # a charging box with lamp and outlet on each side of the post
            cam.quad(d, (X0 - .07, 1.05, z + dz - .09), (X0 - .07, 1.38, z + dz + .09), (226, 228, 224), "x")
            cam.disc(d, (X0 - .08, 1.3, z + dz), 0.02, (40, 210, 90), axis="x", n=8)
            cam.quad(d, (X0 - .08, 1.1, z + dz - .05), (X0 - .08, 1.2, z + dz + .05), (60, 62, 66), "x")
            cable(d, cam, (X0 - .08, 1.12, z + dz), (X0 + 1.35, 0.62, z + 5.5 * dz), sag=0.25)
    # roof sloping to the back: pale corrugated underside, beams, lamps, blue fascia boards
    cam.poly(d, [(1.6, 2.75, 3.4), (5.4, 2.4, 3.4), (5.4, 2.4, 34.6), (1.6, 2.75, 34.6)], (176, 188, 200))
    for z in np.arange(3.4, 34.6, 0.25):
        d.line([cam((1.6, 2.75, z)), cam((5.4, 2.4, z))], fill=(150, 164, 180))
    for z in ZS:
        cam.tube(d, (X0, 2.68, z), (X1, 2.36, z), 0.05, (118, 126, 136))
        cam.tube(d, (3.0, 2.6, z + 1.0), (3.0, 2.6, z + 2.0), 0.035, (252, 252, 242))
    cam.quad(d, (1.6, 2.5, 3.4), (1.6, 2.8, 34.6), (30, 92, 168), "x")
    cam.poly(d, [(1.6, 2.5, 3.4), (1.6, 2.8, 3.4), (5.4, 2.45, 3.4), (5.4, 2.2, 3.4)], (22, 70, 135))
    sign(img, [cam((1.59, y, z)) for y, z in ((2.78, 11.4), (2.78, 4.6), (2.52, 4.6), (2.52, 11.4))],
         "电动自行车充电棚", (760, 96), (255, 255, 255), (30, 92, 168))
    finish(img, path, 11)


def detail_photo(path):
    rng, cam = random.Random(9102), Cam(pos=(-1.6, 1.2, -1.4), yaw=16, f=1120, hy=420)
    img = backdrop(cam.hy, (200, 200, 200), (200, 200, 200), (168, 166, 160), (128, 126, 122), rng, clouds=0)
    d = ImageDraw.Draw(img)
    WZ, FZ = 4.2, 4.02  # wall plane, cabinet front
    face = lambda x0, y0, x1, y1, col, z=FZ - .01: cam.quad(d, (x0, y0, z), (x1, y1, z), col)
    face(-9, 0, 9, 4.5, (228, 222, 208), WZ)
    face(-9, 0, 9, 0.9, (178, 176, 170), WZ)  # tiled dado
    for x in np.arange(-9, 9, 0.6):
        d.line([cam((x, 0, WZ)), cam((x, 0.9, WZ))], fill=(150, 148, 142))
    d.line([cam((-9, 0.45, WZ)), cam((9, 0.45, WZ))], fill=(150, 148, 142))
    img = overlay(img, paving(cam, list(range(-8, 8)), list(np.arange(0.5, 4.3, 0.5)), alpha=50), blur=0.5)
    img = overlay(img, lambda s: cam.quad(s, (-0.92, 0.98, WZ), (1.1, 2.16, WZ), SHADOW + (110,)), blur=9)
    d = ImageDraw.Draw(img)
    cam.tube(d, (0.75, 2.25, WZ - .06), (0.75, 4.5, WZ - .06), 0.035, (200, 202, 204), hi=(235, 236, 238))  # conduit
    cam.quad(d, (-1.0, 1.05, FZ), (-1.0, 2.25, WZ), (150, 156, 160), "x")
    face(-1.0, 1.05, 1.0, 2.25, (210, 215, 218), FZ)
    face(-0.97, 1.98, 0.97, 2.22, (24, 86, 168))
    sign(img, [cam((x, y, FZ - .02)) for x, y in ((-0.9, 2.2), (0.9, 2.2), (0.9, 2.0), (-0.9, 2.0))],
         "电动自行车充电处", (900, 100), (255, 255, 255), (24, 86, 168))
    for n in range(8):  # 2 x 4 charging ports: status screen, socket, lamp
        x0, top, on = -0.92 + n % 4 * 0.36, 1.92 - n // 4 * 0.42, n not in (2, 5, 7)
        face(x0, top - 0.4, x0 + 0.32, top, (196, 202, 206), FZ - .006)
        face(x0 + .04, top - .14, x0 + .28, top - .03, (22, 42, 38))
        d.text(cam((x0 + .16, top - .085, FZ)), f"{n + 1:02d}  " + (f"{rng.randint(1, 7)}.{rng.randint(0, 9)}h" if on else "空闲"),
               font=ImageFont.truetype(FONT, int(cam.f * 0.07 / cam.z((x0, 0, FZ)))), fill=(90, 240, 130) if on else (150, 200, 230), anchor="mm")
        face(x0 + .07, top - .37, x0 + .25, top - .18, (244, 244, 238))
        for dx in (0.12, 0.2):
            face(x0 + dx - .008, top - .3, x0 + dx + .008, top - .25, (50, 50, 54), FZ - .012)
        cam.disc(d, (x0 + .28, top - .2, FZ - .012), 0.012, (40, 210, 90) if on else (230, 150, 30), axis="z", n=8)
    face(0.54, 1.14, 0.95, 1.92, (246, 246, 242), FZ - .008)  # payment QR code and instructions
    for i, j in np.ndindex(9, 9):
        if rng.random() < 0.5 or (i < 3 or i > 5) and j < 3 or i < 3 and j > 5:
            face(0.61 + i * .03, 1.83 - j * .03, 0.64 + i * .03, 1.86 - j * .03, (20, 20, 24))
    for k in range(6):
        face(0.6, 1.5 - k * .055, 0.6 + rng.uniform(.2, .3), 1.52 - k * .055, (120, 124, 130))
    face(1.45, 0.95, 1.85, 1.6, (196, 30, 32), WZ - .1)  # fire-extinguisher box
    sign(img, [cam((x, y, WZ - .11)) for x, y in ((1.5, 1.52), (1.8, 1.52), (1.8, 1.42), (1.5, 1.42))],
         "灭火器", (300, 100), (255, 255, 255), (196, 30, 32))
    bikes = ((-0.2, 3.45, (40, 96, 172), (0.5, 0.82)), (-1.7, 2.6, (236, 236, 232), (-0.5, 1.24)))
    img = overlay(img, lambda s: [s.ellipse([cam((x, 0, z - .2))[0], cam((x, 0, z + .2))[1] - 14, cam((x + 1.7, 0, z))[0],
                                             cam((x, 0, z - .25))[1] + 6], fill=SHADOW + (150,)) for x, z, _, _ in bikes], blur=10)
    d = ImageDraw.Draw(img)
    for xf, z0, color, (sx, sy) in bikes:
        bike(d, cam, xf, z0, color)
        cam.quad(d, (xf + .62, .42, z0 - .2), (xf + .86, .52, z0 - .06), (25, 25, 28))  # charger brick
        cable(d, cam, (sx, sy, FZ - .02), (xf + .7, .5, z0 - .14), sag=0.45, width=3)
        cable(d, cam, (xf + .86, .47, z0 - .2), (xf + 1.05, .7, z0 - .17), sag=0.05, width=3)
    finish(img, path, 12)


def fitness_photo(path):
    rng, cam = random.Random(9103), Cam(pos=(0, 1.6, 0), yaw=0, f=950, hy=400)
    SX, SZ = 1.0, -0.45  # ground shift of a point per metre of height: low evening sun, left and behind
    img = backdrop(cam.hy, (104, 138, 190), (250, 208, 162), (126, 142, 84), (92, 118, 60), rng, clouds=4)
    glow = Image.new("L", (W, H), 0)
    ImageDraw.Draw(glow).ellipse([-260, 120, 320, 560], fill=190)
    img.paste((255, 226, 170), mask=glow.filter(ImageFilter.GaussianBlur(90)))
    d = ImageDraw.Draw(img)
    for x0, z0, w in ((-62, 62, 30), (-26, 55, 30), (10, 58, 28), (44, 52, 30)):
        building(d, cam, x0, z0, w, (236, 214, 186), rng, warm=1.04)
    for i in range(12):
        tree(d, cam, -30 + i * 5.5 + rng.uniform(-1, 1), 34 + rng.uniform(-3, 3), rng.uniform(6, 9), rng, (68, 108, 50), (-0.8, 0.4))
    cam.quad(d, (-8, 0, 3.5), (7, 0, 15), (178, 150, 138), "y")  # paved fitness plaza and paths
    cam.poly(d, [(-2.6, 0, 0.5), (-0.8, 0, 0.5), (-0.6, 0, 3.5), (-2.2, 0, 3.5)], (170, 166, 158))
    cam.poly(d, [(5.4, 0, 15), (7, 0, 15), (12, 0, 30), (10.4, 0, 30)], (170, 166, 158))
    img = overlay(img, paving(cam, list(np.arange(-8, 7.1, 0.5)), list(np.arange(3.5, 15.1, 0.5)), alpha=40))
    # equipment and people as tubes and discs, so that they can cast shadows and be drawn far to near
    Y, B, G, items = (238, 190, 30), (36, 96, 186), (44, 160, 84), []
    T = lambda a, b, r, c: items.append(("tube", a, b, r, c))
    for x in (-0.95, 0.95):  # double pendulum walker
        T((x, 0, 6.5), (x, 1.75, 7), .045, Y); T((x, 0, 7.5), (x, 1.75, 7), .045, Y)
    T((-0.95, 1.75, 7), (0.95, 1.75, 7), .05, B)
    for side in (-0.5, 0.5):
        for o, a in ((-0.12, 0.3), (0.12, -0.2)):
            fx, fz = side + o, 7 - 1.4 * math.sin(a)
            T((fx, 1.72, 7), (fx, 0.32, fz), .025, G); T((fx - .07, .3, fz), (fx + .07, .3, fz), .05, G)
        T((side - .25, 1.3, 6.8), (side + .25, 1.3, 6.8), .025, B); T((side, 1.3, 6.8), (side, 1.72, 7), .025, B)
    for x, h in ((-5.4, 2.35), (-4.5, 2.35), (-3.6, 2.05)):  # pull-up bars
        T((x, 0, 9.5), (x, h, 9.5), .055, B)
    T((-5.4, 2.25, 9.5), (-4.5, 2.25, 9.5), .03, Y); T((-4.5, 1.95, 9.5), (-3.6, 1.95, 9.5), .03, Y)
    T((3.3, 0, 8.8), (3.3, 1.3, 8.8), .06, B)  # waist twister: post, three handles, three turntables
    for k in range(3):
        c, s = math.cos(math.radians(90 + 120 * k)), math.sin(math.radians(90 + 120 * k))
        T((3.3, 1.2, 8.8), (3.3 + .34 * c, 1.2, 8.8 + .34 * s), .03, Y)
        T((3.3 + .34 * c - .12 * s, 1.2, 8.8 + .34 * s + .12 * c), (3.3 + .34 * c + .12 * s, 1.2, 8.8 + .34 * s - .12 * c), .03, Y)
        items.append(("disc", (3.3 + .62 * c, .1, 8.8 + .62 * s), .24, G))
    T((-2.7, .45, 12), (-0.9, .45, 12), .07, (150, 100, 60)); T((-2.7, .82, 12.25), (-0.9, .82, 12.25), .06, (150, 100, 60))
    for x in (-2.6, -1.0):  # bench legs and back supports
        T((x, 0, 12), (x, .45, 12), .04, (70, 70, 74)); T((x, .45, 12.1), (x, .85, 12.25), .04, (70, 70, 74))
    for x, z, h, col, pose in ((-2.2, 12.05, 1.62, (90, 70, 110), "sit"), (-1.4, 12.05, 1.58, (60, 80, 120), "sit"),
                               (1.5, 6.0, 1.15, (230, 80, 70), "run"), (2.4, 5.3, 1.05, (240, 190, 60), "run"),
                               (3.3, 9.42, 1.65, (170, 60, 60), "stand")):
        P = dict(zip(("fl", "fr", "kl", "kr", "hip", "neck", "hl", "hr"), [(x + u * h, v * h, z + w * h) for u, v, w in SHAPES.POSES[pose]]))
        for a, b, r in (("fl", "kl", .045), ("fr", "kr", .045), ("kl", "hip", .05), ("kr", "hip", .05)):
            T(P[a], P[b], r * h, (50, 52, 60))
        T(P["hip"], P["neck"], .1 * h, col)
        for hand, off in (("hl", -.09), ("hr", .09)):
            T((P["neck"][0] + off * h, P["neck"][1] - .03 * h, P["neck"][2]), P[hand], .035 * h, shade(col, .9))
        hair = (200, 200, 200) if pose == "sit" else (196, 150, 118)  # the seated elderly are grey-haired
        items.append(("head", (P["neck"][0], P["neck"][1] + .1 * h, P["neck"][2]), .07 * h, hair))
    ground = lambda p: (p[0] + p[1] * SX, 0, p[2] + p[1] * SZ)

    def shadows(s):
        for kind, a, b, *rest in items:
            if kind == "tube":
                cam.tube(s, ground(a), ground(b), rest[0], SHADOW + (120,))
            else:
                cam.disc(s, ground(a), b, SHADOW + (120,))
        for x, z, h in ((-9, 14, 9), (7.2, 11, 7)):  # tree trunk and canopy, stretched by the low sun
            cam.tube(s, (x, 0, z), ground((x, h * .5, z)), .04 * h, SHADOW + (110,))
            cam.tube(s, ground((x, h * .45, z)), ground((x, h * .85, z)), .17 * h, SHADOW + (85,))
    img = overlay(img, shadows, blur=2.5)
    d = ImageDraw.Draw(img)
    tree(d, cam, -9, 14, 9, rng, (64, 112, 48), (-0.8, 0.4))
    tree(d, cam, 7.2, 11, 7, rng, (64, 112, 48), (-0.8, 0.4))
    for kind, a, b, *rest in sorted(items, key=lambda it: -cam.z(it[1]) - (cam.z(it[2]) if it[0] == "tube" else cam.z(it[1]))):
        if kind == "tube":
            cam.tube(d, a, b, rest[0], rest[1], hi=shade(rest[1], 1.35))
        elif kind == "disc":  # turntable standing on the ground: dark rim, then the top
            cam.disc(d, (a[0], 0, a[2]), b, shade(rest[0], .6))
            cam.disc(d, a, b, rest[0])
        else:
            cam.disc(d, a, b, rest[0], axis="z")
    finish(img, path, 13, tint=(1.05, 1.0, 0.9))


def draw(out: Path) -> dict[str, int]:
    """The three photos into the folder ``out``: {file name: size in bytes}."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, paint in (("charging-shed.jpg", shed_photo), ("charging-detail.jpg", detail_photo),
                        ("fitness.jpg", fitness_photo)):
        paint(out / name)
        sizes[name] = os.path.getsize(out / name)
    return sizes


def run(out: Path) -> int:
    for name, size in draw(out).items():
        print(out / name, size)
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli(sys.modules[__name__], argv)
