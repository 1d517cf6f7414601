#!/usr/bin/env bash
# Make sure LibreOffice (headless Calc) and pdftoppm are present: the report tests recalculate
# generated workbooks with a real spreadsheet engine. Installs them with apt-get when run as root.
set -euo pipefail
if command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing LibreOffice Calc (headless) and poppler-utils..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq libreoffice-calc-nogui poppler-utils >/dev/null
else
  echo "LibreOffice is missing. Install it first, e.g.:" >&2
  echo "  sudo apt-get install -y libreoffice-calc-nogui poppler-utils" >&2
  exit 1
fi
