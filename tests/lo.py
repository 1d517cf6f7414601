"""LibreOffice headless helpers for the tests (and for rendering the docs screenshots).

Each call uses its own profile folder, whose ``registrymodifications.xcu`` sets Calc's
``OOXMLRecalcMode`` and ``ODFRecalcMode`` to 0 ("always recalculate on load"), so the values
read back are LibreOffice's own, never the cached ones. A unique profile also lets tests run in
parallel under pytest-xdist.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """Path of the ``soffice`` binary; a clear failure (not a skip) when it is missing."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise RuntimeError(
            "LibreOffice (soffice) is not installed: these tests need a real spreadsheet engine. "
            "Install it with `bash scripts/ensure-libreoffice.sh` (apt-get install -y "
            "libreoffice-calc-nogui)."
        )
    return exe


def convert(path: Path, fmt: str, outdir: Path, timeout: float = 180) -> Path:
    """Convert ``path`` with LibreOffice (recalculating on load) to ``fmt`` in ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(RECALC_XCU)
        cmd = [
            soffice(), "--headless", "--norestore", "--nologo",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--convert-to", fmt, "--outdir", str(outdir), str(path),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    out = outdir / (path.stem + "." + fmt.split(":")[0])
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"LibreOffice failed on {path.name}: {done.stdout} {done.stderr}")
    return out


def recalculate(path: Path, outdir: Path) -> Path:
    """Recalculate an .xlsx with LibreOffice and save it as .xlsx in ``outdir``."""
    return convert(path, "xlsx", outdir)


def render_png(path: Path, outdir: Path, dpi: int = 80, first_page_only: bool = True) -> Path:
    """Render a workbook to PNG (LibreOffice to PDF, then ``pdftoppm``); return page 1."""
    pdf = convert(path, "pdf", outdir)
    args = ["pdftoppm", "-png", "-r", str(dpi)]
    if first_page_only:
        args += ["-f", "1", "-l", "1"]
    subprocess.run([*args, str(pdf), str(outdir / path.stem)], check=True, timeout=120)
    pages = sorted(outdir.glob(f"{path.stem}*.png"))
    return pages[0]
