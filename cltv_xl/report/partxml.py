"""Edit an XML part of the workbook package while it streams through defusedxml's SAX parser.

The offline writer changes a few things in parts openpyxl has saved: a table's ``ref``, a
sheet's ``<dimension>``, the cached values of the KPI formula cells, and the rows of a large
table's sheet (whose ``<sheetData>`` is split so that the generated rows can be streamed in
between). A DOM round trip (ElementTree) would rename namespace prefixes (``ns0:``) and break
``mc:Ignorable="x14ac xr xr2 xr3"``, which names prefixes, so Excel would refuse the part. So
the part is parsed with namespace processing off (:class:`PartEditor` receives every element
and attribute by the qualified name written in the part, ``xmlns`` declarations included) and
written back event by event with the same names; namespaces are resolved on the side, only to
recognise elements (:attr:`Element.uri`, :attr:`Element.local`). Text and attribute values are
escaped by the package's one escaper, :func:`cltv_xl.safety.xml_escape` (without the OOXML
``_xHHHH_`` rule: the text is already stored text). What is written means what was read:
an empty element may come back as ``<x/>``, and the XML declaration names UTF-8, the encoding
written.

The parser is defusedxml's expat reader with DTDs forbidden (OPC parts must not carry one,
ECMA-376 Part 2, 8.1.4), so entity expansion (billion laughs) and external entities are
refused: :func:`edit_part` raises :class:`~cltv_xl.errors.TemplateError`.

A subclass edits through four hooks: :meth:`PartEditor.start` (the attributes to write for a
start tag), :meth:`~PartEditor.capture` (collect a small element whole as an :class:`Element`)
and :meth:`~PartEditor.captured` (what to write in its place), and
:meth:`~PartEditor.before_end` (called before an end tag is written, e.g. to mark where
streamed content goes: :meth:`~PartEditor.mark`).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax import SAXException
from xml.sax.handler import ContentHandler, LexicalHandler, property_lexical_handler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from ..errors import TemplateError
from ..safety import xml_escape

#: SpreadsheetML's main namespace.
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XML_NS = "http://www.w3.org/XML/1998/namespace"


@dataclass
class Element:
    """A captured element: ``name`` and ``attrs`` exactly as written in the part (qualified
    names, declarations included, in document order); ``uri`` and ``local`` name it."""

    name: str
    uri: str | None
    local: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def child(self, local: str, uri: str | None = MAIN) -> Element | None:
        """The first child element ``{uri}local``, or None."""
        for c in self.children:
            if isinstance(c, Element) and c.local == local and c.uri == uri:
                return c
        return None

    def sibling_name(self, local: str) -> str:
        """The qualified name of ``local`` in this element's namespace, with its prefix."""
        prefix, sep, _ = self.name.rpartition(":")
        return f"{prefix}{sep}{local}"


def _attrs_xml(attrs: dict[str, str]) -> str:
    return "".join(f' {k}="{xml_escape(v, attr=True, ooxml=False)}"' for k, v in attrs.items())


def serialise(node: Element | str) -> str:
    """XML text of a captured element (or an escaped text node)."""
    if isinstance(node, str):
        return xml_escape(node, ooxml=False)
    head = f"<{node.name}{_attrs_xml(node.attrs)}"
    if not node.children:
        return head + "/>"
    return head + ">" + "".join(serialise(c) for c in node.children) + f"</{node.name}>"


class PartEditor(ContentHandler, LexicalHandler):
    """Writes the parsed part back to :attr:`out`, with the edits of a subclass's hooks."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self._scopes: list[dict[str, str]] = [{"xml": _XML_NS}]
        self._stack: list[tuple[str | None, str]] = []  # (uri, local) of the open elements
        self._pending = False  # a start tag written without its closing '>'
        self._held: list[Element] = []  # captured elements being collected, innermost last
        self._marks: list[int] = []

    # ------------------------------------------------------------------ hooks
    def start(self, uri: str | None, local: str, attrs: dict[str, str]) -> dict[str, str]:
        """The attributes to write for this start tag (default: as read)."""
        return attrs

    def capture(self, uri: str | None, local: str, attrs: dict[str, str]) -> bool:
        """Collect this element whole (default: no); keep captured elements small."""
        return False

    def captured(self, el: Element) -> Iterable[Element | str]:
        """What to write in place of a captured element (default: itself)."""
        return (el,)

    def before_end(self, uri: str | None, local: str) -> None:
        """Called before the end tag of an element outside any capture is written."""

    # ------------------------------------------------------------------ helpers
    def parent(self) -> tuple[str | None, str] | None:
        """(uri, local) of the element enclosing the current one."""
        return self._stack[-2] if len(self._stack) > 1 else None

    def mark(self) -> None:
        """Remember the current position of the output (see :meth:`pieces`)."""
        self._close_pending()
        self._marks.append(len(self.out))

    def pieces(self) -> list[str]:
        """The output cut at each :meth:`mark`: one more piece than marks."""
        bounds = [0, *self._marks, len(self.out)]
        return ["".join(self.out[a:b]) for a, b in itertools.pairwise(bounds)]

    def _close_pending(self) -> None:
        if self._pending:
            self.out.append(">")
            self._pending = False

    def _resolve(self, qname: str, scope: dict[str, str]) -> tuple[str | None, str]:
        prefix, sep, local = qname.rpartition(":")
        return scope.get(prefix if sep else ""), local

    # ------------------------------------------------------------------ SAX events
    def xml_decl(self, version: str, encoding: str | None, standalone: int) -> None:
        alone = {1: ' standalone="yes"', 0: ' standalone="no"'}.get(standalone, "")
        self.out.append(f'<?xml version="{version}" encoding="UTF-8"{alone}?>')

    def startElement(self, name: str, attrs) -> None:
        attrs = dict(attrs.items())
        scope = self._scopes[-1]
        declared = {k: v for k, v in attrs.items() if k == "xmlns" or k.startswith("xmlns:")}
        if declared:
            scope = dict(scope)
            for k, v in declared.items():
                scope[k[6:]] = v
        self._scopes.append(scope)
        uri, local = self._resolve(name, scope)
        self._stack.append((uri, local))
        if self._held or self.capture(uri, local, attrs):
            el = Element(name, uri, local, attrs)
            if self._held:
                self._held[-1].children.append(el)
            self._held.append(el)
            return
        attrs = self.start(uri, local, attrs)
        self._close_pending()
        self.out.append(f"<{name}{_attrs_xml(attrs)}")
        self._pending = True

    def endElement(self, name: str) -> None:
        uri, local = self._stack[-1]
        if self._held:
            el = self._held.pop()
            if not self._held:
                self._close_pending()
                self.out.extend(serialise(n) for n in self.captured(el))
        else:
            self.before_end(uri, local)
            if self._pending:
                self.out.append("/>")
                self._pending = False
            else:
                self.out.append(f"</{name}>")
        self._stack.pop()
        self._scopes.pop()

    def characters(self, content: str) -> None:
        if self._held:
            kids = self._held[-1].children
            if kids and isinstance(kids[-1], str):
                kids[-1] += content
            else:
                kids.append(content)
            return
        self._close_pending()
        self.out.append(xml_escape(content, ooxml=False))

    ignorableWhitespace = characters

    def processingInstruction(self, target: str, data: str) -> None:
        self._close_pending()
        self.out.append(f"<?{target} {data}?>" if data else f"<?{target}?>")

    def comment(self, content: str) -> None:
        if not self._held:  # a comment inside a captured element is dropped
            self._close_pending()
            self.out.append(f"<!--{content}-->")


class _Parser(DefusedExpatParser):
    """defusedxml's expat reader, with DTDs forbidden and the XML declaration reported."""

    def __init__(self) -> None:
        super().__init__(namespaceHandling=0, forbid_dtd=True, forbid_entities=True,
                         forbid_external=True)

    def reset(self) -> None:
        super().reset()
        handler = self.getContentHandler()
        if isinstance(handler, PartEditor):
            self._parser.XmlDeclHandler = handler.xml_decl


def edit_part(xml: bytes, editor: PartEditor, part: str = "part") -> PartEditor:
    """Run ``editor`` over ``xml`` (bytes of one package part); return it, its output filled.

    Raises :class:`TemplateError` naming ``part`` when the XML is not well formed or carries
    a DTD, an entity declaration or an external reference."""
    parser = _Parser()
    parser.setContentHandler(editor)
    parser.setProperty(property_lexical_handler, editor)
    try:
        parser.parse(io.BytesIO(xml))
    except (DefusedXmlException, SAXException) as exc:
        raise TemplateError(f"{part} of the template is not safe, well-formed XML: "
                            f"{type(exc).__name__}: {exc}") from exc
    return editor


def rewrite(xml: bytes, editor: PartEditor, part: str = "part") -> bytes:
    """``xml`` with the edits of ``editor`` applied, as UTF-8 bytes."""
    return "".join(edit_part(xml, editor, part).out).encode("utf-8")
