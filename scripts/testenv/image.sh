#!/usr/bin/env bash
# Build the fixture image (busybox-static + e2e/fixtures/service.sh) with `docker import`: no registry,
# no network, no Dockerfile base image needed.
#
#   image.sh <docker-host> <tag> [KEY=VALUE label ...]
#
# Prints the tag. Skips the import when an image with this tag already carries the same content
# digest and labels, so re-running up.sh costs nothing.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || die "usage: image.sh <docker-host> <tag> [KEY=VALUE ...]"
host="$1"
tag="$2"
shift 2
labels=("$@")

fixtures="$REPO_ROOT/e2e/fixtures"
bb="$(busybox_path)" || die "busybox not found (install busybox-static)"
busybox_is_static || die "$bb is dynamically linked; the fixture image needs busybox-static"

# Content digest: anything that changes the image's files or labels changes this.
digest="$(
  {
    sha256sum "$bb" "$fixtures/service.sh"
    find "$fixtures/rootfs" -type f -print0 | sort -z | xargs -0 sha256sum
    printf '%s\n' "${labels[@]}"
  } | sed "s#$fixtures##" | sha256sum | cut -c1-16
)"

current="$(dk "$host" image inspect --format '{{index .Config.Labels "stackdeck.fixture.digest"}}' "$tag" 2>/dev/null || true)"
if [ "$current" = "$digest" ]; then
  echo "$tag"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sdfix-XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,tmp,config,fixture,proc,sys,dev,root,etc}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
# Symlinks for every applet at its canonical path (sh, nc, sleep, date, md5sum, timeout, ...).
while IFS= read -r applet; do
  [ -n "$applet" ] && [ "$applet" != bin/busybox ] || continue
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done < <("$bb" --list-full)
[ -e "$root/bin/sh" ] || ln -s /bin/busybox "$root/bin/sh"
cp -R "$fixtures/rootfs/." "$root/"
install -m 0755 "$fixtures/service.sh" "$root/fixture/service.sh"

tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/rootfs.tar" .

changes=(
  --change 'CMD ["/bin/sh","/fixture/service.sh"]'
  --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin'
  --change 'WORKDIR /'
  --change "LABEL stackdeck.fixture.digest=$digest"
)
for l in "${labels[@]}"; do
  changes+=(--change "LABEL $l")
done

log "importing fixture image $tag"
dk "$host" import "${changes[@]}" "$work/rootfs.tar" "$tag" >/dev/null || die "docker import of $tag failed"
echo "$tag"
