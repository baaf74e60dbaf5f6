"""Formatted text written by users: structure is kept, everything that could run is dropped."""

import nh3

# Structure only: no scripts, styles, event handlers, links to elsewhere or embedded resources.
RICH_TEXT_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "sub", "sup",
}  # fmt: skip


def sanitize_rich_text(html: str) -> str:
    """Clean formatted text with nh3 (services call this on save; templates again on output)."""
    return nh3.clean(html or "", tags=RICH_TEXT_TAGS, attributes={}, link_rel=None).strip()
