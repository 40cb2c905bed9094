"""Parse untrusted XML from WeChat and WeCom: UTF-8 only, no DOCTYPE, no entities, bounded size."""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.web.errors import UnsafeXML

MAX_XML_BYTES = 64 * 1024
_DECLARED = re.compile(rb"\A\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_UTF8 = {b"utf-8", b"utf8"}


def parse_xml(body: bytes | str, max_bytes: int = MAX_XML_BYTES) -> dict[str, str]:
    """Return the `<xml>` root's children as `{tag: text}`; raise `UnsafeXML` for anything else.

    Nested elements (for example `ScanCodeInfo`) are kept as their text, which callers ignore.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    if len(data) > max_bytes:
        raise UnsafeXML(f"XML body is larger than {max_bytes} bytes")
    if not data.strip():
        raise UnsafeXML("XML body is empty")
    declared = _DECLARED.match(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        declared and declared.group(1).lower() not in _UTF8
    ):
        raise UnsafeXML("XML must be UTF-8")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise UnsafeXML("XML with a DOCTYPE or entities is not accepted") from e
    except (ParseError, ValueError, LookupError) as e:
        raise UnsafeXML("XML body is malformed") from e
    if root.tag != "xml":
        raise UnsafeXML(f"XML root must be <xml>, not <{root.tag}>")
    return {child.tag: (child.text or "").strip() for child in root}
