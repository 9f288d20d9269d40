#!/usr/bin/env bash
# One-time (idempotent) set-up on a fresh Debian 12 machine:
#   system packages (pango, harfbuzz-subset, poppler, fonts), the open CJK fonts copied into fonts/,
#   a virtualenv in .venv with reportgen installed, and the generated sample data in data/generated/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# chromium: the browser the preview's end-to-end tests drive (Playwright with Debian's chromium; nothing downloaded)
# postgresql: the server the tests start on a private socket (tickets aggregated in the database)
# openjdk-17-jre-headless: Java for the local Spark session of the tickets' test
# libreoffice-*-nogui: the tests open the .docx and .xlsx as a reader would (converted back headless to PDF and CSV);
# python3-uno: the .docx's 目录 gets its page numbers from LibreOffice's layout at build time (reportgen/render/office.py)
PKGS="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 poppler-utils fonts-noto-cjk fonts-arphic-ukai fonts-cwtex-fs chromium postgresql openjdk-17-jre-headless libreoffice-writer-nogui libreoffice-calc-nogui python3-uno"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "[setup] apt-get install$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# Fonts: FandolFang (仿宋) ships only inside texlive-lang-chinese; take the one file.
mkdir -p fonts
if [ ! -f fonts/FandolFang-Regular.otf ] || [ ! -f fonts/FandolSong-Regular.otf ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download texlive-lang-chinese >/dev/null 2>&1 || { $SUDO apt-get update -qq && apt-get download texlive-lang-chinese >/dev/null; })
  dpkg-deb --fsys-tarfile "$tmp"/texlive-lang-chinese_*.deb \
    | tar -x -C "$tmp" --wildcards "*/fandol/FandolFang-Regular.otf" "*/fandol/FandolSong-Regular.otf"
  cp "$(find "$tmp" -name FandolFang-Regular.otf | head -1)" "$(find "$tmp" -name FandolSong-Regular.otf | head -1)" fonts/
  rm -rf "$tmp"
fi
# cwTeX 仿宋 fills the few characters FandolFang lacks (e.g. 漷 of 漷县镇)
[ -f fonts/cwfs.ttf ] || cp /usr/share/fonts/truetype/cwtex/cwfs.ttf fonts/

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
# the tested versions (requirements.lock) as constraints; the extras: test, postgres and spark for the tests, dev for
# the checks of .ci/run (ruff, import-linter, mypy)
if ! .venv/bin/python -c "import reportgen, pytest, pypdf, pymupdf, playwright, starlette, ruamel.yaml, apscheduler, aiosmtpd, time_machine, psycopg, pyspark, importlinter, mypy, docx" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.installed ] || [ requirements.lock -nt .venv/.installed ]; then
  .venv/bin/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test,postgres,spark,dev]'
  touch .venv/.installed
fi

# Noto CJK come as collections (.ttc); extract the Simplified-Chinese faces as single fonts.
.venv/bin/python scripts/extract_fonts.py fonts

# Sample data (deterministic): python -m data.sample (data/sample/: one module per generator, their invented
# values in data/sample/weights/*.yaml).  Each is rerun when its output is missing or anything in data/sample/
# (code or weights) is newer than it, and the records when a target or config file is.
newer_sample() { [ -n "$(find data/sample -newer "$1" \( -name '*.py' -o -name '*.yaml' \) 2>/dev/null)" ]; }
if [ ! -f data/generated/records-2023.parquet ] || newer_sample data/generated/records-2023.parquet \
   || [ -n "$(find data/targets config -newer data/generated/records-2023.parquet -name '*.yaml' 2>/dev/null)" ]; then
  .venv/bin/python -m data.sample records --out data/generated
fi
if [ ! -f data/generated/assessment/units-2023-09K.parquet ] || newer_sample data/generated/assessment/units-2023-09K.parquet; then
  .venv/bin/python -m data.sample assessment
fi
# The 2020 接诉即办 work report's records (2020, 2019) and ranking table.
if [ ! -f data/generated/records-2020.parquet ] || newer_sample data/generated/records-2020.parquet \
   || [ -n "$(find data/targets/work-2020.yaml config/beijing -newer data/generated/records-2020.parquet -name '*.yaml' 2>/dev/null)" ]; then
  .venv/bin/python -m data.sample work --out data/generated
fi
echo "[setup] ok"
