"""HTML → PDF with WeasyPrint, for the featured issues' PDF.

The print stylesheet (static achievements/featured-print.css, the one the print page links)
is read from the app's static files; nothing else is fetched while rendering — no URL of the
document is followed, local or remote. CJK text is set in Noto CJK (Debian fonts-noto-cjk,
found through fontconfig); WeasyPrint needs Pango (Debian libpango-1.0-0, libpangoft2-1.0-0).
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

PRINT_STYLESHEET = "achievements/featured-print.css"

# WeasyPrint logs every rendering step at INFO; the project's logs keep its warnings only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _stylesheet_text() -> str:
    path = finders.find(PRINT_STYLESHEET)
    if path is None:  # pragma: no cover - a packaging error
        raise FileNotFoundError(PRINT_STYLESHEET)
    return Path(path).read_text(encoding="utf-8")


def _fetcher():
    from weasyprint.urls import URLFetcher

    # data: only (none are used today); every other URL — file:, http: … — is refused.
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html` (a page rendered for print, without its stylesheet link)."""
    # Imported here: loading Pango and fontconfig costs time no other page should pay.
    from weasyprint import CSS, HTML

    fetcher = _fetcher()
    stylesheet = CSS(string=_stylesheet_text(), url_fetcher=fetcher)
    document = HTML(string=html, base_url=settings.SITE_URL + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])
