"""The text of a PDF's pages, for the report tests (pypdfium2, a pinned dev dependency)."""

from __future__ import annotations

import pypdfium2 as pdfium


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (table cells wrap onto several lines)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [
            " ".join(doc[i].get_textpage().get_text_range().split())
            for i in range(len(doc))
        ]
    finally:
        doc.close()


def pdf_text(pdf: bytes) -> str:
    """The whole document's text, pages joined by a space."""
    return " ".join(page_texts(pdf))
