"""Report optional system pieces that are missing. Prints advice; never fails the start."""

import shutil
import subprocess


def has_cjk_fonts() -> bool:
    if not shutil.which("fc-list"):
        return False
    result = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)  # noqa: S607 -- fontconfig's own tool
    return bool(result.stdout.strip())


def main() -> None:
    notes = []
    if not has_cjk_fonts():
        notes.append(
            "No Chinese fonts found (Debian: apt install fonts-noto-cjk). The site runs; PDFs and "
            "browser tests will show boxes instead of Chinese characters."
        )
    if not shutil.which("chromium"):
        notes.append("Debian chromium is not installed: the browser tests will be skipped (apt install chromium).")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
