"""Bytes to canonical text for case files: a fixed decoding ladder, never a statistical guess.

The ladder: byte-order mark (UTF-8, UTF-16, UTF-32); refuse known binary formats by magic
number; strict UTF-8; UTF-16 without a BOM only when the byte pattern proves it; refuse NUL
bytes in 8-bit text; strict Windows-1252 (reported, so the reader can check special
characters). Statistical detectors misjudge short clinical text, so none is used.

The result is canonical: LF line ends (CRLF, CR, U+2028 and U+2029 become LF) and NFC.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from desktop.formats.errors import CaseFormatError

#: Magic numbers of binary files people rename to .txt, with a name for the error message.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "ELF executable"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"DICM", "DICOM file"),
    (b"\xd0\xcf\x11\xe0", "Microsoft Office document"),
)

#: Share of zero bytes in the high-byte position that proves BOM-less UTF-16 (ASCII-heavy text).
_UTF16_ZERO_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Canonical text and the encoding it was read as.

    Attributes:
        text: NFC text with LF line ends and no BOM.
        encoding: "utf-8", "utf-16-le", ... or "windows-1252".
        warning: A message for the import report when the reader should check the result.
    """

    text: str
    encoding: str
    warning: str | None = None


def decode_case_bytes(data: bytes) -> DecodedText:
    """Decodes a case file by the fixed ladder.

    Raises:
        CaseFormatError: for binary files, NUL bytes in 8-bit text, or undecodable bytes.
    """
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return DecodedText(_canonical(_strict(data[len(bom) :], encoding)), encoding)
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise CaseFormatError(f"binary file ({kind}), not a text case file")
    if b"\x00" not in data:
        try:
            return DecodedText(_canonical(data.decode("utf-8")), "utf-8")
        except UnicodeDecodeError:
            pass
    else:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise CaseFormatError("file contains NUL bytes (a binary file, or UTF-16 without BOM?)")
        return utf16
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise CaseFormatError(
            f"neither UTF-8 nor Windows-1252 (byte 0x{data[error.start]:02x} "
            f"at offset {error.start})"
        ) from None
    return DecodedText(
        _canonical(text),
        "windows-1252",
        "not UTF-8: decoded as Windows-1252 — check special characters",
    )


def canonical_text(text: str) -> str:
    """LF line ends, no BOM, NFC: the form every stored text and offset refers to."""
    return _canonical(text)


def _strict(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise CaseFormatError(f"invalid {encoding} at byte offset {error.start}") from None
    if "\x00" in text:
        raise CaseFormatError("file contains NUL characters")
    return text


def _utf16_without_bom(data: bytes) -> DecodedText | None:
    """Decodes BOM-less UTF-16 only if one byte of each pair is nearly always zero."""
    if len(data) < 4 or len(data) % 2:
        return None
    pairs = len(data) // 2
    zero_odd = data[1::2].count(0) / pairs
    zero_even = data[0::2].count(0) / pairs
    if zero_odd >= _UTF16_ZERO_SHARE and zero_even == 0:
        encoding = "utf-16-le"
    elif zero_even >= _UTF16_ZERO_SHARE and zero_odd == 0:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return DecodedText(_canonical(text), encoding, f"no byte-order mark: decoded as {encoding}")


def _canonical(text: str) -> str:
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return unicodedata.normalize("NFC", text)
