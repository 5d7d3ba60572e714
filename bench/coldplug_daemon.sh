#!/bin/bash
# SPDX-License-Identifier: MIT
# The whole daemon's coldplug in a dry run on a simulated tree (written by
# bench/coldplug_tree.py): seconds from start until the last block's
# decision is logged, and from the "coldplug: N ... queued" line (the scan
# is done) until then; the daemon's CPU seconds (user + system) and peak
# RSS (VmHWM: memhotd locks its memory, so this is what it keeps locked)
# by then.  N = 0: the baseline, read once the "coldplug:" line is logged.
# Not a test; the host's load is printed.
#
#   bench/coldplug_daemon.sh MEMHOTD ROOT N
set -u
bin=$1 root=$2 n=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
last="memory$((47 + n)): would write"
[ "$n" -eq 0 ] && last="coldplug:"
t0=$(date +%s.%N)
"$bin" --dry-run --root "$root" --config "$root/memhotd.conf" 2>"$log" &
pid=$!
tq=""
while :; do
	[ -z "$tq" ] && grep -q "coldplug:" "$log" && tq=$(date +%s.%N)
	tail -c 4096 "$log" | grep -q "$last" && break
	kill -0 $pid 2>/dev/null || { echo "memhotd died:"; tail -3 "$log"; exit 1; }
	sleep 0.02
done
t1=$(date +%s.%N)
[ -z "$tq" ] && tq=$t1 # both lines seen in the same poll
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
# utime and stime: fields 14 and 15 of /proc/PID/stat (after the "(comm)")
cpu=$(sed 's/.*) //' /proc/$pid/stat | awk -v hz="$(getconf CLK_TCK)" \
	'{printf "%.2f", ($12 + $13) / hz}')
kill $pid
wait $pid 2>/dev/null
m=$(grep -c "online_movable (dry" "$log")
k=$(grep -c "online_kernel (dry" "$log")
echo "n=$n total_s=$(echo "$t1 - $t0" | bc) after_queueing_s=$(echo "$t1 - $tq" | bc)" \
	"cpu_s=$cpu hwm_kib=$hwm movable=$m kernel=$k load=$(cut -d' ' -f1 /proc/loadavg)"
