#!/usr/bin/env bash
# Two builds of winrmd side by side, to tell a regression from noise: each
# round runs bench/http_bench.sh and bench/winrs_bench.sh against build A,
# then B (the order alternates between rounds, so a drift of the machine
# weighs on both), and takes B/A of every figure within the round. Prints
# each round's ratios, then their spread (min, median, max): a change
# within that spread is noise. Run as root from the repository root, with
# both builds made (`make`, or `make BUILD=DIR`):
#   bench/compare_builds.sh BUILD_A BUILD_B [rounds] [http_seconds] [winrs_runs] [winrs_bytes]
# Defaults: 5 rounds, 10 s per wrk phase, 20 latency runs, 1000000000 bytes.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
rounds=${3:-5}
secs=${4:-10}
runs=${5:-20}
bytes=${6:-1000000000}
root=$(cd "$(dirname "$0")/.." && pwd)
for d in "$a" "$b"; do
	[ -x "$d/winrmd" ] && [ -x "$d/winrs" ] || { echo "no winrmd or winrs in $d" >&2; exit 2; }
done
results=$(mktemp)
trap 'rm -f "$results"' EXIT

# One build's figures, as "name value" lines.
figures() {
	WINRMD=$1/winrmd "$root/bench/http_bench.sh" "$secs" | awk '
		/nginx static 200/ {print "nginx_rps", $4}
		/winrmd Identify:/ {print "identify_rps", $3}
		/Identify \+ Basic/ {print "basic_rps", $5}'
	WINRMD=$1/winrmd WINRS=$1/winrs "$root/bench/winrs_bench.sh" "$runs" "$bytes" | awk '
		/^winrs true/ {print "winrs_true_ms", $(NF-1)}
		/^ssh true/ {print "ssh_true_ms", $(NF-1)}
		/^winrs stdout/ {print "winrs_mbps", $5}
		/^ssh stdout/ {print "ssh_mbps", $5}'
}

for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then order="a b"; else order="b a"; fi
	for w in $order; do
		if [ "$w" = a ]; then dir=$a; else dir=$b; fi
		figures "$dir" | sed "s/^/$r $w /" >> "$results"
	done
done

# Per round: each build against its peer in the same run, and B/A.
awk '
	{ v[$1, $2, $3] = $4; if ($1 > n) n = $1 }
	function ratio(x, y) { return y > 0 ? x / y : 0 }
	END {
		printf "%-5s %-22s %-22s %-16s %-16s %-16s %-16s\n", "round", "Identify/nginx A  B",
		       "winrs/ssh true A  B", "B/A Identify", "B/A Basic", "B/A winrs true", "B/A winrs MB/s"
		for (r = 1; r <= n; r++) {
			ia = ratio(v[r, "a", "identify_rps"], v[r, "a", "nginx_rps"])
			ib = ratio(v[r, "b", "identify_rps"], v[r, "b", "nginx_rps"])
			ta = ratio(v[r, "a", "winrs_true_ms"], v[r, "a", "ssh_true_ms"])
			tb = ratio(v[r, "b", "winrs_true_ms"], v[r, "b", "ssh_true_ms"])
			q[1, r] = ratio(v[r, "b", "identify_rps"], v[r, "a", "identify_rps"])
			q[2, r] = ratio(v[r, "b", "basic_rps"], v[r, "a", "basic_rps"])
			q[3, r] = ratio(v[r, "b", "winrs_true_ms"], v[r, "a", "winrs_true_ms"])
			q[4, r] = ratio(v[r, "b", "winrs_mbps"], v[r, "a", "winrs_mbps"])
			printf "%-5d %6.2f %6.2f          %6.3f %6.3f         %-16.3f %-16.3f %-16.3f %-16.3f\n",
			       r, ia, ib, ta, tb, q[1, r], q[2, r], q[3, r], q[4, r]
		}
		split("B/A Identify rate,B/A Basic rate,B/A winrs true time,B/A winrs throughput", name, ",")
		print ""
		for (k = 1; k <= 4; k++) {
			m = 0
			for (r = 1; r <= n; r++) s[++m] = q[k, r]
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
			med = m % 2 ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
			printf "%-26s min %.3f  median %.3f  max %.3f  (%d rounds)\n", name[k], s[1], med, s[m], m
		}
	}' "$results"
