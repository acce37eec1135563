#!/bin/sh
# Checks the dynamic symbols libaws_s3.so defines: exactly the aws_s3_*
# exports of include/aws_s3.h. Anything else (the Go runtime's crosscall2,
# _cgo_*, x_cgo_*, fatalf, ...) could collide with the host's symbols and
# must stay local (goexport/exports.map).
set -eu
lib="$1"
[ -r "$lib" ] || { echo "no library: $lib"; exit 1; }
syms=$(nm -D --defined-only "$lib" | awk 'NF >= 3 {print $3}' | sort)
want=$(printf "%s\n" aws_s3_dump aws_s3_free aws_s3_init aws_s3_run aws_s3_set_log_at aws_s3_stop aws_s3_version | sort)
if [ "$syms" != "$want" ]; then
    echo "exports of $lib differ from include/aws_s3.h:"
    printf '%s\n' "$want" > "${TMPDIR:-/tmp}/exports.want.$$"
    printf '%s\n' "$syms" | diff "${TMPDIR:-/tmp}/exports.want.$$" - || true
    rm -f "${TMPDIR:-/tmp}/exports.want.$$"
    exit 1
fi
echo "exports ok: $(printf '%s\n' "$syms" | wc -l) symbols, all aws_s3_*"
