"""A definition bundle (BPMN, DMN, forms) as one zip file, and back: what a process owner
downloads to edit elsewhere and uploads again."""

import io
import zipfile
from pathlib import PurePosixPath

from ..engine.definitions import SUFFIXES
from ..exceptions import BadRequest, PayloadTooLarge

MAX_FILES = 200


def to_zip(files: dict[str, str]) -> bytes:
    """The bundle's files under their bundle names (``forms/`` kept), sorted."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), files[name])
    return buffer.getvalue()


def download(definition) -> tuple[bytes, str]:
    """A deployed version's bundle as zip bytes, and the file name to save it under."""
    return to_zip(definition.files), f"{definition.key}-v{definition.version}.zip"


def from_zip(raw: bytes, max_bytes: int) -> dict[str, str]:
    """The ``.bpmn``, ``.dmn`` and ``.json`` files of a zip, each at most ``max_bytes``.
    A single top folder (as a zip of a folder has) is dropped from the names; other
    files are ignored.

    :raises BadRequest: not a zip, a name that climbs out (``..``), not UTF-8, or no BPMN.
    :raises PayloadTooLarge: a file over ``max_bytes`` or more than :data:`MAX_FILES` files.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise BadRequest("the upload is not a zip file") from None
    entries = [info for info in archive.infolist() if not info.is_dir()
               and PurePosixPath(info.filename).suffix in SUFFIXES and not info.filename.startswith("__MACOSX/")]
    if len(entries) > MAX_FILES:
        raise PayloadTooLarge(f"the zip holds {len(entries)} files; the limit is {MAX_FILES}")
    files: dict[str, str] = {}
    for info in entries:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts:
            raise BadRequest(f"{info.filename}: a file name in the zip may not leave the bundle")
        if info.file_size > max_bytes:
            raise PayloadTooLarge(f"{info.filename} is larger than {max_bytes:,} bytes")
        with archive.open(info) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise PayloadTooLarge(f"{info.filename} is larger than {max_bytes:,} bytes")
        try:
            files[path.as_posix()] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"{info.filename} is not UTF-8 text") from None
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files) and not next(iter(tops)).endswith(SUFFIXES):
        top = next(iter(tops))
        files = {name[len(top) + 1:]: text for name, text in files.items()}
    if not any(name.endswith(".bpmn") for name in files):
        raise BadRequest("the zip holds no .bpmn file")
    return files


def from_upload(upload, body: bytes, max_bytes: int) -> dict[str, str]:
    """The bundle of an uploaded zip: a multipart file (``upload``), else the request ``body``.

    :raises PayloadTooLarge: a zip over four times ``max_bytes``; see :func:`from_zip`.
    """
    cap = max_bytes * 4
    raw = upload.read(cap + 1) if upload is not None else body
    if len(raw) > cap:
        raise PayloadTooLarge(f"the zip is larger than {cap:,} bytes")
    return from_zip(raw, max_bytes)
