"""Report optional system pieces that are missing. Prints advice; never fails the start."""

import shutil
import subprocess


def has_cjk_fonts() -> bool:
    if not shutil.which("fc-list"):
        return False
    result = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)  # noqa: S607 -- fontconfig's own tool
    return bool(result.stdout.strip())


def has_pango() -> bool:
    """WeasyPrint (the featured issues' PDF) needs Pango from the system."""
    import ctypes.util

    return ctypes.util.find_library("pango-1.0") is not None


def main() -> None:
    notes = []
    if not has_cjk_fonts():
        notes.append(
            "No Chinese fonts found (Debian: apt install fonts-noto-cjk). The site runs; PDFs and "
            "browser tests will show boxes instead of Chinese characters."
        )
    if not has_pango():
        notes.append(
            "Pango is missing (Debian: apt install libpango-1.0-0 libpangoft2-1.0-0): the site runs, but the "
            "featured issues' PDF cannot be made."
        )
    if not shutil.which("chromium"):
        notes.append("Debian chromium is not installed: the browser tests will be skipped (apt install chromium).")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
