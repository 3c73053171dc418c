"""Compressed exports: gzip is streamed through decompression, with hard caps; others refused.

Real exports often ship gzip'd, and a hostile one can expand without bound (a "zip bomb").
:class:`GzipStream` is the file-like object the readers read instead of the file: it
decompresses a bounded piece at a time and stops, raising :class:`CompressedError`, once the
decompressed bytes pass ``ReadLimits.max_decompressed_bytes`` (1 GiB) or the expansion ratio passes
:data:`MAX_RATIO` (judged once :data:`RATIO_AFTER_BYTES` have come out, so a small, very
repetitive file is not mistaken for a bomb). Offsets the readers see are offsets in the
decompressed data. A gzip stream cannot seek: it keeps the last bytes it served so the readers'
short look-backs work, and ``--jobs`` never splits a compressed file into byte ranges.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from conformance.exports._files import open_regular
from conformance.exports._limits import current

# The caps, in one place.
MAX_RATIO = 200  # decompressed bytes per compressed byte
RATIO_AFTER_BYTES = 8 * 1024 * 1024  # the ratio is judged once this much came out

_IN_CHUNK = 64 * 1024  # compressed bytes read at once
_OUT_CHUNK = 256 * 1024  # decompressed bytes produced per step (bounds every step)
_KEEP = 2 * 1024 * 1024  # served bytes kept at least, for seeks backwards

GZIP_MAGIC = b"\x1f\x8b"
# Other compressions are recognised only to be refused with a clear message.
_OTHER_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
)


class CompressedError(OSError):
    """Reading a compressed export stopped: a cap was reached or the data is corrupt."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "decompression-limit" or "compressed-corrupt"
        self.message = message


def compression_of(head: bytes) -> str | None:
    """The compression the first bytes of a file announce (``gzip``, ``zip`` ...), or None."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return name
    return None


def is_gzip(path: Path) -> bool:
    """Whether ``path`` holds gzip data (by its magic bytes; the name alone proves nothing)."""
    try:
        with open_regular(Path(path)) as stream:
            return stream.read(2) == GZIP_MAGIC
    except OSError:
        return False


def gzip_size_hint(path: Path, compressed: int) -> int:
    """A progress total for a gzip file: its trailer's size field, bounded by the caps.

    The field is the candidate's word (and only modulo 4 GiB), so it is used for the
    progress display and nothing else.
    """
    try:
        with open_regular(Path(path)) as stream:
            stream.seek(max(compressed - 4, 0))
            tail = stream.read(4)
    except OSError:
        return compressed
    stated = int.from_bytes(tail, "little") if len(tail) == 4 else 0
    return max(compressed, min(stated, current().max_decompressed_bytes))


class GzipStream:
    """Decompressed bytes of a gzip file, read in bounded steps, capped in size and ratio.

    Supports what the readers use: ``read``, ``readline``, ``tell`` and ``seek`` to any
    position not older than the last read (at least :data:`_KEEP` bytes back).
    """

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int | None = None,
        max_ratio: int | None = None,
        ratio_after: int | None = None,
    ) -> None:
        self._file = open_regular(Path(path))  # closed by close()
        self.max_bytes = current().max_decompressed_bytes if max_bytes is None else max_bytes
        self.max_ratio = MAX_RATIO if max_ratio is None else max_ratio
        self.ratio_after = RATIO_AFTER_BYTES if ratio_after is None else ratio_after
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = b""  # compressed input not yet given to the decompressor
        self._members = 1
        self._eof = False
        self.compressed_in = 0  # compressed bytes consumed
        self.produced = 0  # decompressed bytes produced
        self._buf = bytearray()  # decompressed bytes from absolute offset _base on
        self._base = 0
        self._pos = 0  # absolute read position

    # -- the file-like interface -------------------------------------------------------

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.max_bytes + 1  # bounded: the cap stops reading before this
        self._fill(size)
        start = self._pos - self._base
        out = bytes(self._buf[start : start + size])
        self._advance(len(out))
        return out

    def readline(self, size: int = -1) -> bytes:
        limit = self.max_bytes + 1 if size is None or size < 0 else size
        start = self._pos - self._base  # stable: only _advance drops buffered bytes
        searched = start
        while True:
            end = self._buf.find(b"\n", searched, start + limit)
            if end >= 0:
                out = bytes(self._buf[start : end + 1])
                break
            if len(self._buf) - start >= limit or self._eof:
                out = bytes(self._buf[start : start + limit])
                break
            searched = len(self._buf)
            self._produce()
        self._advance(len(out))
        return out

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence != 0:
            raise OSError("a gzip export can only be sought from the start or the position")
        if offset < self._base:
            raise OSError(
                f"cannot seek back to byte {offset} of a gzip export "
                f"(only bytes from {self._base} on are kept)"
            )
        if offset > self._base + len(self._buf):
            self._fill(offset - self._pos)
            offset = min(offset, self._base + len(self._buf))
        self._pos = offset
        return offset

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> GzipStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- decompression -----------------------------------------------------------------

    def _fill(self, size: int) -> None:
        """Decompress until ``size`` bytes are buffered after the position, or the end."""
        while self._base + len(self._buf) - self._pos < size and not self._eof:
            self._produce()

    def _advance(self, count: int) -> None:
        self._pos += count
        # Keep at least the bytes just served and _KEEP more; drop what is older.
        drop = self._pos - self._base - max(count, _KEEP)
        if drop > _KEEP:
            del self._buf[:drop]
            self._base += drop

    def _produce(self) -> None:
        """One bounded step: at most _OUT_CHUNK decompressed bytes appended to the buffer."""
        if self._eof:
            return
        inflate = self._inflate
        if inflate.eof:
            self._next_member()
            return
        data = inflate.unconsumed_tail or self._pending
        self._pending = b""
        if not data:
            data = self._file.read(_IN_CHUNK)
            if not data:
                raise CompressedError(
                    "compressed-corrupt",
                    f"gzip data ends before its end marker after {self.compressed_in} "
                    f"compressed bytes ({self.produced} decompressed); the file was cut short; "
                    "expected a complete gzip stream",
                )
        before = len(data)
        try:
            out = inflate.decompress(data, _OUT_CHUNK)
        except zlib.error as exc:
            raise CompressedError(
                "compressed-corrupt",
                f"gzip data is corrupt near compressed byte {self.compressed_in} "
                f"({self.produced} decompressed bytes read): {exc}; expected valid gzip",
            ) from None
        self.compressed_in += before - len(inflate.unconsumed_tail) - len(inflate.unused_data)
        self.produced += len(out)
        self._buf += out
        if inflate.eof:
            self._pending = inflate.unused_data
        self._check_caps()

    def _next_member(self) -> None:
        """After a member's end: another member (concatenated gzip), trailing zeros, or end."""
        rest = self._pending or self._file.read(_IN_CHUNK)
        while rest and not rest.strip(b"\x00"):  # zero padding after the last member
            self.compressed_in += len(rest)
            rest = self._file.read(_IN_CHUNK)
        if not rest:
            self._eof = True
            return
        if not rest.startswith(GZIP_MAGIC):
            raise CompressedError(
                "compressed-corrupt",
                f"{len(rest)}+ bytes that are not gzip follow gzip member {self._members} "
                f"at compressed byte {self.compressed_in}; expected only gzip data",
            )
        self._members += 1
        self._inflate = zlib.decompressobj(wbits=31)
        self._pending = rest

    def _check_caps(self) -> None:
        produced, consumed = self.produced, max(self.compressed_in, 1)
        if produced > self.max_bytes:
            raise CompressedError(
                "decompression-limit",
                f"gzip data expands past {self.max_bytes} bytes ({produced} decompressed "
                f"from {self.compressed_in} compressed bytes); not read further (a "
                "decompression bomb?); expected an export under the cap",
            )
        if produced > self.ratio_after and produced > self.max_ratio * consumed:
            raise CompressedError(
                "decompression-limit",
                f"gzip data expands {produced // consumed}-fold ({produced} decompressed from "
                f"{self.compressed_in} compressed bytes), over the ratio cap {self.max_ratio}; "
                "not read further (a decompression bomb?); expected ordinary compression",
            )
