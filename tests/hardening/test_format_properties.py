"""Property tests of the storage formats (eden.formats): bit-exact round trips and the quantization bound.

Bits are what the error models flip, so encode/decode must not move a single bit by itself: for every format,
re-encoding what was decoded gives back the same storage bytes, for any values (integer formats) and for any
bit pattern (float formats: NaN, ±inf, subnormals, −0 included). Integer quantization errs by at most half a step.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hardening_helpers import PROPERTIES
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eden.formats import FORMATS, get_format, unpack_int4

INT_FORMATS = ("int4", "int8", "int16")
FLOAT_FORMATS = ("fp32", "fp16", "bf16")
NATIVE = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, width=32)
values = st.lists(finite, min_size=1, max_size=257).map(lambda v: torch.tensor(v, dtype=torch.float32))
any_float32 = st.floats(width=32)  # NaN, ±inf, subnormals, −0 included


@PROPERTIES
@given(name=st.sampled_from(INT_FORMATS), x=values)
def test_integer_encode_of_decode_is_bit_exact(name: str, x: torch.Tensor) -> None:
    fmt = get_format(name)
    enc = fmt.encode(x)
    again = fmt.encode(fmt.decode(enc), scale=enc.scale)
    assert torch.equal(again.data, enc.data)
    assert enc.n_bits == math.ceil(x.numel() * fmt.bits / 8) * 8  # int4 odd lengths: one padding nibble


@PROPERTIES
@given(name=st.sampled_from(INT_FORMATS), x=values)
def test_quantization_error_is_at_most_half_a_step(name: str, x: torch.Tensor) -> None:
    fmt = get_format(name)
    enc = fmt.encode(x)
    assert enc.scale is not None and enc.scale > 0
    err = (fmt.decode(enc).double() - x.double()).abs().max().item()
    # float32 arithmetic of x / scale adds a relative rounding error of a few ulps to the half step
    assert err <= enc.scale / 2 * (1 + 1e-5) + 1e-30 + float(x.abs().max()) * 2**-22
    codes = fmt.codes(enc)
    assert int(codes.min()) >= -(2 ** (fmt.bits - 1)) and int(codes.max()) <= 2 ** (fmt.bits - 1) - 1


@PROPERTIES
@given(name=st.sampled_from(INT_FORMATS), data=st.data())
def test_any_stored_integer_word_survives_decode_and_encode(name: str, data: st.DataObject) -> None:
    """Whatever bits an error left in a word, decoding and re-encoding with the tensor's scale restores them."""
    fmt = get_format(name)
    numel = data.draw(st.integers(1, 301), label="numel")
    scale = data.draw(st.floats(1e-6, 1e3), label="scale")
    nbytes = math.ceil(numel * fmt.bits / 8)
    raw = data.draw(hnp.arrays(np.uint8, nbytes), label="bytes")
    if name == "int4" and numel % 2:
        raw[-1] &= 0x0F  # the padding nibble is not a word: encode writes 0 there
    enc = fmt.encode(torch.zeros(numel), scale=scale)
    enc.data.copy_(torch.from_numpy(raw))
    again = fmt.encode(fmt.decode(enc), scale=scale)
    assert torch.equal(again.data, enc.data)


@PROPERTIES
@given(numel=st.integers(1, 99), data=st.data())
def test_int4_padding_nibble_is_never_a_value(numel: int, data: st.DataObject) -> None:
    packed = torch.from_numpy(data.draw(hnp.arrays(np.uint8, math.ceil(numel / 2))))
    codes = unpack_int4(packed, numel)
    assert codes.numel() == numel
    low, high = (packed & 0xF).to(torch.int16), (packed >> 4).to(torch.int16)
    nibbles = torch.stack([low, high], 1).reshape(-1)[:numel]
    assert torch.equal(codes.to(torch.int16), torch.where(nibbles > 7, nibbles - 16, nibbles))


@PROPERTIES
@given(name=st.sampled_from(FLOAT_FORMATS), data=st.data())
def test_float_words_round_trip_bit_exactly_for_every_bit_pattern(name: str, data: st.DataObject) -> None:
    fmt = get_format(name)
    numel = data.draw(st.integers(1, 129), label="numel")
    raw = data.draw(hnp.arrays(np.uint8, numel * fmt.bits // 8), label="bytes")
    enc = fmt.encode(torch.zeros(numel), scale=None)
    enc.data.copy_(torch.from_numpy(raw))
    again = fmt.encode(fmt.decode(enc, NATIVE[name]))  # decoded in the word's own type: no conversion at all
    assert torch.equal(again.data, enc.data)
    as_f32 = fmt.decode(enc)  # what a float32 network reads: same value, NaN stays NaN
    back = fmt.encode(as_f32)
    nan = torch.isnan(as_f32)
    words = enc.data.view(NATIVE[name]) if name != "fp32" else enc.data.view(torch.float32)
    assert torch.equal(torch.isnan(words.float()), nan)
    same = back.data.view(words.dtype)[~nan].view(torch.uint8)
    assert torch.equal(same, words[~nan].contiguous().view(torch.uint8))


@PROPERTIES
@given(name=st.sampled_from(FLOAT_FORMATS), x=st.lists(any_float32, min_size=1, max_size=65))
def test_float_values_with_nan_and_inf_round_trip(name: str, x: list[float]) -> None:
    """Values already representable in the format (NaN, ±inf among them) come back bit for bit."""
    t = torch.tensor(x, dtype=torch.float32).to(NATIVE[name])  # the value as the format stores it
    fmt = get_format(name)
    enc = fmt.encode(t)
    back = fmt.decode(enc, NATIVE[name])
    assert torch.equal(back.view(torch.uint8 if name == "fp32" else torch.int16).view(-1).view(torch.uint8),
                       t.view(-1).view(torch.uint8))  # fmt: skip
    wide = fmt.decode(enc)  # float32: the same numbers, infinities and NaNs
    assert torch.equal(torch.isnan(wide), torch.isnan(t.float()))
    finite_or_inf = ~torch.isnan(wide)
    assert torch.equal(wide[finite_or_inf], t.float()[finite_or_inf])


def test_every_format_is_covered() -> None:
    assert set(INT_FORMATS) | set(FLOAT_FORMATS) == set(FORMATS)
