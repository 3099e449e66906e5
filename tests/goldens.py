"""Shared checks for generated files: golden-file comparison and SVG safety.

Set ``TINYMLPERF_REGEN_GOLDEN=1`` to rewrite the golden files from the current output instead
of comparing (then review the diff before committing).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from scorer.site.svg import safe_href

REGEN = os.environ.get("TINYMLPERF_REGEN_GOLDEN") == "1"
SVG = "{http://www.w3.org/2000/svg}"


def check_golden(path: Path, text: str) -> None:
    """``text`` equals the golden file at ``path`` byte for byte (or rewrites it under REGEN)."""
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.exists(), f"{path} is missing: run with TINYMLPERF_REGEN_GOLDEN=1"
    assert text.encode("utf-8") == path.read_bytes(), (
        f"{path.name} differs from its golden file; if intended, regenerate with "
        "TINYMLPERF_REGEN_GOLDEN=1 and review"
    )


def assert_safe_svg(svg: str) -> ET.Element:
    """Parses as XML; no script, event handlers, javascript: or external references."""
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert "<script" not in svg.lower() and "javascript:" not in svg.lower()
    for el in root.iter():
        assert el.tag.split("}")[-1] not in ("script", "foreignObject", "image", "use", "iframe")
        for attr, value in el.attrib.items():
            assert not attr.lower().startswith("on"), attr
            if attr == "aria-label":  # plain text for screen readers, never a reference
                continue
            assert "javascript:" not in value.lower()
            if attr in ("href", "{http://www.w3.org/1999/xlink}href"):
                assert el.tag == SVG + "a"
                assert safe_href(value) == value
            else:
                assert "://" not in value, (attr, value)
                assert not re.search(r"url\((?!#)", value), (attr, value)
    style = root.find(f".//{SVG}style")
    if style is not None:
        assert "@import" not in style.text and "url(" not in style.text
    return root
