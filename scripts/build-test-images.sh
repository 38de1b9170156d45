#!/usr/bin/env bash
# Builds the images the tests and the examples use, with no registry: cube-test/busybox:latest is a root
# filesystem holding Debian's static busybox and its applets, and peer-echo (test/images/peer-echo.c, built static:
# TCP and UDP that tell a caller its address), imported with `docker import`. The image's cube-test.tools label says
# which of these it has: an older image is built again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

image=cube-test/busybox:latest
tools=5
if [ "$(docker image inspect -f '{{index .Config.Labels "cube-test.tools"}}' "$image" 2>/dev/null || true)" = "$tools" ]; then exit 0; fi
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
command -v gcc >/dev/null || apt_install gcc libc6-dev
# (gcc warns that a static getaddrinfo needs glibc's NSS at run time: since glibc 2.34 its DNS and files are built in.)
gcc -static -O2 -o "$root/bin/peer-echo" test/images/peer-echo.c 2>"$root/gcc.log" || { cat "$root/gcc.log" >&2; die "cannot build peer-echo"; }
rm "$root/gcc.log"
chmod 1777 "$root/tmp"
say "docker import $image"
tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' -c "LABEL cube-test.tools=$tools" - "$image" >/dev/null
