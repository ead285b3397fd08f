"""Formats: bit-exact round trips, word placement in storage bits, clear errors."""

import pytest
import torch

from eden.errors import ConfigError
from eden.formats import FORMAT_NAMES, get_format


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_encode_of_decode_is_bit_exact(name: str) -> None:
    fmt = get_format(name)
    x = torch.randn(1001, generator=torch.Generator().manual_seed(1)) * 3
    enc = fmt.encode(x)
    again = fmt.encode(fmt.decode(enc), scale=enc.scale)
    assert torch.equal(enc.data, again.data)
    assert enc.n_bits == -(-1001 * fmt.bits // 8) * 8


@pytest.mark.parametrize("name", ["fp32", "fp16", "bf16"])
def test_float_words_are_the_ieee_bits(name: str) -> None:
    fmt = get_format(name)
    x = torch.tensor([1.0, -2.5, 0.0, 3.140625]).to(
        {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]
    )
    enc = fmt.encode(x)
    assert torch.equal(fmt.decode(enc, x.dtype), x)
    assert enc.data.data_ptr() != x.data_ptr()  # flips never reach the caller's tensor


@pytest.mark.parametrize(
    ("name", "lo", "hi"), [("int4", -8, 7), ("int8", -128, 127), ("int16", -32768, 32767)]
)
def test_integer_codes_are_symmetric_and_clamped(name: str, lo: int, hi: int) -> None:
    fmt = get_format(name)
    x = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0, 0.25])
    enc = fmt.encode(x)
    codes = fmt.codes(enc)
    assert codes.min() >= lo and codes.max() <= hi
    assert int(codes[-2]) == hi  # max |x| maps to the largest positive code
    assert enc.scale == pytest.approx(1.0 / hi)
    assert torch.allclose(fmt.decode(enc), x, atol=enc.scale / 2 + 1e-7)


def test_int4_packs_two_values_per_byte_low_nibble_first() -> None:
    fmt = get_format("int4")
    enc = fmt.encode(torch.tensor([1.0, -1.0, 7.0]), scale=1.0)
    assert enc.data.tolist() == [0x01 | (0xF << 4), 0x07]
    assert fmt.codes(enc).tolist() == [1, -1, 7]


def test_bit_k_of_word_w_is_storage_bit_w_times_bits_plus_k() -> None:
    fmt = get_format("int16")
    enc = fmt.encode(torch.tensor([0.0, 0.0]), scale=1.0)
    enc.data[(1 * 16 + 9) // 8] ^= 1 << ((1 * 16 + 9) % 8)  # flip bit 9 of word 1
    assert fmt.codes(enc).tolist() == [0, 1 << 9]


def test_unknown_format_names_the_field_and_choices() -> None:
    with pytest.raises(ConfigError, match=r"fmt='int7' is invalid; allowed: int4, int8, int16, fp32"):
        get_format("int7")


def test_all_zero_tensor_quantizes_without_nan() -> None:
    fmt = get_format("int8")
    enc = fmt.encode(torch.zeros(5))
    assert enc.scale == 1.0 and torch.equal(fmt.decode(enc), torch.zeros(5))
