"""A small HTML tree for reading console pages in tests: find elements by ``data-testid`` or
attributes, read their text as a person would see it (whitespace collapsed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)  # elements without an end tag (HTML §13.1.2)


@dataclass
class Node:
    """One element: its tag, attributes and children (elements and text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text, whitespace collapsed."""
        parts: list[str] = []
        self._texts(parts)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def _texts(self, out: list[str]) -> None:
        for child in self.children:
            if isinstance(child, str):
                out.append(child)
            else:
                child._texts(out)

    def walk(self) -> Iterator[Node]:
        """This element and every element inside it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def all(self, testid: str | None = None, tag: str | None = None, **attrs: str) -> list[Node]:
        """Elements inside (or this one) with this data-testid, tag and attributes
        (``data_x`` stands for ``data-x``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        if testid is not None:
            wanted["data-testid"] = testid
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag) and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, testid: str | None = None, tag: str | None = None, **attrs: str) -> Node:
        """The single element that matches; fails the test if there are none or several."""
        found = self.all(testid, tag, **attrs)
        assert len(found) == 1, f"{len(found)} elements match {testid} {tag} {attrs}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    """The document as a tree."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
