#!/usr/bin/env bash
# A private, single-node Elasticsearch for the test suite, from Elastic's integration-test
# distribution on Maven Central (a real server without a bundled JDK).
#
#   scripts/elasticsearch.sh start    fetch (cached in ~/.m2), start, wait for health,
#                                     print ELASTICSEARCH_URL=http://127.0.0.1:<port>
#   scripts/elasticsearch.sh url      print ELASTICSEARCH_URL of the running node
#   scripts/elasticsearch.sh halt     stop the node, keep its data (a later start reuses it)
#   scripts/elasticsearch.sh stop     stop the node and delete its data and logs
#
# Settings (environment):
#   ES_VERSION     8.19.21 (default) or a 9.x; 9.x needs a JDK 21 or newer
#   ES_JAVA_HOME   default: OpenJDK 17 for 8.x, the newest JDK >= 21 under /usr/lib/jvm for 9.x
#   ES_PORT        HTTP port on 127.0.0.1; default: a free ephemeral port
#   ES_STATE_DIR   where the pid, URL and data folder are remembered;
#                  default: $VACMON_VAR_DIR/elasticsearch, or var/elasticsearch in the repo
#
# The node binds 127.0.0.1 only, runs as the unprivileged user vacmon-es when started as root
# (Elasticsearch refuses root), uses a 512 MB heap and keeps data and logs in a temporary
# folder. Any failure (Maven Central unreachable, no JDK, the node not healthy in time)
# exits non-zero with the reason: CI fails loudly rather than skipping.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
ES_VERSION="${ES_VERSION:-8.19.21}"
STATE="${ES_STATE_DIR:-${VACMON_VAR_DIR:-$REPO/var}/elasticsearch}"
ES_USER=vacmon-es
ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"

die() { echo "elasticsearch.sh: ERROR: $*" >&2; exit 1; }
major() { echo "${ES_VERSION%%.*}"; }

java_home() {
  if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
  local wanted=17 jdk release
  [ "$(major)" -ge 9 ] && wanted=21
  # The newest JDK that is at least the version this major needs.
  for jdk in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    [ -x "$jdk/bin/java" ] && [ -f "$jdk/release" ] || continue
    release=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release")
    if [ -n "$release" ] && [ "$release" -ge "$wanted" ]; then echo "${jdk%/}"; return; fi
  done
  die "no JDK $wanted or newer under /usr/lib/jvm for Elasticsearch $ES_VERSION"
}

fetch() {
  local zip="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  if [ ! -s "$zip" ]; then
    command -v mvn >/dev/null || die "mvn is not installed (apt-get install maven)"
    mvn -B -q dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$STATE/download" >&2 \
      || die "could not fetch $ARTIFACT from Maven Central"
    rm -rf "$STATE/download"
  fi
  [ -s "$zip" ] || die "$ARTIFACT is not in ~/.m2 after the fetch"
  echo "$zip"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_es_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

ensure_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id "$ES_USER" >/dev/null 2>&1 \
    || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
}

# Unpack the distribution into a fresh temporary folder owned by the node's user.
unpack() {
  local zip=$1 home
  home=$(mktemp -d "${TMPDIR:-/tmp}/vacmon-es-XXXXXX")
  unzip -q "$zip" -d "$home"
  mkdir -p "$home/data" "$home/logs"
  [ "$(id -u)" -eq 0 ] && chown -R "$ES_USER" "$home"
  echo "$home"
}

node_settings() {
  local dist=$1 port=$2 home=$3
  printf '%s\n' -E discovery.type=single-node -E network.host=127.0.0.1 \
    -E "http.port=$port" -E "path.data=$home/data" -E "path.logs=$home/logs" \
    -E cluster.name=vacmon-tests -E cluster.routing.allocation.disk.threshold_enabled=false \
    -E action.destructive_requires_name=false
  # The setting exists only where the security module does; an unknown one stops the node.
  if [ -d "$dist/modules/x-pack-security" ]; then printf '%s\n' -E xpack.security.enabled=false; fi
}

healthy() {
  curl -fsS --max-time 5 "$1/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1
}

wait_healthy() {
  local url=$1 pid=$2 home=$3
  for _ in $(seq 1 120); do
    healthy "$url" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$home"/logs/*.log >&2 2>/dev/null || true
      die "Elasticsearch $ES_VERSION exited before it was healthy (logs above)"
    fi
    sleep 1
  done
  die "Elasticsearch $ES_VERSION at $url is not healthy after 120 s"
}

running_pid() {
  [ -f "$STATE/pid" ] || return 1
  local pid
  pid=$(cat "$STATE/pid")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  mkdir -p "$STATE"
  if running_pid >/dev/null && healthy "$(cat "$STATE/url")"; then
    echo "ELASTICSEARCH_URL=$(cat "$STATE/url")"; return 0
  fi
  local java zip home dist port url
  java=$(java_home)
  ensure_user
  if [ -f "$STATE/home" ] && [ -d "$(cat "$STATE/home")" ]; then
    home=$(cat "$STATE/home"); port=$(cat "$STATE/port")   # after a halt: same data, same URL
  else
    zip=$(fetch); home=$(unpack "$zip"); port=${ES_PORT:-$(free_port)}
    echo "$home" >"$STATE/home"; echo "$port" >"$STATE/port"
  fi
  dist="$home/elasticsearch-$ES_VERSION"
  url="http://127.0.0.1:$port"
  mapfile -t settings < <(node_settings "$dist" "$port" "$home")
  as_es_user env ES_JAVA_HOME="$java" ES_JAVA_OPTS="-Xms512m -Xmx512m" \
    "$dist/bin/elasticsearch" -d -p "$home/pid" "${settings[@]}" >"$STATE/console.log" 2>&1 \
    || { cat "$STATE/console.log" >&2; die "Elasticsearch $ES_VERSION did not start"; }
  cp "$home/pid" "$STATE/pid"
  echo "$url" >"$STATE/url"
  wait_healthy "$url" "$(cat "$STATE/pid")" "$home"
  echo "ELASTICSEARCH_URL=$url"
}

halt() {
  local pid
  if pid=$(running_pid); then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$STATE/pid"
}

stop() {
  halt
  if [ -f "$STATE/home" ]; then rm -rf "$(cat "$STATE/home")"; fi
  rm -f "$STATE/home" "$STATE/port" "$STATE/url" "$STATE/console.log"
}

url() {
  running_pid >/dev/null || die "no Elasticsearch is running from $STATE"
  echo "ELASTICSEARCH_URL=$(cat "$STATE/url")"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  halt) halt ;;
  url) url ;;
  *) echo "usage: $0 start|stop|halt|url" >&2; exit 2 ;;
esac
