#!/usr/bin/env bash
# Load benchmark: ssogate against a plain Go reverse proxy, a bare Go handler and
# oauth2-proxy, all on loopback. Servers run pinned to CPU 0, the load generators (wrk,
# bench/cmd/signin), the IdP and Redis to CPU 1. Each comparison alternates its targets in
# rounds (A B C A B C …) and reports medians. See bench/README.md.
#
#   bench/run.sh                      3 rounds of 10 s per measurement (about 15 minutes)
#   bench/run.sh --rounds 5 --duration 20
#   bench/run.sh --smoke              1 round of 1 s, tiny counts: checks the script works
#   bench/run.sh --no-oauth2-proxy    skip oauth2-proxy (no build of it)
#
# Exits non-zero when a server fails to start, a sign-in fails, or a measured request
# is refused. Speed is reported, never asserted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=3
duration=10
smoke=false
use_o2p=true
keep=false
o2p_version=v7.15.6
cache=${SSOGATE_BENCH_CACHE:-$HOME/.cache/ssogate-bench}

usage() {
	sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	echo "Flags: --smoke, --rounds N, --duration SECONDS, --no-oauth2-proxy, --keep (keep the work directory)"
}

while (($#)); do
	case $1 in
	--smoke) smoke=true ;;
	--rounds) rounds=$2; shift ;;
	--duration) duration=$2; shift ;;
	--no-oauth2-proxy) use_o2p=false ;;
	--keep) keep=true ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown flag $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[[ $rounds =~ ^[1-9][0-9]*$ && $duration =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds and --duration take positive integers" >&2; exit 2; }

conns_list=(8 64 512)          # scaling curve of the proxy path
main_conns=64                  # the connection count of the main tables
signin_workers=8               # concurrent scripted browsers
group_counts=(5 50 200)        # users bench5, bench50, bench200 at the IdP
redis_levels=(1000 100000)     # live sessions in Redis
redis_real_max=1000            # of which at most this many are real sign-ins
if $smoke; then
	rounds=1 duration=1
	conns_list=(64)
	group_counts=(5 200)
	redis_levels=(20 200)
	redis_real_max=20
fi

server_cpu=0
client_cpu=1

work=$(mktemp -d "${TMPDIR:-/tmp}/ssogate-bench.XXXXXX")
bin=$work/bin
logs=$work/logs
res=$work/results
mkdir -p "$bin" "$logs" "$res"

declare -A pids=()
cleanup() {
	local name
	for name in "${!pids[@]}"; do
		kill "${pids[$name]}" 2>/dev/null || true
	done
	for name in "${!pids[@]}"; do
		wait "${pids[$name]}" 2>/dev/null || true
	done
	if $keep; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

die() {
	echo "run.sh: $*" >&2
	exit 1
}

log() { echo "--- $*" >&2; }

# --- build -------------------------------------------------------------------------

log "building ssogate and bench/cmd/*"
OUT="$bin/ssogate" scripts/build.sh # as released: stripped, -trimpath
go build -o "$bin/" ./bench/cmd/...

o2p=""
if $use_o2p; then
	o2p=$cache/oauth2-proxy-$o2p_version/oauth2-proxy
	if [[ ! -x $o2p ]]; then
		log "installing oauth2-proxy $o2p_version into $(dirname "$o2p") (once; takes a few minutes)"
		mkdir -p "$(dirname "$o2p")"
		# Outside this module, so it never becomes one of its dependencies.
		(cd "$work" && GOBIN=$(dirname "$o2p") GOFLAGS=-buildvcs=false go install "github.com/oauth2-proxy/oauth2-proxy/v7@$o2p_version")
	fi
fi

if ! command -v wrk >/dev/null; then
	log "installing wrk"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null || die "wrk is missing and could not be installed (apt-get install wrk)"
fi
command -v taskset >/dev/null || die "taskset is missing (util-linux)"
if ! command -v redis-server >/dev/null; then
	log "redis-server is missing: the Redis part will be skipped"
fi

# --- processes ---------------------------------------------------------------------

declare -A used_ports=()
# Ports are drawn below the kernel's ephemeral range, which outgoing connections use.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
port_span=$((ephemeral_low > 12000 ? ephemeral_low - 10000 : 2000))
# free_port VAR sets VAR to a loopback TCP port nothing listens on and that this run
# has not handed out yet (it must run in this shell, not in $(…), to remember).
free_port() {
	local candidate
	for _ in $(seq 1 200); do
		candidate=$((10000 + RANDOM % port_span))
		[[ -n ${used_ports[$candidate]:-} ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
			used_ports[$candidate]=1
			printf -v "$1" %s "$candidate"
			return
		fi
	done
	die "no free loopback port found"
}

# start NAME CPU COMMAND… runs COMMAND pinned to CPU, logging to $logs/NAME.log.
start() {
	local name=$1 cpu=$2
	shift 2
	taskset -c "$cpu" "$@" >"$logs/$name.log" 2>&1 &
	pids[$name]=$!
}

# wait_port NAME PORT waits up to 15 s for NAME to listen on PORT.
wait_port() {
	local name=$1 port=$2
	for _ in $(seq 1 150); do
		if ! kill -0 "${pids[$name]}" 2>/dev/null; then
			tail -n 20 "$logs/$name.log" >&2
			die "$name exited before listening on 127.0.0.1:$port"
		fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return
		fi
		sleep 0.1
	done
	die "$name did not listen on 127.0.0.1:$port within 15 s (log: $logs/$name.log)"
}

stop() {
	local name=$1
	[[ -n ${pids[$name]:-} ]] || return 0
	kill "${pids[$name]}" 2>/dev/null || true
	wait "${pids[$name]}" 2>/dev/null || true
	unset "pids[$name]"
}

# cpu_ticks NAME prints the CPU time NAME has used so far (user + system), in clock ticks.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/${pids[$1]}/stat"
}

# peak_rss_mib NAME prints NAME's peak resident set size (VmHWM) in MiB.
peak_rss_mib() {
	awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/${pids[$1]}/status"
}

# --- the fixed parts: upstream, IdP, baselines ----------------------------------------

free_port echo_port
free_port idp_port
issuer=http://127.0.0.1:$idp_port
o2p_secret=bench-client-secret
cookie_secret=$(head -c 32 /dev/urandom | base64)

# Gateways are started per phase on these ports; the IdP must know their callbacks.
gw_ports=()
for _ in 1 2 3 4 5; do free_port p; gw_ports+=("$p"); done
o2p_ports=()
for _ in 1 2; do free_port p; o2p_ports+=("$p"); done
public_redirects=$(printf 'http://127.0.0.1:%s/oidc/callback,' "${gw_ports[@]}")
confidential_redirects=$(printf 'http://127.0.0.1:%s/oauth2/callback,' "${o2p_ports[@]}")

start echo "$server_cpu" "$bin/echo" -addr "127.0.0.1:$echo_port"
start idp "$client_cpu" "$bin/idp" -addr "127.0.0.1:$idp_port" -groups "$(IFS=,; echo "${group_counts[*]}")" \
	-public-redirects "${public_redirects%,}" -confidential-redirects "${confidential_redirects%,}" -secret "$o2p_secret"
wait_port echo "$echo_port"
wait_port idp "$idp_port"

# start_ssogate NAME PORT METHOD [VAR=value…] starts a gateway (pkce or implicit) in
# front of the echo upstream, unless UPSTREAM_URL= is given.
start_ssogate() {
	local name=$1 port=$2 method=$3
	shift 3
	mkdir -p "$work/data-$name"
	local ops_port
	free_port ops_port
	start "$name" "$server_cpu" env OIDC_ISSUER="$issuer" OIDC_CLIENT_ID=ssogate OIDC_AUTH_METHOD="$method" \
		UPSTREAM_URL="http://127.0.0.1:$echo_port" PUBLIC_URL="http://127.0.0.1:$port" \
		LISTEN_ADDR="127.0.0.1:$port" OPS_ADDR="127.0.0.1:$ops_port" DATA_DIR="$work/data-$name" \
		COOKIE_SECRET="$cookie_secret" "$@" "$bin/ssogate"
	wait_port "$name" "$port"
}

# start_o2p NAME PORT [flags…] starts oauth2-proxy with the flags its docs give for an
# OIDC provider with PKCE, in front of the echo upstream.
start_o2p() {
	local name=$1 port=$2
	shift 2
	start "$name" "$server_cpu" "$o2p" --provider=oidc --oidc-issuer-url="$issuer" \
		--client-id=oauth2-proxy --client-secret="$o2p_secret" \
		--cookie-secret="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
		--email-domain='*' --upstream="http://127.0.0.1:$echo_port" --http-address="127.0.0.1:$port" \
		--redirect-url="http://127.0.0.1:$port/oauth2/callback" --code-challenge-method=S256 \
		--cookie-secure=false --skip-provider-button "$@"
	wait_port "$name" "$port"
}

# sign_in KIND PORT USER prints the Cookie header value of a fresh sign-in.
sign_in() {
	local out
	out=$(taskset -c "$client_cpu" "$bin/signin" -kind "$1" -gateway "http://127.0.0.1:$2" -user "$3") ||
		die "sign-in at $1 on port $2 as $3 failed"
	echo "$out"
}

# expect_status URL COOKIE STATUS checks one request before measuring it (bash's
# /dev/tcp, so nothing else needs installing).
expect_status() {
	local hostport=${1#http://} path got=""
	path=/${hostport#*/}
	hostport=${hostport%%/*}
	if exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"; then
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\nCookie: %s\r\n\r\n' "$path" "$hostport" "$2" >&3
		read -r -t 5 _ got _ <&3 || true
		exec 3<&-
	fi
	[[ $got == "$3" ]] || die "GET $1 with the session cookie answered ${got:-nothing}, want $3"
}

# --- measuring -----------------------------------------------------------------------

# wrk_run FILE URL COOKIE CONNS appends "req/s p50_ms p99_ms" of one wrk run to FILE.
wrk_run() {
	local file=$1 url=$2 cookie=$3 conns=$4 out
	out=$(taskset -c "$client_cpu" wrk -t1 -c"$conns" -d"${duration}s" --timeout 5s --latency -H "Cookie: $cookie" "$url") ||
		die "wrk $url failed: $out"
	if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then
		echo "$out" >&2
		die "wrk $url: some requests were refused; the session did not hold"
	fi
	if grep -q 'Socket errors' <<<"$out"; then
		log "$(grep 'Socket errors' <<<"$out") ($url, $conns connections)"
	fi
	awk '
	function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v
	}
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' <<<"$out" >>"$file"
}

# signin_run FILE KIND PORT PROC appends one run's "sign-ins/s, gateway CPU µs per
# sign-in, sign-ins per gateway CPU-second" to FILE; PROC is the gateway's process.
signin_run() {
	local file=$1 kind=$2 port=$3 proc=$4 out before after
	before=$(cpu_ticks "$proc")
	out=$(taskset -c "$client_cpu" "$bin/signin" -kind "$kind" -gateway "http://127.0.0.1:$port" -user bench5 \
		-duration "${duration}s" -c "$signin_workers" -max "$signin_max") || die "sign-ins at $kind on port $port failed"
	after=$(cpu_ticks "$proc")
	awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '{
		cpu = ticks / hz; if (cpu <= 0) cpu = 1 / hz
		printf "%.1f %.0f %.0f\n", $2, 1e6 * cpu / $4, $4 / cpu }' <<<"$out" >>"$file"
}

# median FILE COLUMN prints the median of COLUMN (1-based) over FILE's lines.
median() {
	sort -g -k"$2,$2" "$1" | awk -v c="$2" '{v[NR] = $c} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f×", a / b }'; }

signin_max=1000000
$smoke && signin_max=20

# --- phase 1: authenticated proxying ----------------------------------------------------

echo
echo "ssogate load benchmark: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $rounds round(s) × ${duration} s, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "servers pinned to CPU $server_cpu; wrk, bench/cmd/signin, the IdP and Redis to CPU $client_cpu; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

free_port plain_port
targets=(ssogate quiet plain direct)
$use_o2p && targets=(ssogate quiet plain o2p direct)
declare -A url=(
	[ssogate]="http://127.0.0.1:${gw_ports[0]}/"
	[quiet]="http://127.0.0.1:${gw_ports[4]}/"
	[plain]="http://127.0.0.1:$plain_port/"
	[o2p]="http://127.0.0.1:${o2p_ports[0]}/"
	[direct]="http://127.0.0.1:$echo_port/"
)
declare -A proc=([ssogate]=gw [quiet]=gw-quiet [plain]=plainproxy [o2p]=o2p)
declare -A cookie=()
declare -A rss=()

# Each connection count gets freshly started servers, so each peak RSS is its own.
for conns in "${conns_list[@]}"; do
	start plainproxy "$server_cpu" "$bin/plainproxy" -addr "127.0.0.1:$plain_port" -upstream "http://127.0.0.1:$echo_port"
	wait_port plainproxy "$plain_port"
	start_ssogate gw "${gw_ports[0]}" pkce
	start_ssogate gw-quiet "${gw_ports[4]}" pkce LOG_LEVEL=warn
	cookie[ssogate]=$(sign_in ssogate "${gw_ports[0]}" bench5)
	cookie[quiet]=$(sign_in ssogate "${gw_ports[4]}" bench5)
	cookie[plain]=${cookie[ssogate]} # the same request bytes, ignored
	cookie[direct]=${cookie[ssogate]}
	if $use_o2p; then
		start_o2p o2p "${o2p_ports[0]}"
		cookie[o2p]=$(sign_in oauth2-proxy "${o2p_ports[0]}" bench5)
	fi
	for t in "${targets[@]}"; do
		expect_status "${url[$t]}" "${cookie[$t]}" 200
	done
	for round in $(seq 1 "$rounds"); do
		for t in "${targets[@]}"; do
			log "proxy: $t, $conns connections, round $round/$rounds"
			wrk_run "$res/proxy-$t-$conns" "${url[$t]}" "${cookie[$t]}" "$conns"
		done
	done
	for t in "${targets[@]}"; do
		[[ -n ${proc[$t]:-} ]] && rss[$t-$conns]=$(peak_rss_mib "${proc[$t]}")
		[[ -n ${proc[$t]:-} ]] && stop "${proc[$t]}"
	done
done

declare -A label=([ssogate]="ssogate (pkce, cookie)" [quiet]="ssogate, no access log" [plain]="plain Go proxy"
	[o2p]="oauth2-proxy $o2p_version" [direct]="echo upstream, direct" [bare]="bare Go handler"
	[implicit]="ssogate implicit" [pkce]="ssogate pkce")

print_proxy_table() {
	local conns=$1 t rps p50 p99 plain o2p_rps
	plain=$(median "$res/proxy-plain-$conns" 1)
	o2p_rps=nan
	$use_o2p && o2p_rps=$(median "$res/proxy-o2p-$conns" 1)
	printf '%-26s %9s %8s %8s %9s %9s %9s\n' target "req/s" "p50 ms" "p99 ms" "RSS MiB" "vs plain" "vs o2p"
	for t in "${targets[@]}"; do
		rps=$(median "$res/proxy-$t-$conns" 1)
		p50=$(median "$res/proxy-$t-$conns" 2)
		p99=$(median "$res/proxy-$t-$conns" 3)
		printf '%-26s %9s %8s %8s %9s %9s %9s\n' "${label[$t]}" "$rps" "$p50" "$p99" "${rss[$t-$conns]:--}" \
			"$(ratio "$rps" "$plain")" "$([[ $o2p_rps == nan ]] && echo - || ratio "$rps" "$o2p_rps")"
	done
}

# --- phase 2: forward-auth ----------------------------------------------------------------

free_port bare_port
start baregate "$server_cpu" "$bin/baregate" -addr "127.0.0.1:$bare_port"
wait_port baregate "$bare_port"
start_ssogate fa "${gw_ports[1]}" pkce UPSTREAM_URL=
start_ssogate fa-quiet "${gw_ports[4]}" pkce UPSTREAM_URL= LOG_LEVEL=warn
fa_cookie=$(sign_in ssogate "${gw_ports[1]}" bench5)
fa_targets=(ssogate quiet bare)
declare -A fa_url=([ssogate]="http://127.0.0.1:${gw_ports[1]}/oidc/auth" [quiet]="http://127.0.0.1:${gw_ports[4]}/oidc/auth"
	[bare]="http://127.0.0.1:$bare_port/oauth2/auth")
declare -A fa_cookie_of=([ssogate]=$fa_cookie [quiet]=$(sign_in ssogate "${gw_ports[4]}" bench5) [bare]=$fa_cookie)
declare -A fa_proc=([ssogate]=fa [quiet]=fa-quiet [bare]=baregate)
expect_status "${fa_url[ssogate]}" "$fa_cookie" 200
expect_status "${fa_url[quiet]}" "${fa_cookie_of[quiet]}" 200
if $use_o2p; then
	start_o2p fa-o2p "${o2p_ports[1]}" --set-xauthrequest
	fa_cookie_of[o2p]=$(sign_in oauth2-proxy "${o2p_ports[1]}" bench5)
	fa_url[o2p]="http://127.0.0.1:${o2p_ports[1]}/oauth2/auth"
	fa_proc[o2p]=fa-o2p
	expect_status "${fa_url[o2p]}" "${fa_cookie_of[o2p]}" 202
	fa_targets=(ssogate quiet o2p bare)
fi
for round in $(seq 1 "$rounds"); do
	for t in "${fa_targets[@]}"; do
		log "forward-auth: $t, round $round/$rounds"
		wrk_run "$res/fa-$t" "${fa_url[$t]}" "${fa_cookie_of[$t]}" "$main_conns"
	done
done
declare -A fa_rss=()
for t in "${fa_targets[@]}"; do fa_rss[$t]=$(peak_rss_mib "${fa_proc[$t]}"); done
stop fa
stop fa-quiet
$use_o2p && stop fa-o2p
stop baregate

# --- phase 3: complete sign-ins -------------------------------------------------------------

start_ssogate si-pkce "${gw_ports[2]}" pkce
start_ssogate si-implicit "${gw_ports[3]}" implicit
si_targets=(pkce implicit)
declare -A si_kind=([pkce]=ssogate [implicit]=ssogate [o2p]=oauth2-proxy)
declare -A si_port=([pkce]=${gw_ports[2]} [implicit]=${gw_ports[3]})
declare -A si_proc=([pkce]=si-pkce [implicit]=si-implicit)
if $use_o2p; then
	start_o2p si-o2p "${o2p_ports[0]}"
	si_port[o2p]=${o2p_ports[0]}
	si_proc[o2p]=si-o2p
	si_targets+=(o2p)
fi
for t in "${si_targets[@]}"; do sign_in "${si_kind[$t]}" "${si_port[$t]}" bench5 >/dev/null; done
for round in $(seq 1 "$rounds"); do
	for t in "${si_targets[@]}"; do
		log "sign-ins: $t, round $round/$rounds"
		signin_run "$res/si-$t" "${si_kind[$t]}" "${si_port[$t]}" "${si_proc[$t]}"
	done
done
declare -A si_rss=()
for t in "${si_targets[@]}"; do si_rss[$t]=$(peak_rss_mib "${si_proc[$t]}"); done
for t in "${si_targets[@]}"; do stop "${si_proc[$t]}"; done

# --- phase 4: groups (session cookie size) ----------------------------------------------------

start_ssogate groups "${gw_ports[0]}" pkce
declare -A group_cookie=()
for n in "${group_counts[@]}"; do
	group_cookie[$n]=$(sign_in ssogate "${gw_ports[0]}" "bench$n")
	expect_status "http://127.0.0.1:${gw_ports[0]}/" "${group_cookie[$n]}" 200
done
o2p_group_cookie_len=""
if $use_o2p; then
	start_o2p groups-o2p "${o2p_ports[0]}"
	n=${group_counts[-1]}
	o2p_group_cookie_len=$(sign_in oauth2-proxy "${o2p_ports[0]}" "bench$n" | wc -c)
	stop groups-o2p
fi
for round in $(seq 1 "$rounds"); do
	for n in "${group_counts[@]}"; do
		log "groups: $n, round $round/$rounds"
		wrk_run "$res/groups-$n" "http://127.0.0.1:${gw_ports[0]}/" "${group_cookie[$n]}" "$main_conns"
	done
done
groups_rss=$(peak_rss_mib groups)
stop groups

# --- phase 5: Redis session store ------------------------------------------------------------------

redis_note=""
redis_ok=false
if ! command -v redis-server >/dev/null; then
	redis_note="not available: redis-server is not installed"
else
	free_port redis_port
	# Redis runs beside the load generators, as if on its own machine: the gateway's CPU
	# pays for its round trips, not for Redis's own work.
	start redis "$client_cpu" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
		--enable-debug-command yes
	wait_port redis "$redis_port"
	rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
	free_port ops_port
	start "redis-gw" "$server_cpu" env OIDC_ISSUER="$issuer" OIDC_CLIENT_ID=ssogate OIDC_AUTH_METHOD=pkce \
		UPSTREAM_URL="http://127.0.0.1:$echo_port" PUBLIC_URL="http://127.0.0.1:${gw_ports[1]}" \
		LISTEN_ADDR="127.0.0.1:${gw_ports[1]}" OPS_ADDR="127.0.0.1:$ops_port" DATA_DIR="$work/data-redis" \
		COOKIE_SECRET="$cookie_secret" SESSION_STORE="redis://127.0.0.1:$redis_port/0" "$bin/ssogate"
	sleep 1
	if ! kill -0 "${pids[redis-gw]}" 2>/dev/null; then
		redis_note="not available: the gateway does not start with SESSION_STORE=redis:// ($(grep -m1 -o 'SESSION_STORE[^"]*' "$logs/redis-gw.log" || tail -n1 "$logs/redis-gw.log"))"
		unset "pids[redis-gw]"
	else
		wait_port redis-gw "${gw_ports[1]}"
		redis_cookie=$(taskset -c "$client_cpu" "$bin/signin" -gateway "http://127.0.0.1:${gw_ports[1]}" -user bench5) || redis_cookie=""
		if [[ -z $redis_cookie ]]; then
			redis_note="not available: sign-in with SESSION_STORE=redis:// fails (log: $logs/redis-gw.log)"
		elif (($(rcli dbsize) == 0)); then
			redis_note="not available: SESSION_STORE=redis:// is accepted but sessions are not written to Redis (still cookie sessions)"
		else
			redis_ok=true
		fi
	fi
fi

if $redis_ok; then
	start_ssogate cookie-gw "${gw_ports[0]}" pkce
	cookie_gw_cookie=$(sign_in ssogate "${gw_ports[0]}" bench5)
	expect_status "http://127.0.0.1:${gw_ports[1]}/" "$redis_cookie" 200
	record=$(rcli --scan --pattern 'ssogate:s:*' | head -n1)
	record_len=$(rcli strlen "$record")
	declare -A redis_fill_rate=()
	for level in "${redis_levels[@]}"; do
		have=$(rcli --scan --pattern 'ssogate:s:*' | wc -l)
		real=$((level < redis_real_max ? level : redis_real_max))
		if ((have < real)); then
			log "redis: signing in $((real - have)) sessions"
			out=$(taskset -c "$client_cpu" "$bin/signin" -gateway "http://127.0.0.1:${gw_ports[1]}" -user bench5 \
				-duration 120s -c "$signin_workers" -max $((real - have))) || die "sign-ins with the Redis store failed"
			redis_fill_rate[$level]=$(awk '{print $2}' <<<"$out")
			have=$(rcli --scan --pattern 'ssogate:s:*' | wc -l)
		fi
		if ((have < level)); then
			# Dummy records of a real record's size stand for the rest: they load Redis's
			# memory and keyspace like sessions do without 100,000 sign-ins.
			log "redis: adding $((level - have)) dummy records of $record_len bytes"
			rcli debug populate $((level - have)) "ssogate:s:dummy$level" "$record_len" >/dev/null
		fi
		for round in $(seq 1 "$rounds"); do
			log "redis: $level sessions, round $round/$rounds"
			wrk_run "$res/redis-cookie-$level" "http://127.0.0.1:${gw_ports[0]}/" "$cookie_gw_cookie" "$main_conns"
			wrk_run "$res/redis-redis-$level" "http://127.0.0.1:${gw_ports[1]}/" "$redis_cookie" "$main_conns"
		done
	done
	redis_gw_rss=$(peak_rss_mib redis-gw)
	redis_mem=$(rcli info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')
fi
stop redis-gw
stop redis

# --- phase 6: Redis Cluster session store ---------------------------------------------------------
# Six redis-servers (three masters, three replicas) beside the load generators; the
# gateway's SESSION_STORE names them with ?cluster=true.

cluster_ok=false
cluster_note="not available: the single-node Redis phase did not run ($redis_note)"
if $redis_ok; then
	cluster_addrs=()
	for i in 1 2 3 4 5 6; do
		free_port cport
		free_port bport # the cluster bus: a port of its own, not port+10000 (which may be taken or over 65535)
		mkdir -p "$work/cluster-$i"
		start "cluster-$i" "$client_cpu" redis-server --port "$cport" --cluster-port "$bport" --bind 127.0.0.1 --save '' --appendonly no \
			--cluster-enabled yes --cluster-config-file "$work/cluster-$i/nodes.conf" --dir "$work/cluster-$i"
		wait_port "cluster-$i" "$cport"
		cluster_addrs+=("127.0.0.1:$cport")
	done
	if redis-cli --cluster create "${cluster_addrs[@]}" --cluster-replicas 1 --cluster-yes >"$logs/cluster-create.log" 2>&1; then
		for _ in $(seq 1 100); do
			redis-cli -h 127.0.0.1 -p "${cluster_addrs[0]#*:}" cluster info | grep -q cluster_state:ok && break
			sleep 0.1
		done
		cluster_url="redis://${cluster_addrs[0]}?cluster=true"
		for a in "${cluster_addrs[@]:1}"; do cluster_url+="&addr=$a"; done
		cluster_gw_port=${gw_ports[2]} # a redirect URI the IdP knows; its phase is over
		start_ssogate cluster-gw "$cluster_gw_port" pkce SESSION_STORE="$cluster_url"
		cluster_cookie=$(taskset -c "$client_cpu" "$bin/signin" -gateway "http://127.0.0.1:$cluster_gw_port" -user bench5) || cluster_cookie=""
		if [[ -n $cluster_cookie ]]; then
			cluster_ok=true
		else
			cluster_note="not available: sign-in with a Redis Cluster store fails (log: $logs/cluster-gw.log)"
		fi
	else
		cluster_note="not available: redis-cli --cluster create failed (log: $logs/cluster-create.log)"
	fi
fi
if $cluster_ok; then
	expect_status "http://127.0.0.1:$cluster_gw_port/" "$cluster_cookie" 200
	for round in $(seq 1 "$rounds"); do
		log "redis cluster: round $round/$rounds"
		wrk_run "$res/cluster-cookie" "http://127.0.0.1:${gw_ports[0]}/" "$cookie_gw_cookie" "$main_conns"
		wrk_run "$res/cluster-cluster" "http://127.0.0.1:$cluster_gw_port/" "$cluster_cookie" "$main_conns"
	done
	cluster_gw_rss=$(peak_rss_mib cluster-gw)
fi
stop cluster-gw
for i in 1 2 3 4 5 6; do stop "cluster-$i"; done
stop cookie-gw

# --- report ---------------------------------------------------------------------------------------

echo
echo "== Authenticated proxying: GET / through each proxy to the echo upstream (~200-byte body)"
echo "   medians of $rounds round(s) × ${duration} s; RSS = peak (VmHWM) of servers started afresh for each connection count"
echo "   \"no access log\" is ssogate with LOG_LEVEL=warn, to show what the per-request log line costs"
for conns in "${conns_list[@]}"; do
	echo "-- $conns connections"
	print_proxy_table "$conns"
done

echo
echo "== Forward-auth: ssogate GET /oidc/auth, oauth2-proxy /oauth2/auth (--set-xauthrequest), bare Go handler; $main_conns connections"
printf '%-26s %9s %8s %8s %9s %9s %9s\n' target "req/s" "p50 ms" "p99 ms" "RSS MiB" "vs bare" "vs o2p"
bare=$(median "$res/fa-bare" 1)
fa_o2p=nan
$use_o2p && fa_o2p=$(median "$res/fa-o2p" 1)
for t in "${fa_targets[@]}"; do
	rps=$(median "$res/fa-$t" 1)
	printf '%-26s %9s %8s %8s %9s %9s %9s\n' "${label[$t]}" "$rps" "$(median "$res/fa-$t" 2)" "$(median "$res/fa-$t" 3)" \
		"${fa_rss[$t]}" "$(ratio "$rps" "$bare")" "$([[ $fa_o2p == nan ]] && echo - || ratio "$rps" "$fa_o2p")"
done

echo
echo "== Complete sign-ins (gateway → IdP login form → callback → session cookie), $signin_workers concurrent browsers"
echo "   sign-ins/s is wall-clock, bounded by CPU $client_cpu (the IdP and the scripted browsers, busy 100 %);"
echo "   per gateway core = sign-ins per CPU-second the gateway process used (CPU $server_cpu was about half idle)"
printf '%-26s %11s %9s %12s %9s %9s %9s\n' target "sign-ins/s" "vs o2p" "gw µs/s-i" "per core" "vs o2p" "RSS MiB"
si_o2p=nan si_o2p_core=nan
$use_o2p && si_o2p=$(median "$res/si-o2p" 1) && si_o2p_core=$(median "$res/si-o2p" 3)
for t in "${si_targets[@]}"; do
	v=$(median "$res/si-$t" 1)
	core=$(median "$res/si-$t" 3)
	printf '%-26s %11s %9s %12s %9s %9s %9s\n' "${label[$t]}" "$v" "$([[ $si_o2p == nan ]] && echo - || ratio "$v" "$si_o2p")" \
		"$(median "$res/si-$t" 2)" "$core" "$([[ $si_o2p_core == nan ]] && echo - || ratio "$core" "$si_o2p_core")" "${si_rss[$t]}"
done

echo
echo "== Group count: ssogate cookie sessions, proxy path, $main_conns connections (peak RSS $groups_rss MiB)"
printf '%-10s %14s %9s %8s %8s\n' groups "cookie bytes" "req/s" "p50 ms" "p99 ms"
for n in "${group_counts[@]}"; do
	printf '%-10s %14s %9s %8s %8s\n' "$n" "${#group_cookie[$n]}" "$(median "$res/groups-$n" 1)" \
		"$(median "$res/groups-$n" 2)" "$(median "$res/groups-$n" 3)"
done
[[ -n $o2p_group_cookie_len ]] && echo "oauth2-proxy's session cookie with ${group_counts[-1]} groups: $((o2p_group_cookie_len - 1)) bytes"

echo
echo "== Redis session store (SESSION_STORE=redis://), proxy path, $main_conns connections"
if ! $redis_ok; then
	echo "Redis: $redis_note"
else
	echo "   up to $redis_real_max live sessions are real sign-ins; the rest are dummy records of a real record's size ($record_len bytes)"
	printf '%-10s %11s %11s %11s %9s %9s\n' sessions "cookie r/s" "redis r/s" "vs cookie" "p99 ms" "fill s-i/s"
	for level in "${redis_levels[@]}"; do
		c=$(median "$res/redis-cookie-$level" 1)
		r=$(median "$res/redis-redis-$level" 1)
		printf '%-10s %11s %11s %11s %9s %9s\n' "$level" "$c" "$r" "$(ratio "$r" "$c")" \
			"$(median "$res/redis-redis-$level" 3)" "${redis_fill_rate[$level]:--}"
	done
	echo "Redis used memory: $redis_mem; gateway peak RSS: $redis_gw_rss MiB"
fi

echo
echo "== Redis Cluster session store (3 masters + 3 replicas, ?cluster=true), proxy path, $main_conns connections"
if ! $cluster_ok; then
	echo "Redis Cluster: $cluster_note"
else
	printf '%-10s %11s %11s %11s %9s %9s\n' "" "cookie r/s" "cluster r/s" "vs cookie" "p99 ms" "RSS MiB"
	c=$(median "$res/cluster-cookie" 1)
	r=$(median "$res/cluster-cluster" 1)
	printf '%-10s %11s %11s %11s %9s %9s\n' "1 session" "$c" "$r" "$(ratio "$r" "$c")" "$(median "$res/cluster-cluster" 3)" "$cluster_gw_rss"
fi

# --- targets ----------------------------------------------------------------------------------------

echo
echo "== Targets (informational; this script asserts none of them)"
check() { # check TEXT VALUE OP LIMIT
	local verdict
	verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
		if (v == "nan" || v == "" || v == "-" || v == "n/a") { print "n/a"; exit }
		ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
		print ok ? "met" : "MISSED" }')
	printf '%-60s %10s %s %-8s %s\n' "$1" "$2" "$3" "$4" "$verdict"
}
main_plain=$(median "$res/proxy-plain-$main_conns" 1)
main_gw=$(median "$res/proxy-ssogate-$main_conns" 1)
check "proxy req/s, ssogate / plain proxy" "$(awk -v a="$main_gw" -v b="$main_plain" 'BEGIN{printf "%.2f", a/b}')" ">=" 0.90
if $use_o2p; then
	check "forward-auth req/s, ssogate / oauth2-proxy" "$(awk -v a="$(median "$res/fa-ssogate" 1)" -v b="$fa_o2p" 'BEGIN{printf "%.2f", a/b}')" ">=" 3
fi
check "forward-auth req/s, ssogate / bare handler" "$(awk -v a="$(median "$res/fa-ssogate" 1)" -v b="$bare" 'BEGIN{printf "%.2f", a/b}')" ">=" 0.4
check "p99 at $main_conns connections, ssogate - plain proxy (ms)" \
	"$(awk -v a="$(median "$res/proxy-ssogate-$main_conns" 3)" -v b="$(median "$res/proxy-plain-$main_conns" 3)" 'BEGIN{printf "%.3f", a-b}')" "<=" 1
max_rss=$(printf '%s\n' "${rss[ssogate-$main_conns]}" "${fa_rss[ssogate]}" | sort -g | tail -n1)
check "peak RSS of ssogate (MiB), proxy or forward-auth, $main_conns connections" "$max_rss" "<=" 30
si_max_rss=$(printf '%s\n' "${si_rss[pkce]}" "${si_rss[implicit]}" | sort -g | tail -n1)
check "peak RSS of ssogate (MiB), $signin_workers browsers signing in" "$si_max_rss" "<=" 30
if $redis_ok; then
	for level in "${redis_levels[@]}"; do
		check "proxy req/s, Redis store with $level sessions / cookie store" \
			"$(awk -v a="$(median "$res/redis-redis-$level" 1)" -v b="$(median "$res/redis-cookie-$level" 1)" 'BEGIN{printf "%.2f", a/b}')" ">=" 0.8
	done
else
	check "proxy req/s, Redis store / cookie store" "n/a" ">=" 0.8
fi
if $cluster_ok; then
	check "proxy req/s, Redis Cluster store / cookie store" \
		"$(awk -v a="$(median "$res/cluster-cluster" 1)" -v b="$(median "$res/cluster-cookie" 1)" 'BEGIN{printf "%.2f", a/b}')" ">=" 0.8
else
	check "proxy req/s, Redis Cluster store / cookie store" "n/a" ">=" 0.8
fi
if $use_o2p; then
	for t in pkce implicit; do
		check "sign-ins per gateway core, ssogate $t / oauth2-proxy" "$(awk -v a="$(median "$res/si-$t" 3)" -v b="$si_o2p_core" 'BEGIN{printf "%.2f", a/b}')" ">=" 1.5
		check "sign-ins/s (wall clock, IdP-bound), ssogate $t / oauth2-proxy" "$(awk -v a="$(median "$res/si-$t" 1)" -v b="$si_o2p" 'BEGIN{printf "%.2f", a/b}')" ">=" 1.5
	done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
