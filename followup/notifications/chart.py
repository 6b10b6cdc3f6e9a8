"""The four-way bar chart of a digest as a PNG, drawn here without a plotting library: one
stacked horizontal bar per row (unit), in the four kinds' colours, scaled to the largest row.
The picture carries no text (no font to ship); the e-mail puts the names and the numbers
beside it and in its alt text, so nothing is only in the picture."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

from followup.domain.status import FourWay

#: The four kinds' colours (green, amber, blue, red), as in the XLSX chart.
COLOURS: dict[FourWay, tuple[int, int, int]] = {
    FourWay.DONE_ON_TIME: (0x2E, 0x7D, 0x32),
    FourWay.DONE_LATE: (0xF9, 0xA8, 0x25),
    FourWay.OPEN_ON_TIME: (0x15, 0x65, 0xC0),
    FourWay.OVERDUE: (0xC6, 0x28, 0x28),
}
HEX = {kind: "#{:02X}{:02X}{:02X}".format(*rgb) for kind, rgb in COLOURS.items()}

WIDTH = 480
BAR = 18
GAP = 8
BACKGROUND = (0xFF, 0xFF, 0xFF)
TRACK = (0xEE, 0xEE, 0xEE)


def four_way_png(rows: Sequence[dict[FourWay, int]]) -> bytes:
    """One bar per row, top to bottom in the order given."""
    height = max(1, len(rows)) * (BAR + GAP) + GAP
    largest = max((sum(r.values()) for r in rows), default=0) or 1
    lines: list[bytes] = []
    for y in range(height):
        slot, offset = divmod(y - GAP, BAR + GAP)
        pixels = bytearray(BACKGROUND * WIDTH)
        if y >= GAP and offset < BAR and slot < len(rows):
            x = counted = 0
            for kind in FourWay:
                # Each segment ends where the running count ends: rounding never overflows.
                counted += rows[slot].get(kind, 0)
                end = round(counted / largest * WIDTH)
                pixels[x * 3 : end * 3] = bytes(COLOURS[kind]) * (end - x)
                x = end
            if x < WIDTH:
                pixels[x * 3 :] = bytes(TRACK) * (WIDTH - x)
        lines.append(b"\x00" + bytes(pixels))
    return _png(WIDTH, height, b"".join(lines))


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
