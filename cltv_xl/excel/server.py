"""Set up an xlwings Server 1.x project (``xlwings-server`` on PyPI) to serve cltv-xl.

``xlwings-server init DIR`` creates the project; :func:`setup_project` then writes the four
files that make it serve cltv-xl (each is a file the server looks for in its project folder):

* ``custom_functions/__init__.py``: imports the worksheet functions of :mod:`cltv_xl.udfs`;
* ``custom_scripts/__init__.py``: imports the ``refresh_report_script`` of
  :mod:`cltv_xl.refresh`;
* ``static/js/ribbon.js``: connects the manifest's ribbon button ``cltv-refresh-report`` to
  that script with ``xlwings.runPython({scriptName, auth, ...})`` (the 1.x signature);
* ``templates/manifest.xml``: the add-in manifest, which the server renders at ``/manifest``
  with its own URL and add-in id.

Run the server with ``XLWINGS_PROJECT_DIR=DIR python -m uvicorn xlwings_server.main:main_app``
(or ``xlwings-server run`` inside DIR); tests/test_server.py does exactly this.
"""

from __future__ import annotations

from pathlib import Path

from .refresh import RIBBON_FUNCTION_NAME, SCRIPT_NAME

CUSTOM_FUNCTIONS = '''"""Worksheet functions of this xlwings Server: cltv-xl's."""

from cltv_xl.udfs import *  # noqa: F403
'''

CUSTOM_SCRIPTS = f'''"""Scripts of this xlwings Server: cltv-xl's "Refresh report"."""

from cltv_xl.refresh import {SCRIPT_NAME}  # noqa: F401
'''

RIBBON_JS = f"""// Ribbon buttons of the cltv-xl add-in (xlwings Server 1.x).
// The manifest's button <FunctionName>{RIBBON_FUNCTION_NAME}</FunctionName> runs the Python
// script "{SCRIPT_NAME}" on the workbook; @script(include=...) makes the client send only the
// sheets it reads.
async function cltvRefreshReport(event) {{
  const authResult =
    typeof globalThis.getAuth === "function"
      ? await globalThis.getAuth()
      : {{ token: "", provider: "" }};
  try {{
    await xlwings.runPython({{
      scriptName: "{SCRIPT_NAME}",
      auth: authResult.token,
      headers: {{ "Auth-Provider": authResult.provider }},
    }});
  }} finally {{
    event.completed();
  }}
}}
Office.actions.associate("{RIBBON_FUNCTION_NAME}", cltvRefreshReport);
"""


def manifest_template() -> Path:
    """The manifest template shipped with cltv-xl (``templates/manifest.xml``)."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package.parent / "templates", package / "templates"):
        if (folder / "manifest.xml").is_file():
            return folder / "manifest.xml"
    raise FileNotFoundError(f"manifest.xml was not found beside the package ({package})")


def project_files() -> dict[str, str]:
    """Relative path -> content of every file :func:`setup_project` writes."""
    return {
        "custom_functions/__init__.py": CUSTOM_FUNCTIONS,
        "custom_scripts/__init__.py": CUSTOM_SCRIPTS,
        "static/js/ribbon.js": RIBBON_JS,
        "templates/manifest.xml": manifest_template().read_text(encoding="utf-8"),
    }


def setup_project(project_dir: str | Path) -> list[Path]:
    """Write cltv-xl's files into an xlwings Server project folder; return their paths.

    The folder must be an xlwings Server project (``xlwings-server init DIR`` makes one). The
    two ``__init__.py`` files and ``static/js/ribbon.js`` replace the project's examples.
    """
    root = Path(project_dir)
    if not (root / "custom_functions").is_dir():
        raise FileNotFoundError(
            f"{root} is not an xlwings Server project (no custom_functions folder); "
            f"run 'xlwings-server init {root}' first"
        )
    written = []
    for relative, content in project_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
