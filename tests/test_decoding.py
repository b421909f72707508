"""The decoding ladder: BOMs, strict UTF-8, proven UTF-16, Windows-1252; binaries refused."""

from __future__ import annotations

import codecs

import pytest

from desktop.formats.decoding import decode_case_bytes
from desktop.formats.errors import CaseFormatError

TEXT = "Café lesion – 5 mm × 3 mm, 37 °C ± 0.5\nSecond line"


def test_plain_utf8() -> None:
    decoded = decode_case_bytes(TEXT.encode("utf-8"))
    assert (decoded.text, decoded.encoding, decoded.warning) == (TEXT, "utf-8", None)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
    ],
)
def test_byte_order_marks(bom: bytes, codec: str) -> None:
    decoded = decode_case_bytes(bom + TEXT.encode(codec))
    assert decoded.text == TEXT
    assert "\ufeff" not in decoded.text
    assert decoded.encoding == codec


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded_when_the_pattern_proves_it(codec: str) -> None:
    decoded = decode_case_bytes(TEXT.encode(codec))
    assert decoded.text == TEXT
    assert decoded.encoding == codec
    assert decoded.warning is not None


def test_windows_1252_is_the_last_rung_and_says_so() -> None:
    decoded = decode_case_bytes("“Café” – 37 °C ± 0.5 µm".encode("cp1252"))
    assert decoded.text == "“Café” – 37 °C ± 0.5 µm"
    assert decoded.encoding == "windows-1252"
    assert decoded.warning is not None
    assert "Windows-1252" in decoded.warning


def test_short_latin_text_is_not_taken_for_another_script() -> None:
    # Statistical detectors have called this Urdu; the ladder reads it as Windows-1252.
    assert decode_case_bytes("Café lesion".encode("cp1252")).text == "Café lesion"


def test_undecodable_bytes_are_refused() -> None:
    with pytest.raises(CaseFormatError, match="neither UTF-8 nor Windows-1252"):
        decode_case_bytes(b"Findings \x81\x8d\x90")


def test_nul_bytes_in_8_bit_text_are_refused() -> None:
    with pytest.raises(CaseFormatError, match="NUL"):
        decode_case_bytes(b"Findings\x00: a lesion")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"%PDF-1.7\n", "PDF"),
        (b"PK\x03\x04rest", "ZIP"),
        (b"\x7fELF\x02\x01", "ELF"),
        (b"\xff\xd8\xff\xe0", "JPEG"),
    ],
)
def test_binary_files_are_refused_by_magic_number(data: bytes, kind: str) -> None:
    with pytest.raises(CaseFormatError, match=kind):
        decode_case_bytes(data)


def test_line_ends_and_normal_form() -> None:
    decoded = decode_case_bytes("a\r\nb\rc\u2028d\u2029e\nCafe\u0301\u00a0x".encode())
    assert decoded.text == "a\nb\nc\nd\ne\nCafé\u00a0x"
