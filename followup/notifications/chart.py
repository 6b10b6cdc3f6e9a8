"""The four-way bar chart of a digest, as HTML the e-mail draws with table cells: one stacked
horizontal bar per row (unit), in the four kinds' colours, scaled to the largest row, each
segment carrying its number where it fits. No picture: every mail client shows table cells,
and a reader of the bars sees the names and the numbers without a legend to decode."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from followup.domain.status import FourWay
from followup.domain.vocabulary import label

#: The four kinds' colours (green, amber, blue, red), as in the XLSX chart.
COLOURS: dict[FourWay, tuple[int, int, int]] = {
    FourWay.DONE_ON_TIME: (0x2E, 0x7D, 0x32),
    FourWay.DONE_LATE: (0xF9, 0xA8, 0x25),
    FourWay.OPEN_ON_TIME: (0x15, 0x65, 0xC0),
    FourWay.OVERDUE: (0xC6, 0x28, 0x28),
}
HEX = {kind: "#{:02X}{:02X}{:02X}".format(*rgb) for kind, rgb in COLOURS.items()}
#: Dark text on the amber segment, white on the others (contrast).
INK = {kind: "#1B1F23" if kind is FourWay.DONE_LATE else "#FFFFFF" for kind in FourWay}
#: Narrower than this (in % of the bar), a segment shows no number: the table below has it.
NUMBER_FITS = 6.0


@dataclass(frozen=True)
class Segment:
    colour: str
    ink: str
    label: str
    count: int
    #: Its width, in % of the chart's width.
    width: float
    #: The number shown inside ("" where it does not fit).
    shown: str


def bar_segments(counts: Mapping[FourWay, int], largest: int) -> list[Segment]:
    """One unit's bar: a segment per kind it has, scaled so the largest row fills 100%."""
    scale = 100 / largest if largest else 0
    segments = []
    for kind in FourWay:
        count = counts.get(kind, 0)
        if count:
            width = round(count * scale, 1)
            shown = str(count) if width >= NUMBER_FITS else ""
            segments.append(Segment(HEX[kind], INK[kind], label(kind), count, width, shown))
    return segments
