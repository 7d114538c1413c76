#!/usr/bin/env python3
"""Writes the small image fixtures NSTImageTests read (run once; the outputs are committed).

    python3 -m venv /tmp/imgvenv && /tmp/imgvenv/bin/pip install pillow
    /tmp/imgvenv/bin/python Tests/NSTImageTests/Fixtures/make_fixtures.py

Every pixel value the tests check is a formula written here (see each fixture's comment),
so the tests can compute what they expect. Crafted PNG headers are assembled by hand
(struct + zlib) so their CRCs are right and only the field under test is wrong.
"""
import io, os, struct, zlib
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))

def path(name):
    return os.path.join(HERE, name)

def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)

def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)

def png(width, height, bit_depth, color_type, raw_rows=None):
    """A PNG from unfiltered rows (each row: filter byte 0 + samples)."""
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
    if raw_rows is not None:
        out += chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in raw_rows)))
    return out + chunk(b"IEND", b"")

# rgb.png 8×6: pixel (x, y) = (32x, 40y, 200) in 8-bit values.
rgb = Image.new("RGB", (8, 6))
rgb.putdata([(32 * x, 40 * y, 200) for y in range(6) for x in range(8)])
rgb.save(path("rgb.png"))
# The same bytes under a JPEG name: format is told by content, not extension.
rgb.save(path("png-named.jpg"), format="PNG")

# gray.png 8×6 8-bit grayscale: value 30x + 5y.
gray = Image.new("L", (8, 6))
gray.putdata([30 * x + 5 * y for y in range(6) for x in range(8)])
gray.save(path("gray.png"))

# palette.png 4×2 indexed: row 0 red, green, blue, white; row 1 black, (10,20,30), red, green.
pal = Image.new("P", (4, 2))
pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 10, 20, 30] + [0] * (256 * 3 - 18))
pal.putdata([0, 1, 2, 3, 4, 5, 0, 1])
pal.save(path("palette.png"))

# rgba16.png 4×1, 16 bits per channel, no gAMA/sRGB chunk (so PNG_IMAGE_FLAG_16BIT_sRGB applies):
#   (0) opaque (65535, 0, 0)   → red
#   (1) opaque (0, 32896, 0)   → green 32896/65535 ≈ 128/255
#   (2) alpha 0 (0, 0, 65535)  → background (white)
#   (3) opaque (65535,65535,65535) → white
row = struct.pack(">16H", 65535, 0, 0, 65535,  0, 32896, 0, 65535,  0, 0, 65535, 0,  65535, 65535, 65535, 65535)
write("rgba16.png", png(4, 1, 16, 6, [row]))

# rgba8.png 2×1 8-bit RGBA: opaque red, then fully transparent black (→ white).
rgba = Image.new("RGBA", (2, 1))
rgba.putdata([(255, 0, 0, 255), (0, 0, 0, 0)])
rgba.save(path("rgba8.png"))

# noise.png 64×64 pseudo-random bytes (incompressible, so cutting the file cuts IDAT).
state = 12345
values = []
for _ in range(64 * 64 * 3):
    state = (1103515245 * state + 12345) % (1 << 31)
    values.append(state >> 23)
noise = Image.frombytes("RGB", (64, 64), bytes(values))
buf = io.BytesIO(); noise.save(buf, format="PNG"); noise_png = buf.getvalue()
write("truncated.png", noise_png[: len(noise_png) // 2])
# corrupt.png: one IDAT byte flipped (CRC no longer matches).
idat = noise_png.index(b"IDAT")
bad = bytearray(noise_png); bad[idat + 100] ^= 0xFF
write("corrupt.png", bytes(bad))

# Headers claiming huge or empty images (valid CRCs; one row of pixel data, far too little).
write("huge.png", png(100000, 100000, 8, 2, [bytes(16)]))
write("zero.png", png(0, 4, 8, 2, [bytes(16)]))

# JPEGs. smooth.jpg-style content: pixel (x, y) = (8x, 8y, 128) on 32×24, quality 95.
grad = Image.new("RGB", (32, 24))
grad.putdata([(8 * x, 8 * y, 128) for y in range(24) for x in range(32)])
grad.save(path("baseline.jpg"), quality=95)
grad.save(path("progressive.jpg"), quality=95, progressive=True)
grad.save(path("jpeg-named.png"), format="JPEG", quality=95)
grad.convert("L").save(path("gray.jpg"), quality=95)
# cmyk.jpg 16×16: four 8×8 quadrants of ink (C, M, Y, K) in 0…255:
#   top-left (0,0,0,0) white, top-right (255,0,0,0) cyan, bottom-left (0,0,0,128) grey,
#   bottom-right (0,255,255,0) red. Pillow stores Adobe-inverted CMYK, as Photoshop does.
cmyk = Image.new("CMYK", (16, 16))
def ink(x, y):
    if y < 8:
        return (0, 0, 0, 0) if x < 8 else (255, 0, 0, 0)
    return (0, 0, 0, 128) if x < 8 else (0, 255, 255, 0)
cmyk.putdata([ink(x, y) for y in range(16) for x in range(16)])
cmyk.save(path("cmyk.jpg"), quality=95)

# big.jpg 96×64 noise (so its entropy-coded data is long), for truncation.
buf = io.BytesIO(); Image.frombytes("RGB", (64, 64), bytes(values)).resize((96, 64)).save(buf, format="JPEG", quality=90)
big = buf.getvalue()
write("truncated.jpg", big[: len(big) // 2])
# corrupt.jpg: a valid start of image followed by bytes that are no JPEG marker segment.
write("corrupt.jpg", big[:2] + b"\xff\x01" + bytes(range(200)))

def patch_sof(data, height, width):
    """Sets the frame header's height and width (SOF0/SOF2: FF C0 / FF C2, len, precision, H, W)."""
    b = bytearray(data)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        i = b.find(marker)
        if i >= 0:
            struct.pack_into(">HH", b, i + 5, height, width)
            return bytes(b)
    raise SystemExit("no SOF")

buf = io.BytesIO(); grad.save(buf, format="JPEG", quality=95); base = buf.getvalue()
# JPEG sizes are 16-bit: 65500×65500 is the largest "huge" claim the format can make.
write("huge.jpg", patch_sof(base, 65500, 65500))
write("zero.jpg", patch_sof(base, 0, 32))

# EXIF orientation: blocks.png is a 24×16 grid of six 8×8 colour blocks (3 across, 2 down);
# exif-N.jpg holds the same pixels as stored by a camera with orientation tag N, i.e. the
# inverse turn applied, so that turning them by tag N gives blocks.png back. The tests
# compare block centres with blocks.png.
COLOURS = [(230, 30, 30), (30, 200, 30), (30, 30, 230), (240, 220, 40), (40, 220, 230), (220, 40, 220)]
blocks = Image.new("RGB", (24, 16))
blocks.putdata([COLOURS[(y // 8) * 3 + x // 8] for y in range(16) for x in range(24)])
blocks.save(path("blocks.png"))
# Pillow's transposes that undo each orientation (as ImageOps.exif_transpose applies them).
UNDO = {2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM, 5: Image.TRANSPOSE,
        6: Image.ROTATE_270, 7: Image.TRANSVERSE, 8: Image.ROTATE_90}
# Their inverses: what the camera stored.
STORE = {2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM, 5: Image.TRANSPOSE,
         6: Image.ROTATE_90, 7: Image.TRANSVERSE, 8: Image.ROTATE_270}
for n in (3, 6, 8, 5):
    stored = blocks.transpose(STORE[n])
    assert stored.transpose(UNDO[n]).tobytes() == blocks.tobytes()
    exif = Image.Exif()
    exif[0x0112] = n
    stored.save(path(f"exif-{n}.jpg"), quality=95, exif=exif.tobytes())

# Not images / other formats.
write("empty.png", b"")
write("text.jpg", b"this is a text file, not a picture\n")
Image.new("RGB", (4, 4), (1, 2, 3)).save(path("picture.gif"))

# Resampling reference: resize-source.png 97×61 (smooth gradients + a sharp edge + noise),
# and what Pillow's LANCZOS (sRGB values, support scaled with the factor) makes of it at 31×20
# and at 150×94 (upscaling).
src = Image.new("RGB", (97, 61))
src.putdata([((3 * x + 7 * (y // 9)) % 256 if x < 60 else 240, (4 * y) % 256, values[(y * 97 + x) % len(values)])
             for y in range(61) for x in range(97)])
src.save(path("resize-source.png"))
src.resize((31, 20), Image.LANCZOS).save(path("resize-pil-lanczos-31x20.png"))
src.resize((150, 94), Image.LANCZOS).save(path("resize-pil-lanczos-150x94.png"))
print("fixtures written to", HERE)
