#!/usr/bin/env bash
# The fuzzing campaign outside CI (issue 14): every libFuzzer harness of
# fuzz/ run until it has used CPU_SECONDS of CPU time (not wall time: the
# campaign runs at nice 19 beside other work, and a harness that got little
# CPU would otherwise count for little), JOBS at a time, each from a copy
# of its committed corpus. Prints one line per harness: executions, the
# coverage libFuzzer reports (cov: edges, ft: features), the CPU seconds
# it used (a run stopped early shows fewer), the corpus it
# grew to and the crashes, leaks and timeouts found (each kept in
# build/fuzz/campaign/NAME/ as libFuzzer names them), then a total.
#
#   bench/fuzz_campaign.sh [CPU_SECONDS [JOBS [HARNESS...]]]
#
# Needs clang (make fuzz builds the harnesses). CI replays the corpora
# instead (make check: build/san/replay/*).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

CPU_SECONDS=${1:-600}
JOBS=${2:-2}
shift $(($# > 2 ? 2 : $#))
OUT=build/fuzz/campaign

make fuzz >/dev/null || { echo "fuzz_campaign: make fuzz failed" >&2; exit 1; }
mkdir -p "$OUT"

harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
	for f in build/fuzz/bin/fuzz_*; do harnesses+=("$(basename "$f")"); done
fi

# CPU seconds (user + system) a process has used, from /proc/PID/stat.
cpu_seconds() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -1; return; }
	rest=${stat##*) }
	read -r -a f <<<"$rest"
	echo $(((f[11] + f[12]) / $(getconf CLK_TCK)))
}

# One harness, to CPU_SECONDS; its summary line goes to $OUT/NAME.line.
run_one() {
	local name=$1 dir=$OUT/$1 corpus seeds pid used wall=0
	seeds=fuzz/corpus/${name#fuzz_}
	rm -rf "$dir" && mkdir -p "$dir/corpus"
	[[ -d $seeds ]] && cp -r "$seeds/." "$dir/corpus/"
	corpus=$(find "$dir/corpus" -type f | wc -l)
	(cd "$dir" && exec nice -n 19 "../../bin/$name" -print_final_stats=1 -max_total_time=86400 \
		-timeout=10 -rss_limit_mb=2048 corpus >log 2>&1) &
	pid=$!
	# The harness is the subshell's exec: pid is libFuzzer's own process.
	# Bounded: at most a day of wall time (max_total_time ends it too).
	while kill -0 "$pid" 2>/dev/null && ((wall < 86400)); do
		used=$(cpu_seconds "$pid")
		((used >= CPU_SECONDS)) && { kill -INT "$pid"; break; }
		sleep 5
		wall=$((wall + 5))
	done
	wait "$pid"
	local status=$? log=$dir/log execs cov ft grown found
	execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
	grown=$(find "$dir/corpus" -type f | wc -l)
	found=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' \) | wc -l)
	printf '%-22s cpu %4ss  execs %10s  cov %5s  ft %6s  corpus %4s -> %5s  found %s%s\n' \
		"$name" "${used:-0}" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$grown" "$found" \
		"$( ((status == 0 || status == 130 || status == 72)) || echo "  (exit $status: see $log)")" \
		>"$OUT/$name.line"
}

running=0
for name in "${harnesses[@]}"; do
	run_one "$name" &
	running=$((running + 1))
	if ((running >= JOBS)); then
		wait -n
		running=$((running - 1))
	fi
done
wait

total_execs=0 total_found=0
for name in "${harnesses[@]}"; do
	cat "$OUT/$name.line"
	read -r execs found < <(awk '{print $5, $NF}' "$OUT/$name.line")
	[[ $execs =~ ^[0-9]+$ ]] && total_execs=$((total_execs + execs))
	[[ $found =~ ^[0-9]+$ ]] && total_found=$((total_found + found))
done
echo "total: ${#harnesses[@]} harnesses, $CPU_SECONDS CPU-s each, $total_execs executions, $total_found found"
