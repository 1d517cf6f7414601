#!/usr/bin/env bash
# Make sure a Java runtime is present: the Spark engine's tests run Spark in local mode
# (pyspark 4 needs Java 17 or later). Installs a headless JRE with apt-get when run as root.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing a Java runtime (headless) for the Spark tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq default-jre-headless >/dev/null
else
  echo "Java is missing. Install it first, e.g.:" >&2
  echo "  sudo apt-get install -y default-jre-headless" >&2
  exit 1
fi
