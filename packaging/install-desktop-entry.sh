#!/bin/sh
# Puts Lightbox in the desktop's application menu for the current user (no root needed):
# the desktop entry, the icon at every size and the AppStream metainfo, all under
# ${XDG_DATA_HOME:-~/.local/share}.
#   bash packaging/install-desktop-entry.sh               # run the `lightbox` found on PATH
#   bash packaging/install-desktop-entry.sh --exec PATH   # run this executable instead
#   bash packaging/install-desktop-entry.sh --uninstall   # remove exactly what it installed
# Running it again replaces the same files; menu and icon caches are refreshed when their
# tools (update-desktop-database, gtk-update-icon-cache) are installed.
set -eu

ID=io.github.lightbox.Lightbox
SIZES="16 24 32 48 64 128 256 512"

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

usage() {
    echo "usage: $0 [--exec PATH | --uninstall]" >&2
    exit 2
}

fail() {
    echo "install-desktop-entry: $*" >&2
    exit 1
}

action=install
exec_path=""
while [ $# -gt 0 ]; do
    case $1 in
        --exec)
            [ $# -ge 2 ] || usage
            exec_path=$2
            shift 2
            ;;
        --exec=*)
            exec_path=${1#--exec=}
            shift
            ;;
        --uninstall)
            action=uninstall
            shift
            ;;
        -h | --help)
            sed -n '2,9s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            usage
            ;;
    esac
done
if [ "$action" = uninstall ] && [ -n "$exec_path" ]; then
    usage
fi

# The XDG base directory spec: an empty or relative XDG_DATA_HOME is ignored.
data=${XDG_DATA_HOME:-}
case $data in
    /*) ;;
    *) data=$HOME/.local/share ;;
esac
apps=$data/applications
hicolor=$data/icons/hicolor
metainfo=$data/metainfo

# Removes a directory if it is empty, and then its parents up to (not including) $data.
prune() {
    dir=$1
    while [ "$dir" != "$data" ] && [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; do
        dir=$(dirname "$dir")
    done
}

# Refreshes the cache in $1 with the command that follows; when nothing but that cache is
# left in $1, removes the cache and the emptied folders instead.
refresh() {
    dir=$1
    cache=$2
    shift 2
    [ -d "$dir" ] || return 0
    if [ "$(ls -A "$dir")" = "$cache" ]; then
        rm -f "$dir/$cache"
        prune "$dir"
    elif command -v "$1" >/dev/null 2>&1; then
        "$@" >/dev/null 2>&1 || true
    fi
}

refresh_caches() {
    refresh "$apps" mimeinfo.cache update-desktop-database -q "$apps"
    refresh "$hicolor" icon-theme.cache gtk-update-icon-cache -q -f -t "$hicolor"
}

if [ "$action" = uninstall ]; then
    rm -f "$apps/$ID.desktop" "$metainfo/$ID.metainfo.xml" "$hicolor/scalable/apps/$ID.svg"
    prune "$apps"
    prune "$metainfo"
    prune "$hicolor/scalable/apps"
    for size in $SIZES; do
        rm -f "$hicolor/${size}x$size/apps/$ID.png"
        prune "$hicolor/${size}x$size/apps"
    done
    refresh_caches
    prune "$hicolor"
    echo "Removed Lightbox's desktop entry, icons and metainfo from $data"
    exit 0
fi

# The command the entry runs: an absolute path, so the menu finds it whatever its PATH is.
if [ -z "$exec_path" ]; then
    exec_path=$(command -v lightbox 2>/dev/null) ||
        fail "no lightbox command on PATH: install Lightbox first (pipx install .) or give --exec PATH"
fi
case $exec_path in
    /*) ;;
    *) exec_path=$(cd "$(dirname "$exec_path")" 2>/dev/null && pwd)/$(basename "$exec_path") ;;
esac
if [ ! -f "$exec_path" ] || [ ! -x "$exec_path" ]; then
    fail "$exec_path is not an executable file"
fi
case $exec_path in
    *\"* | *\`* | *\$* | *\\* | *%* | *"
"*)
        fail "$exec_path has characters a desktop entry cannot run; use --exec with a plainer path"
        ;;
esac
case $exec_path in
    *[!A-Za-z0-9/._+-]*) exec_quoted="\"$exec_path\"" ;;  # spaces and the like: quoted
    *) exec_quoted=$exec_path ;;
esac

# Everything must be there before anything is written.
need() {
    [ -f "$1" ] || fail "$1 is missing (the PNG icons: python packaging/render_icons.py)"
}
need "$here/$ID.desktop"
need "$here/$ID.metainfo.xml"
need "$root/resources/icons/lightbox.svg"
for size in $SIZES; do
    need "$root/resources/icons/png/lightbox-$size.png"
done

mkdir -p "$apps" "$metainfo" "$hicolor/scalable/apps"
entry=$(mktemp "$apps/.$ID.XXXXXX")
trap 'rm -f "$entry"' EXIT
EXEC=$exec_quoted TRY_EXEC=$exec_path awk '
    /^Exec=/ { print "Exec=" ENVIRON["EXEC"] " %F"; print "TryExec=" ENVIRON["TRY_EXEC"]; next }
    /^TryExec=/ { next }
    { print }
' "$here/$ID.desktop" >"$entry"
chmod 644 "$entry"
mv -f "$entry" "$apps/$ID.desktop"

install -m 644 "$here/$ID.metainfo.xml" "$metainfo/$ID.metainfo.xml"
install -m 644 "$root/resources/icons/lightbox.svg" "$hicolor/scalable/apps/$ID.svg"
for size in $SIZES; do
    mkdir -p "$hicolor/${size}x$size/apps"
    install -m 644 "$root/resources/icons/png/lightbox-$size.png" \
        "$hicolor/${size}x$size/apps/$ID.png"
done
refresh_caches

echo "Installed Lightbox's desktop entry, icons and metainfo into $data (Exec=$exec_quoted)"
