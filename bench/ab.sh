#!/usr/bin/env bash
# A/B of gateway builds on the proxy path: each round starts every build afresh (so its
# peak RSS is that run's own), signs in once, runs wrk with that session's cookie and
# reads VmHWM; builds alternate within a round (A B A B …), so machine noise falls on
# both. See bench/README.md ("Memory at 512 connections").
#
#   bench/ab.sh -c 512 -d 10 -r 3 old=/tmp/ssogate-main new=/tmp/ssogate-branch
#   bench/ab.sh -c 64 -r 5 old=/tmp/ssogate-main new=/tmp/ssogate-branch,GOGC=100
#
#   bench/ab.sh -c 8 -d 5 -r 8 old=/tmp/ssogate-main new=/tmp/ssogate-branch plain=plain
#
# Each LABEL=BINARY may add environment variables after commas; the BINARY "plain" is
# bench/cmd/plainproxy, the plain Go proxy, sent the cookie of the label before it in
# the round (name it last). Prints one line per run: req/s, p50, p99, peak RSS (MiB),
# the server's CPU time per request (user + system, µs: less moved by other load than
# req/s), the echo upstream's during the run (µs per request) and the load average at
# its end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

conns=512 duration=10 rounds=3
while getopts c:d:r: opt; do
	case $opt in
	c) conns=$OPTARG ;;
	d) duration=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) sed -n '2,12p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
(($# > 0)) || { echo "ab.sh: name at least one LABEL=BINARY" >&2; exit 2; }
command -v wrk >/dev/null || { echo "ab.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ssogate-ab.XXXXXX")
declare -a pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/" ./bench/cmd/echo ./bench/cmd/idp ./bench/cmd/signin ./bench/cmd/plainproxy

declare -A used=()
free_port() { # free_port VAR: a loopback port nothing listens on, not handed out before
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 10000))
		[[ -n ${used[$p]:-} ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			used[$p]=1
			printf -v "$1" %s "$p"
			return
		fi
	done
	echo "ab.sh: no free loopback port" >&2
	exit 1
}
wait_port() { # wait_port PID PORT: up to 15 s
	for _ in $(seq 1 150); do
		kill -0 "$1" 2>/dev/null || { echo "ab.sh: process $1 exited before listening on $2" >&2; exit 1; }
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return
		sleep 0.1
	done
	echo "ab.sh: nothing listens on 127.0.0.1:$2 after 15 s" >&2
	exit 1
}

labels=()
declare -A bin=() vars=() port=()
for spec in "$@"; do
	label=${spec%%=*} rest=${spec#*=}
	[[ $label != "$spec" && ( -x ${rest%%,*} || $rest == plain ) ]] || { echo "ab.sh: $spec is not LABEL=BINARY[,VAR=value…] or LABEL=plain" >&2; exit 2; }
	labels+=("$label")
	bin[$label]=${rest%%,*}
	vars[$label]=""
	[[ $rest == *,* ]] && vars[$label]=${rest#*,}
	free_port "port[$label]"
done

free_port echo_port
free_port idp_port
redirects=$(for l in "${labels[@]}"; do printf 'http://127.0.0.1:%s/oidc/callback,' "${port[$l]}"; done)
# As in bench/run.sh: servers on CPU 0, the IdP and the load generators on CPU 1.
taskset -c 0 "$work/echo" -addr "127.0.0.1:$echo_port" >"$work/echo.log" 2>&1 &
echo_pid=$!
pids+=("$echo_pid")
wait_port "$echo_pid" "$echo_port"
taskset -c 1 "$work/idp" -addr "127.0.0.1:$idp_port" -groups 5 -public-redirects "${redirects%,}" >"$work/idp.log" 2>&1 &
pids+=($!)
wait_port "$!" "$idp_port"
secret=$(head -c 32 /dev/urandom | base64)

echo "# $conns connections, $rounds round(s) × $duration s; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %5s %9s %10s %10s %9s %8s %8s %6s\n' label round "req/s" "p50" "p99" "RSS MiB" "CPU µs" "echo µs" load
hz=$(getconf CLK_TCK)
threads=$((conns < 2 ? conns : 2)) # wrk needs a connection per thread: -c 1 is a lone client
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure LABEL ROUND: runs wrk against the server $gw on port $p with $cookie, prints
# the run's line and stops the server.
measure() {
	local l=$1 round=$2 echo0 out rss requests cpu echo_cpu
	echo0=$(cpu_ticks "$echo_pid")
	out=$(taskset -c 1 wrk -t"$threads" -c"$conns" -d"${duration}s" --timeout 5s --latency -H "Cookie: $cookie" "http://127.0.0.1:$p/")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "ab.sh: $l answered some requests with an error status:" >&2
		echo "$out" >&2
		exit 1
	fi
	rss=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$gw/status")
	requests=$(awk '/requests in/ {print $1}' <<<"$out")
	cpu=$(awk -v n="$requests" -v hz="$hz" '{printf "%.1f", ($14 + $15) / hz * 1e6 / n}' "/proc/$gw/stat")
	echo_cpu=$(awk -v a="$echo0" -v b="$(cpu_ticks "$echo_pid")" -v n="$requests" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz * 1e6 / n}')
	kill "$gw"
	wait "$gw" 2>/dev/null || true
	unset 'pids[-1]'
	printf '%-10s %5s %9s %10s %10s %9s %8s %8s %6s\n' "$l" "$round" "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" \
		"$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" "$rss" "$cpu" "$echo_cpu" \
		"$(cut -d' ' -f1 /proc/loadavg)"
}

cookie=ssogate=none
for round in $(seq 1 "$rounds"); do
	for l in "${labels[@]}"; do
		p=${port[$l]}
		if [[ ${bin[$l]} == plain ]]; then
			taskset -c 0 "$work/plainproxy" -addr "127.0.0.1:$p" -upstream "http://127.0.0.1:$echo_port" >"$work/$l.log" 2>&1 &
			gw=$!
			pids+=("$gw")
			wait_port "$gw" "$p"
			measure "$l" "$round"
			continue
		fi
		free_port ops
		mkdir -p "$work/data-$l-$round"
		IFS=, read -ra extra <<<"${vars[$l]}"
		env OIDC_ISSUER="http://127.0.0.1:$idp_port" OIDC_CLIENT_ID=ssogate OIDC_AUTH_METHOD=pkce \
			UPSTREAM_URL="http://127.0.0.1:$echo_port" PUBLIC_URL="http://127.0.0.1:$p" LISTEN_ADDR="127.0.0.1:$p" \
			OPS_ADDR="127.0.0.1:$ops" DATA_DIR="$work/data-$l-$round" COOKIE_SECRET="$secret" "${extra[@]}" \
			taskset -c 0 "${bin[$l]}" >"$work/$l.log" 2>&1 &
		gw=$!
		pids+=("$gw")
		wait_port "$gw" "$p"
		for _ in $(seq 1 100); do # ready: the IdP's discovery is loaded
			(exec 3<>"/dev/tcp/127.0.0.1/$ops" && printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3 && read -r -t 2 _ code _ <&3 && [[ $code == 200 ]]) 2>/dev/null && break
			sleep 0.1
		done
		cookie=$(taskset -c 1 "$work/signin" -gateway "http://127.0.0.1:$p" -user bench5)
		measure "$l" "$round"
	done
done
