#!/usr/bin/env bash
# Builds the images the tests and the examples use, with no registry: cube-test/busybox:latest is a root
# filesystem holding Debian's static busybox and its applets, imported with `docker import`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

image=cube-test/busybox:latest
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
# Debian's busybox-static: a static binary, so the image needs no libc.
dpkg -s busybox-static >/dev/null 2>&1 || apt_install busybox-static
busybox=/bin/busybox
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
say "docker import $image"
tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$image" >/dev/null
