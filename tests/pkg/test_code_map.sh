#!/usr/bin/env bash
# README.md's code map names every source file (src/*.c, src/*.tsv) and names none that is
# gone, so a newcomer can find any file from it (issue 19 item 5).
source "$(dirname "$0")/lib.sh"

map=$(sed -n '/^## Code map/,/^## /p' "$ROOT/README.md")
[ -n "$map" ] || die "README.md has no '## Code map' section"

step "every src/*.c and src/*.tsv is in the code map"
missing=()
for f in "$ROOT"/src/*.c "$ROOT"/src/*.tsv; do
	rel=src/$(basename "$f")
	grep -qF "\`$rel\`" <<<"$map" || missing+=("$rel")
done
[ ${#missing[@]} -eq 0 ] || die "not in README.md's code map: ${missing[*]}"
ok "$(ls "$ROOT"/src/*.c "$ROOT"/src/*.tsv | wc -l) source files named"

step "every src/ file the code map names exists"
gone=()
for rel in $(grep -o '`src/[A-Za-z0-9_.]*`' <<<"$map" | tr -d '`' | sort -u); do
	[ -e "$ROOT/$rel" ] || gone+=("$rel")
done
[ ${#gone[@]} -eq 0 ] || die "README.md's code map names files that do not exist: ${gone[*]}"
ok "no stale names"
