"""Parse untrusted XML before SpiffWorkflow sees it.

BPMN and DMN never need a DOCTYPE, so any document that declares one is refused outright:
that stops entity-expansion bombs ("billion laughs") and external entities (XXE) before
a parser looks at them. The lxml parser is hardened as well (no entity resolution, no
network, no DTD loading, no huge trees) in case a declaration slips past the check.
"""

import re

from lxml import etree

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXml(ValueError):
    """The document is too large, declares a DOCTYPE or entities, or is not well-formed."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(content: bytes | str, max_bytes: int) -> etree._Element:
    """Parse ``content`` into an lxml element, refusing anything unsafe.

    :param content: the raw document.
    :param max_bytes: the largest document accepted.
    :raises UnsafeXml: with a message a process owner can act on.
    """
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > max_bytes:
        raise UnsafeXml(f"the file is {len(content):,} bytes; the limit is {max_bytes:,}")
    if _DOCTYPE.search(content):
        raise UnsafeXml("DOCTYPE and ENTITY declarations are not allowed in BPMN or DMN files")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as err:
        raise UnsafeXml(f"not well-formed XML: {err}") from None
    if root is None:
        raise UnsafeXml("the document is empty")
    # The byte scan cannot see a declaration in, say, UTF-16; the parsed tree can.
    if root.getroottree().docinfo.internalDTD is not None:
        raise UnsafeXml("DOCTYPE and ENTITY declarations are not allowed in BPMN or DMN files")
    return root
