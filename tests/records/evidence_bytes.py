"""Small real files for upload tests: what matters is their content, never their names."""
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import MINIMAL_PDF


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A 1×1 white PNG.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
    + _png_chunk(b"IEND", b"")
)
# The start of a JFIF JPEG: enough for content sniffing.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
TEXT = "这不是 PDF，只是改了扩展名的文本文件。\n".encode()


def upload(name: str = "培训证书.pdf", content: bytes = MINIMAL_PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)
