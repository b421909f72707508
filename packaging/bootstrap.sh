#!/bin/bash
# Sets Lightbox up in .venv from a fresh clone: Qt's system libraries first (Debian and
# Ubuntu, only those missing), then the package itself, editable.
#   bash packaging/bootstrap.sh          # what the app needs
#   bash packaging/bootstrap.sh --test   # plus what the test suite needs (with the
#                                        # validators for the desktop entry and metainfo)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

# One line a step, so a first run (a minute or two: Qt is about 230 MB) never looks stuck.
step() {
    echo "==> $*"
}

extras=""
if [ "${1:-}" = "--test" ]; then
    extras="[test]"
fi

# Qt's libraries for the offscreen platform, then those a real X11/Wayland display needs.
SYSTEM_PACKAGES="libglib2.0-0 libegl1 libgl1 libx11-6 libxkbcommon0 libfontconfig1 libdbus-1-3
fonts-dejavu-core libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
libxcb-render-util0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0"
# The test suite also validates packaging/'s desktop entry and AppStream metainfo.
if [ -n "$extras" ]; then
    SYSTEM_PACKAGES="$SYSTEM_PACKAGES desktop-file-utils appstream"
fi

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    missing=""
    for package in $SYSTEM_PACKAGES; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
            missing="$missing $package"
        fi
    done
    if [ -n "$missing" ]; then
        step "Installing Qt's system libraries:$missing"
        if [ "$(id -u)" = 0 ]; then
            sudo=""
        elif command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            echo "Please install, as root: apt-get install$missing" >&2
            exit 1
        fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
    fi
else
    echo "Not a Debian-like system: make sure Qt 6's usual system libraries are installed." >&2
fi

if [ ! -x .venv/bin/python ]; then
    step "Creating the virtual environment .venv"
    python3 -m venv .venv
fi
step "Updating pip"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ -n "$extras" ]; then
    step "Installing Lightbox and what its tests need into .venv (pip's progress follows)"
else
    step "Installing Lightbox into .venv (pip's progress follows)"
fi
# pip says what it downloads and installs, one line each; the lines about packages already
# there are left out, so a second run stays short.
.venv/bin/python -m pip install --disable-pip-version-check --editable ".$extras" |
    { grep -v "^Requirement already satisfied" || true; }
.venv/bin/lightbox --version >/dev/null
step "Lightbox is ready in .venv ($(($(date +%s) - started)) s): run .venv/bin/lightbox"
