"""Parse untrusted XML from WeChat and WeCom: no DOCTYPE, no entities, bounded size."""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.web.errors import UnsafeXML

MAX_XML_BYTES = 64 * 1024


def parse_xml(body: bytes | str, max_bytes: int = MAX_XML_BYTES) -> dict[str, str]:
    """Return the `<xml>` root's children as `{tag: text}`; raise `UnsafeXML` for anything else.

    Nested elements (for example `ScanCodeInfo`) are kept as their text, which callers ignore.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    if len(data) > max_bytes:
        raise UnsafeXML(f"XML body is larger than {max_bytes} bytes")
    if not data.strip():
        raise UnsafeXML("XML body is empty")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise UnsafeXML("XML with a DOCTYPE or entities is not accepted") from e
    except (ParseError, ValueError) as e:
        raise UnsafeXML("XML body is malformed") from e
    if root.tag != "xml":
        raise UnsafeXML(f"XML root must be <xml>, not <{root.tag}>")
    return {child.tag: (child.text or "").strip() for child in root}
