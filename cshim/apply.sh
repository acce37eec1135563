#!/bin/sh
# Applies the aws-s3 shim to a Wazuh source tree (5.x), the steps of
# docs/wazuh-integration.md:
#   cshim/wm_aws.c, cshim/wm_aws_json.c -> src/wazuh_modules/src/
#   cshim/wm_aws_json.h, cshim/wm_aws_shim.h -> src/wazuh_modules/include/
#   include/aws_s3.h -> src/wazuh_modules/aws_s3/include/
#   include_directories(${SRC_FOLDER}/wazuh_modules/aws_s3/include) in
#   src/wazuh_modules/CMakeLists.txt, before its first include_directories(
#
# Usage: cshim/apply.sh [--check] WAZUH_TREE
#   WAZUH_TREE  the directory holding src/ (a Wazuh checkout)
#   --check     change nothing; exit 1 and say what differs if the tree
#               does not hold exactly this project's shim (make modulesd-test
#               runs it on the tree it built, so this script, the document
#               and the tested daemon cannot drift apart)
# Idempotent. Then build Wazuh as usual and install build/libaws_s3.so
# (make lib) as <install>/lib/libaws_s3.so.
set -eu
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--check] WAZUH_TREE" >&2; exit 2; }
proj=$(cd "$(dirname "$0")/.." && pwd)
m=$1/src/wazuh_modules
[ -f "$m/CMakeLists.txt" ] && [ -d "$m/src" ] || { echo "$0: no Wazuh sources in $1 (no $m/CMakeLists.txt)" >&2; exit 2; }

status=0
place() { # place FILE DESTDIR
    if [ $check = 1 ]; then
        cmp -s "$proj/$1" "$m/$2/$(basename "$1")" || { echo "differs: $m/$2/$(basename "$1") (from $1)"; status=1; }
    else
        mkdir -p "$m/$2" && cp "$proj/$1" "$m/$2/"
    fi
}
place cshim/wm_aws.c src
place cshim/wm_aws_json.c src
place cshim/wm_aws_json.h include
place cshim/wm_aws_shim.h include
place include/aws_s3.h aws_s3/include

line='include_directories(${SRC_FOLDER}/wazuh_modules/aws_s3/include)'
if ! grep -qxF "$line" "$m/CMakeLists.txt"; then
    if [ $check = 1 ]; then
        echo "missing in $m/CMakeLists.txt: $line"; status=1
    else
        awk -v l="$line" '!d && /^include_directories\(/ {print l; d=1} {print} END {if (!d) exit 1}' \
            "$m/CMakeLists.txt" > "$m/CMakeLists.txt.new" || { echo "$0: no include_directories( in $m/CMakeLists.txt" >&2; exit 1; }
        mv "$m/CMakeLists.txt.new" "$m/CMakeLists.txt"
    fi
fi
# src/wazuh_modules/src/*.c is a glob in 5.x: wm_aws_json.c needs no entry.
if [ $check = 1 ] && [ $status = 0 ]; then echo "shim applied: $1"; fi
exit $status
