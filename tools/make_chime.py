"""Write assets/chime.wav: the short two-tone chime played for a mention or a private message.

150 ms in all: 70 ms at 880 Hz then 80 ms at 1320 Hz (a fifth up), 22,050 Hz
mono 16-bit, each tone faded in and out over 8 ms so it does not click, at a
third of full scale so it is not startling. Run from the repository root:
``python tools/make_chime.py``. Standard library only (``wave``).
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from pathlib import Path

RATE = 22_050
VOLUME = 0.33 * 32767
FADE = 0.008
TONES = ((880.0, 0.070), (1320.0, 0.080))


def samples() -> list[int]:
    """The chime as signed 16-bit samples."""
    out: list[int] = []
    for freq, seconds in TONES:
        count = int(RATE * seconds)
        fade = int(RATE * FADE)
        for i in range(count):
            envelope = min(1.0, i / fade, (count - 1 - i) / fade)
            out.append(int(VOLUME * envelope * math.sin(2 * math.pi * freq * i / RATE)))
    return out


def write(path: Path) -> None:
    """Write the chime to ``path``."""
    data = samples()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(data)}h", *data))


def main() -> int:
    target = Path(__file__).resolve().parent.parent / "assets" / "chime.wav"
    write(target)
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
