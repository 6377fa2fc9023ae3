"""What an uploaded file is, judged by its content (never its name), against the evidence allow-list.

Magic numbers come from the ``filetype`` package. Our own checks cover what magic numbers
cannot tell: which zip archives are office documents (the ODF ``mimetype`` entry, or the
OOXML ``[Content_Types].xml`` main part), plain text (UTF-8, no NUL), an email (RFC 822
headers), and executables that would pass for text or that ``filetype`` misses.
"""

import io
import re
import zipfile
from dataclasses import dataclass

import filetype

from ..xml_safety import UnsafeXml, parse_xml


@dataclass(frozen=True)
class Kind:
    """An accepted type: the MIME type we serve it as, what to call it, and its file extensions."""

    mime: str
    label: str
    extensions: tuple[str, ...]


class Refused(ValueError):
    """The content is not a type we accept; the message says what it is, for the uploader."""


PNG = Kind("image/png", "PNG image", ("png",))
JPEG = Kind("image/jpeg", "JPEG image", ("jpg", "jpeg"))
GIF = Kind("image/gif", "GIF image", ("gif",))
WEBP = Kind("image/webp", "WebP image", ("webp",))
PDF = Kind("application/pdf", "PDF document", ("pdf",))
_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = Kind(_OOXML + "wordprocessingml.document", "Word document", ("docx",))
XLSX = Kind(_OOXML + "spreadsheetml.sheet", "Excel workbook", ("xlsx",))
PPTX = Kind(_OOXML + "presentationml.presentation", "PowerPoint presentation", ("pptx",))
_ODF = "application/vnd.oasis.opendocument."
ODT = Kind(_ODF + "text", "OpenDocument text", ("odt",))
ODS = Kind(_ODF + "spreadsheet", "OpenDocument spreadsheet", ("ods",))
ODP = Kind(_ODF + "presentation", "OpenDocument presentation", ("odp",))
TEXT = Kind("text/plain", "plain text", ("txt",))  # served with charset=utf-8
EMAIL = Kind("message/rfc822", "email", ("eml",))
ACCEPTED = (PNG, JPEG, GIF, WEBP, PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TEXT, EMAIL)
WHAT_WE_ACCEPT = "images (PNG, JPEG, GIF, WebP), PDF, office documents (docx, xlsx, pptx, odt, ods, odp), " \
                 "plain text and emails (.eml)"

_BY_MAGIC = {"image/png": PNG, "image/apng": PNG, "image/jpeg": JPEG, "image/gif": GIF, "image/webp": WEBP,
             "application/pdf": PDF}
# The main part of an OOXML package, as its [Content_Types].xml names it.
_OOXML_MAIN = {
    _OOXML + "wordprocessingml.document.main+xml": DOCX,
    _OOXML + "spreadsheetml.sheet.main+xml": XLSX,
    _OOXML + "presentationml.presentation.main+xml": PPTX,
}
_ODF_TYPES = {kind.mime: kind for kind in (ODT, ODS, ODP)}
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MACRO_FOLDERS = ("Basic/", "Scripts/")  # where ODF keeps macros (OOXML: a vbaProject.bin part)
_MAX_MANIFEST = 1024 * 1024  # [Content_Types].xml is a few kB; never inflate more than this
# Executables by their first bytes: ELF, Windows PE ("MZ"), Mach-O (both byte orders, and
# fat binaries, which share CAFEBABE with Java classes). Scripts (#!) are refused before.
_PROGRAMS = ((b"\x7fELF", "an ELF executable"), (b"MZ", "a Windows program (MZ)"),
             (b"\xfe\xed\xfa\xce", "a macOS program"), (b"\xfe\xed\xfa\xcf", "a macOS program"),
             (b"\xce\xfa\xed\xfe", "a macOS program"), (b"\xcf\xfa\xed\xfe", "a macOS program"),
             (b"\xca\xfe\xba\xbe", "a macOS or Java program"))
_HEADER = re.compile(rb"([!-9;-~]+):[ \t]*[^\r\n]*")
_EMAIL_HEADERS = {b"from", b"to", b"subject", b"date", b"message-id", b"received", b"mime-version"}


def detect(data: bytes) -> Kind:
    """The accepted type of ``data``.

    :raises Refused: for an empty file, a program, and anything outside the allow-list,
        naming what the content is when we can tell.
    """
    if not data:
        raise Refused("the file is empty")
    if data.startswith(b"#!"):
        raise Refused("the file is a script (it starts with #!), whatever its name says")
    if data.startswith(b"PK\x03\x04"):
        return _office_document(data)
    guessed = filetype.guess(data)
    if guessed is not None and guessed.mime in _BY_MAGIC:
        return _BY_MAGIC[guessed.mime]
    if b"\x00" not in data:
        # An email's body may be 8-bit in any charset; its headers are ASCII.
        if _is_email(data):
            return EMAIL
        if _is_utf8(data):  # before the programs: two-byte magic numbers ("MZ", "BM") also start text
            return TEXT
    for magic, what in _PROGRAMS:
        if data.startswith(magic):
            raise Refused(f"the file is {what}, whatever its name says")
    if guessed is not None:
        raise Refused(f"the file is a {guessed.extension} file ({guessed.mime}), which we do not accept")
    raise Refused("the file is binary data of a kind we do not accept")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _office_document(data: bytes) -> Kind:
    """A zip archive is accepted only as an ODF or OOXML document, and not with macros."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if any(name.startswith(_MACRO_FOLDERS) or name.endswith("vbaProject.bin") for name in names):
            raise Refused("the file is an office document with macros; save it without macros")
        if "mimetype" in names:
            mimetype = _small_entry(archive, "mimetype", 200).decode("ascii", "replace").strip()
            if mimetype in _ODF_TYPES:
                return _ODF_TYPES[mimetype]
            raise Refused(f"the file is an OpenDocument of type {mimetype!r}, which we do not accept")
        if "[Content_Types].xml" in names:
            return _ooxml_kind(_small_entry(archive, "[Content_Types].xml", _MAX_MANIFEST))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError):
        raise Refused("the file is a damaged or unreadable zip archive") from None
    raise Refused("the file is a zip archive, not an office document; send the documents in it one by one")


def _small_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    if archive.getinfo(name).file_size > limit:
        raise Refused(f"the file's {name} is implausibly large for an office document")
    return archive.read(name)[:limit]


def _ooxml_kind(manifest: bytes) -> Kind:
    try:
        root = parse_xml(manifest, _MAX_MANIFEST)
    except UnsafeXml:
        raise Refused("the file looks like an office document, but its [Content_Types].xml is not valid") from None
    types = {element.get("ContentType", "") for element in root.iter(f"{_CONTENT_TYPES_NS}Override",
                                                                     f"{_CONTENT_TYPES_NS}Default")}
    if any("macroEnabled" in t or "vbaProject" in t for t in types):
        raise Refused("the file is an office document with macros; save it without macros (docx, xlsx, pptx)")
    for content_type, kind in _OOXML_MAIN.items():
        if content_type in types:
            return kind
    raise Refused("the file is an office package of a kind we do not accept (such as a template)")


def _is_email(data: bytes) -> bool:
    """RFC 822 headers first: ``Name: value`` lines (and folded continuations) up to a blank
    line, with a From header and another header that emails carry."""
    head, blank, _body = data.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.split(b"\n")
    names: set[bytes] = set()
    for line in lines:
        if line[:1] in (b" ", b"\t") and names:
            continue
        match = _HEADER.fullmatch(line)
        if match is None:
            return False
        names.add(match.group(1).lower())
    return (bool(blank) or len(lines) > 2) and b"from" in names and len(names & _EMAIL_HEADERS) >= 2


def download_name(filename: str, kind: Kind) -> str:
    """``filename`` with an extension that matches its content, so that opening a download
    never runs it as something else (``notes.html`` holding text becomes ``notes.html.txt``)."""
    stem, dot, extension = filename.rpartition(".")
    if dot and stem and extension.lower() in kind.extensions:
        return filename
    return f"{filename}.{kind.extensions[0]}"
