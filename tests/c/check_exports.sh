#!/bin/sh
# Checks the dynamic symbols libaws_s3.so defines: the six aws_s3_* exports
# of include/aws_s3.h, and otherwise only the Go runtime's cgo internals.
set -eu
lib="$1"
syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
status=0
for want in aws_s3_init aws_s3_run aws_s3_stop aws_s3_version aws_s3_dump aws_s3_free; do
    if ! printf '%s\n' "$syms" | grep -qx "$want"; then
        echo "missing export: $want"
        status=1
    fi
done
extra=$(printf '%s\n' "$syms" | grep -Ev '^(aws_s3_(init|run|stop|version|dump|free)|_cgo_.*|_cgoexp_.*|x_cgo_.*|crosscall[0-9]*|x_crosscall2_ptr|fatalf)$' || true)
if [ -n "$extra" ]; then
    echo "unexpected exports:"
    printf '%s\n' "$extra"
    status=1
fi
[ $status -eq 0 ] && echo "exports ok: $(printf '%s\n' "$syms" | grep -c '^aws_s3_') aws_s3_* symbols"
exit $status
