"""Small files of each kind for the attachment tests, made in memory (no fixtures on disk)."""

import io
import struct
import zipfile
import zlib


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b""))


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def gif() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def webp() -> bytes:
    return b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + b"\x00" * 14


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():  # a fixed date: the same entries give the same bytes
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 3, 10, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _content_types(main: str) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/word/document.xml" ContentType="' + main.encode() + b'"/></Types>')


def docx(main: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml") -> bytes:
    return _zip({"[Content_Types].xml": _content_types(main), "word/document.xml": b"<w:document/>"})


def xlsx() -> bytes:
    return _zip({"[Content_Types].xml": _content_types(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"), "xl/workbook.xml": b"<x/>"})


def odt() -> bytes:
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>"})


def plain_zip() -> bytes:
    return _zip({"photos/receipt.txt": b"not an office document"})


def text() -> bytes:
    return "I rang on 3 March and was charged twice. – Dana\n".encode()


def email() -> bytes:
    return (b"Received: from mail.example.com by mx.example.org; Tue, 3 Mar 2026 10:00:00 +0000\r\n"
            b"From: Dana Example <dana@example.com>\r\nTo: complaints@example.org\r\n"
            b"Subject: My bill\r\n  (continued)\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\n\r\n"
            b"Caf\xe9 bill attached.\r\n")


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100


def windows_exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"PE\x00\x00"


def script() -> bytes:
    return b"#!/bin/sh\nrm -rf ~\n"


def odt_with_macros() -> bytes:
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>",
                 "Basic/Standard/Module1.xml": b"<script:module/>"})
