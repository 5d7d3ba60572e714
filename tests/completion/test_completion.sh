#!/bin/bash
# Drives completion/memhotctl and completion/memhotd through bash-completion
# as an interactive shell would: COMP_WORDS/COMP_CWORD in, COMPREPLY out.
# usage: test_completion.sh MEMHOTCTL
set -u
ctl=$(realpath "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
. /usr/share/bash-completion/bash_completion
. "$here/completion/memhotctl"
. "$here/completion/memhotd"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
for n in 0 1 32; do mkdir -p "$root/sys/devices/system/memory/memory$n"; done
mkdir -p "$root/sys/devices/system/memory/power"

fails=0
# complete FUNC PROG "WANT" WORD...: completes the last word of PROG WORD...
# with the completion function FUNC and compares the sorted replies with WANT.
complete_as()
{
    local func=$1 prog=$2 want=$3
    shift 3
    COMP_WORDS=("$prog" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$func" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    local got
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
    got=${got% }
    if [[ $got != "$want" ]]; then
        echo "completion: FAIL ${prog##*/} $*: want '$want' got '$got'"
        fails=$((fails + 1))
    fi
}

# expect "WANT" WORD...: memhotctl
expect()
{
    complete_as _memhotctl "$ctl" "$@"
}

expect "blocks explain plan reload status" ""
expect "plan" pl
expect "--json" --j
expect "blocks explain plan reload status" --json ""
expect "blocks explain plan reload status" -t 5 ""
expect "blocks explain plan reload status" --add virtio0:1G ""
expect "blocks" -b bl
expect "RANGE REASON" -o R
expect "REASON" -o re
expect "+SIZE +STATE" -o +S
expect "NODE,ZONE" -o NODE,Z
expect "explain" --root "$root" ex
expect "0 1 32" --root "$root" explain ""
expect "32" --root "$root" explain 3
expect "memory0 memory1 memory32" --root "$root" explain m
expect "" --root "$root" status ""

# memhotd: its options, directories after --root.
expectd()
{
    complete_as _memhotd memhotd "$@"
}
expectd "--list-blocks" --li
expectd "--check-config --config" --c
expectd "$root/sys" --root "$root/s"

echo "completion: $fails failures"
[[ $fails -eq 0 ]]
