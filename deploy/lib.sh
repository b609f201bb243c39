# shellcheck shell=bash
# deploy/lib.sh: shared functions for running the portal's PostgreSQL and
# RabbitMQ as plain processes inside the project folder.
#
# Sourced (never executed) by deploy/infra, deploy/run, deploy/stop and
# deploy/test. It sets defaults for the PORTAL_* settings, exports the URLs the
# Swift programs read, and defines:
#   portal_install_packages
#   portal_start_postgres  portal_stop_postgres  portal_restart_postgres
#   portal_start_rabbitmq  portal_stop_rabbitmq  portal_restart_rabbitmq
#   portal_start_infra     portal_stop_infra     portal_infra_status
#   portal_start_service   portal_stop_services  portal_stop_all_services
#   portal_wait_ready
#   portal_print_env       portal_wipe_state
#
# The start functions set _PORTAL_PG_STARTED, _PORTAL_RABBIT_STARTED and
# _PORTAL_STARTED_SERVICES when they really started something, so that a
# failing caller can undo its own work and nothing else.
#
# Nothing here uses systemd or the Debian init scripts: the machines we run on
# have no systemd, and the /usr/sbin/rabbitmq* wrappers switch to the rabbitmq
# user, whose Erlang cookie is not ours (the CLI then hangs for 60 s).

# ---------------------------------------------------------------------------
# Locations and settings
# ---------------------------------------------------------------------------

# The repository root, found from this file's own location.
portal_root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"

# Every setting may come from the caller's environment; these are the defaults.
: "${PORTAL_STATE_DIR:=$portal_root/.portal}"
: "${PORTAL_PG_PORT:=55432}"
: "${PORTAL_AMQP_PORT:=35672}"
# Erlang's own default (AMQP port + 20000) is fine for 35672 but overflows
# 65535 for higher AMQP ports, so it is always set explicitly.
: "${PORTAL_AMQP_DIST_PORT:=$((PORTAL_AMQP_PORT + 20000))}"
: "${PORTAL_EPMD_PORT:=44369}"
: "${PORTAL_RABBIT_NODE:=portal@localhost}"
# 1 = run PostgreSQL without fsync (tests only: a crash may corrupt the data).
: "${PORTAL_PG_FAST:=0}"
# PostgreSQL's own cache. Its default (128 MB) is smaller than a portal of 100,000 items
# (about 1.1 GB), and every write then evicts a page another needs.
: "${PORTAL_PG_SHARED_BUFFERS:=1GB}"
# Seconds to wait for a broker or database to come up or go down.
: "${PORTAL_START_TIMEOUT:=60}"
# The password every seeded demo user gets on a local instance (deploy/run, deploy/test);
# never used in production, where `portalctl users set-password` sets real ones.
: "${PORTAL_DEMO_PASSWORD:=longan-demo-2026}"

# A relative state dir would change meaning with the working directory.
[[ $PORTAL_STATE_DIR == /* ]] || PORTAL_STATE_DIR="$PWD/$PORTAL_STATE_DIR"

# The URLs are always derived from the ports above, never taken from the
# environment, so that a shell holding another instance's URLs (say, the test
# instance's) cannot point the programs at the wrong database.
PORTAL_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORTAL_PG_PORT/portal"
PORTAL_AMQP_URL="amqp://guest:guest@127.0.0.1:$PORTAL_AMQP_PORT/"
PORTAL_DATA_DIR="$PORTAL_STATE_DIR/data"

# Exported for the Swift programs and for deploy/infra called by the tests;
# `deploy/infra env` prints them in this order.
PORTAL_ENV_VARS=(PORTAL_STATE_DIR PORTAL_PG_PORT PORTAL_AMQP_PORT PORTAL_AMQP_DIST_PORT
    PORTAL_EPMD_PORT PORTAL_RABBIT_NODE PORTAL_PG_FAST
    PORTAL_DATABASE_URL PORTAL_AMQP_URL PORTAL_DATA_DIR PORTAL_DEMO_PASSWORD)
export "${PORTAL_ENV_VARS[@]}"

_portal_pg_db=portal
_portal_rabbit_bin=/usr/lib/rabbitmq/bin

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

portal_log() { printf '[portal] %s\n' "$*" >&2; }
portal_die() { printf '[portal] error: %s\n' "$*" >&2; return 1; }

# Fractional seconds since the epoch, for measuring start-up times.
portal_now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
portal_elapsed() { awk -v a="$1" -v b="$(portal_now)" 'BEGIN { printf "%.1f", b - a }'; }

# True when something accepts TCP connections on 127.0.0.1:$1.
portal_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Whether ::1 exists here. Some containers run without IPv6, and a RabbitMQ
# listener on a missing address stops the whole broker from booting.
portal_have_ipv6() { [[ -r /proc/net/if_inet6 ]] && grep -q ' lo$' /proc/net/if_inet6; }

# True when process $1 exists and has not exited. A process that exited but
# was not reaped yet (a zombie) counts as gone: where PID 1 does not reap
# orphans, as in some containers, such zombies stay in the table for good.
portal_alive() {
    local state
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# True when process $1 is alive and its command name is $2. Guards against
# signalling an unrelated process that reused the pid of a stale pid file.
portal_pid_is() {
    local pid=$1 name=$2 comm
    portal_alive "$pid" || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "${name:0:15}" ]]
}

# Sends SIGTERM to the pids given, waits up to $1 seconds for them all to
# exit, then sends SIGKILL to whatever is left.
portal_terminate() {
    local grace=$1 pid deadline alive
    shift
    (($#)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$((SECONDS + grace))
    while :; do
        alive=()
        for pid in "$@"; do portal_alive "$pid" && alive+=("$pid"); done
        ((${#alive[@]})) || return 0
        ((SECONDS < deadline)) || break
        sleep 0.2
    done
    portal_log "still running after ${grace}s, sending SIGKILL to ${alive[*]}"
    kill -KILL "${alive[@]}" 2>/dev/null || true
    # SIGKILL takes effect asynchronously: wait a moment so that callers
    # (say, a start right after) find the process gone.
    local left
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        left=()
        for pid in "${alive[@]}"; do portal_alive "$pid" && left+=("$pid"); done
        ((${#left[@]})) || break
        sleep 0.1
    done
}

portal_show_log_tail() {
    local file
    for file in "$@"; do
        [[ -s $file ]] || continue
        printf '[portal] --- last lines of %s ---\n' "$file" >&2
        tail -n 40 "$file" >&2
    done
}

# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------

_portal_packages=(rabbitmq-server librabbitmq-dev amqp-tools libpq-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libxml2-dev libgmime-3.0-dev libcurl4-openssl-dev libxlsxwriter-dev libvips-dev postgresql
    postgresql-contrib pkg-config curl)

# Installs whichever of the packages above are missing; silent when none is.
portal_install_packages() {
    local missing=() pkg status
    for pkg in "${_portal_packages[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
        [[ $status == "install ok installed" ]] || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        ((EUID == 0)) || portal_die "missing packages: ${missing[*]}; install them as root" || return 1
        portal_log "installing ${missing[*]}"
        # No policy-rc.d means apt would start a system-wide broker and a
        # PostgreSQL cluster on the default ports. We start our own, so block
        # that for the duration of the install, the way Debian's images do.
        local policy=/usr/sbin/policy-rc.d added_policy=0 rc=0
        if [[ ! -e $policy ]]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
        fi
        if [[ -z ${_PORTAL_APT_UPDATED:-} ]]; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
            _PORTAL_APT_UPDATED=1
        fi
        if ((rc == 0)); then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                "${missing[@]}" >/dev/null || rc=$?
        fi
        ((added_policy)) && rm -f "$policy"
        ((rc == 0)) || portal_die "apt-get failed (exit $rc)" || return 1
    fi
    # initdb and the server refuse to run as root: they run as `postgres`.
    if ((EUID == 0)) && ! id -u postgres >/dev/null 2>&1; then
        portal_log "creating the postgres user"
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
}

# What the browser tests need: Chromium and its driver from Debian (with fonts that have
# Vietnamese tone marks, for the screenshots), Selenium and axe-core 4.9.1 (bundled in
# selenium-axe-python 2.2.0) from PyPI, at pinned versions.
# Postfix with OpenDKIM and OpenDMARC in front of intake (deploy/postfix, Tests/Postfix), and a
# loopback DNS server for their test zone.
_portal_test_packages=(chromium chromium-driver fonts-liberation2 nginx libreoffice-calc-nogui postfix opendkim opendmarc dnsmasq-base python3-dkim)
portal_install_test_tools() {
    local saved=("${_portal_packages[@]}")
    # Postfix asks how to configure itself; "No configuration" is the one that leaves the
    # machine's mail alone (deploy/postfix/README.md).
    if ((EUID == 0)) && command -v debconf-set-selections >/dev/null 2>&1; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    fi
    _portal_packages=("${_portal_test_packages[@]}")
    portal_install_packages || { _portal_packages=("${saved[@]}"); return 1; }
    _portal_packages=("${saved[@]}")
    if ! python3 -c 'import selenium, selenium_axe_python' >/dev/null 2>&1; then
        portal_log "installing selenium and selenium-axe-python"
        python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore selenium==4.25.0 selenium-axe-python==2.2.0 \
            || portal_die "pip could not install the browser test tools" || return 1
    fi
}

# schemathesis, the API fuzzer of the tests (Tests/IntegrationTests/ApiFuzzTests.swift), from
# PyPI at a pinned version, in a virtual environment of its own (.build-fuzz) so that its many
# dependencies never meet the Python packages of the system or of the browser tests.
_portal_fuzzer_version=4.32.5
portal_fuzzer_dir() { echo "$portal_root/.build-fuzz"; }
portal_install_fuzzer() {
    local venv
    venv=$(portal_fuzzer_dir)
    [[ $("$venv/bin/schemathesis" --version 2>/dev/null) == *"$_portal_fuzzer_version"* ]] && return 0
    portal_log "installing schemathesis $_portal_fuzzer_version into $venv"
    rm -rf -- "$venv"
    python3 -m venv "$venv" \
        && "$venv/bin/python" -m pip install -q --disable-pip-version-check "schemathesis==$_portal_fuzzer_version" \
        || portal_die "pip could not install schemathesis $_portal_fuzzer_version" || return 1
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

# The PostgreSQL 15 server binaries, or the newest installed version.
_portal_pg_bin() {
    if [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then
        echo /usr/lib/postgresql/15/bin
        return 0
    fi
    local newest
    newest=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null | sort -V | tail -n 1)
    [[ -n $newest ]] || portal_die "no PostgreSQL server under /usr/lib/postgresql (run portal_install_packages)" || return 1
    dirname "$newest"
}

# Runs a command as the postgres user (as ourselves when not root).
_portal_as_pg() {
    if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

# The folder holding the cluster (data/), its socket (run/) and its logs:
# $PORTAL_STATE_DIR/postgres, or where that link points (see below).
_portal_pg_home() {
    local link="$PORTAL_STATE_DIR/postgres"
    if [[ -L $link ]]; then
        readlink -f -- "$link"
    else
        echo "$link"
    fi
}

# Creates that folder, owned by `postgres`.
#
# The server runs as `postgres` and must reach the folder. When the project
# lives where `postgres` cannot go (say under /root, mode 700), or the path is
# too long for a Unix socket (107 bytes), the folder is placed under /var/tmp
# and $PORTAL_STATE_DIR/postgres becomes a symbolic link to it.
_portal_pg_make_home() {
    local link="$PORTAL_STATE_DIR/postgres" home
    if [[ ! -e $link && ! -L $link ]]; then
        mkdir -p -- "$PORTAL_STATE_DIR" || return 1
        local sock_path="$link/run/.s.PGSQL.$PORTAL_PG_PORT"
        if ((EUID == 0)) && { ! runuser -u postgres -- test -x "$PORTAL_STATE_DIR" || ((${#sock_path} > 100)); }; then
            local outside
            outside="/var/tmp/portal-pg-$(printf '%s' "$PORTAL_STATE_DIR" | sha1sum | cut -c1-12)"
            mkdir -p -- "$outside" && ln -s -- "$outside" "$link" || return 1
            portal_log "postgres cannot use $link directly; its files are in $outside"
        fi
    fi
    home=$(_portal_pg_home)
    mkdir -p -- "$home/run" || return 1
    if ((EUID == 0)); then
        chown -R postgres:postgres -- "$home" && chmod 700 -- "$home"
    fi
}

_portal_pg_running() {
    local home bin
    home=$(_portal_pg_home)
    [[ -f $home/data/PG_VERSION ]] || return 1
    bin=$(_portal_pg_bin) || return 1
    _portal_as_pg "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1
}

_portal_psql() {
    local bin
    bin=$(_portal_pg_bin)
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORTAL_PG_PORT" -U postgres "$@"
}

portal_start_postgres() {
    local bin home started
    bin=$(_portal_pg_bin) || return 1
    if _portal_pg_running; then
        _portal_pg_ensure_database
        return $?
    fi
    started=$(portal_now)
    if portal_port_open "$PORTAL_PG_PORT"; then
        portal_die "port $PORTAL_PG_PORT is taken by another program; set PORTAL_PG_PORT" || return 1
    fi
    _portal_pg_make_home || return 1
    home=$(_portal_pg_home)
    if [[ ! -f $home/data/PG_VERSION ]]; then
        rm -rf -- "$home/data"
        _portal_as_pg "$bin/initdb" -D "$home/data" -U postgres --auth=trust \
            -E UTF8 --locale=C.UTF-8 >"$home/initdb.log" 2>&1 ||
            { portal_show_log_tail "$home/initdb.log"; portal_die "initdb failed"; return 1; }
    fi
    # pg_ctl hands these to a shell: quote the path.
    # Five services of 4 + 2 connections each, twice over when scaled out, besides the tools.
    local opts="-p $PORTAL_PG_PORT -k '$home/run' -c max_connections=200 -c shared_buffers=$PORTAL_PG_SHARED_BUFFERS"
    # Checkpoints far enough apart that an index page written often is copied whole into the
    # WAL once per checkpoint, not every few seconds, and those copies compressed (docs/operations.md).
    opts+=" -c max_wal_size=4GB -c checkpoint_timeout=15min -c wal_compression=lz4"
    if portal_have_ipv6; then
        opts+=" -c listen_addresses='127.0.0.1,::1'"
    else
        opts+=" -c listen_addresses='127.0.0.1'"
    fi
    [[ $PORTAL_PG_FAST == 1 ]] && opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if ! _portal_as_pg "$bin/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w \
        -t "$PORTAL_START_TIMEOUT" -o "$opts" start >/dev/null; then
        portal_show_log_tail "$home/postgres.log"
        portal_die "PostgreSQL did not start"
        return 1
    fi
    _portal_pg_ensure_database || return 1
    portal_log "PostgreSQL up on port $PORTAL_PG_PORT in $(portal_elapsed "$started") s"
    _PORTAL_PG_STARTED=1
}

_portal_pg_ensure_database() {
    local exists
    exists=$(_portal_psql -d postgres -tAc "select 1 from pg_database where datname = '$_portal_pg_db'")
    if [[ $exists != 1 ]]; then
        _portal_psql -d postgres -c "create database $_portal_pg_db"
    fi
}

portal_stop_postgres() {
    local bin home
    bin=$(_portal_pg_bin) && home=$(_portal_pg_home) || return 1
    _portal_pg_running || return 0
    # fast: roll back open transactions and disconnect clients, then a clean
    # shutdown checkpoint; unlike `immediate` it needs no recovery at start.
    if ! _portal_as_pg "$bin/pg_ctl" -D "$home/data" -m fast -w -t "$PORTAL_START_TIMEOUT" stop >/dev/null; then
        portal_show_log_tail "$home/postgres.log"
        portal_die "PostgreSQL did not stop"
        return 1
    fi
    portal_log "PostgreSQL stopped"
}

portal_restart_postgres() {
    portal_stop_postgres || return 1
    portal_start_postgres
}

# ---------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------
#
# Layout of $PORTAL_STATE_DIR/rabbitmq:
#   home/.erlang.cookie   shared by the server and the CLI (mode 400)
#   rabbitmq-env.conf     empty: keeps /etc/rabbitmq/rabbitmq-env.conf out
#   rabbitmq.conf         listeners, distribution interface and ports
#   advanced.config       empty list: keeps /etc/rabbitmq/advanced.config out
#   enabled_plugins       [].
#   mnesia/ log/          data and logs
#   server.pid            pid of the rabbitmq-server launcher (recorded by us)
#   rabbitmq.pid          pid of the Erlang VM (written by the broker)
#   epmd.pid              pid of the epmd we started
#   server.out epmd.out   their standard output

_portal_rabbit_dir() { echo "$PORTAL_STATE_DIR/rabbitmq"; }

# The environment every RabbitMQ program (server and CLI) runs with, one
# NAME=value per array element, for `env`.
_portal_rabbit_env() {
    local base dist_args
    base=$(_portal_rabbit_dir)
    # Keep the Erlang distribution on loopback, server and CLI alike.
    dist_args="-kernel inet_dist_use_interface {127,0,0,1}"
    _portal_rabbit_envv=(
        "HOME=$base/home"
        "RABBITMQ_CONF_ENV_FILE=$base/rabbitmq-env.conf"
        "RABBITMQ_CONFIG_FILE=$base/rabbitmq.conf"
        "RABBITMQ_ADVANCED_CONFIG_FILE=$base/advanced.config"
        "RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins"
        "RABBITMQ_MNESIA_BASE=$base/mnesia"
        "RABBITMQ_LOG_BASE=$base/log"
        "RABBITMQ_PID_FILE=$base/rabbitmq.pid"
        "RABBITMQ_NODENAME=$PORTAL_RABBIT_NODE"
        "RABBITMQ_DIST_PORT=$PORTAL_AMQP_DIST_PORT"
        # The CLI tools listen on a distribution port of their own, by default
        # in 35672-35682, which is where our AMQP ports are: a CLI call made
        # while the broker boots could take the AMQP port first. Give them a
        # range of their own next to the broker's distribution port.
        "RABBITMQ_CTL_DIST_PORT_MIN=$((PORTAL_AMQP_DIST_PORT + 100))"
        "RABBITMQ_CTL_DIST_PORT_MAX=$((PORTAL_AMQP_DIST_PORT + 110))"
        "ERL_EPMD_PORT=$PORTAL_EPMD_PORT"
        "ERL_EPMD_ADDRESS=127.0.0.1"
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=$dist_args"
        "RABBITMQ_CTL_ERL_ARGS=$dist_args"
    )
}

# Runs one of the RabbitMQ programs (rabbitmqctl, rabbitmq-diagnostics, ...)
# against our node, e.g. `portal_rabbit rabbitmqctl list_queues`.
portal_rabbit() {
    local tool=$1
    shift
    _portal_rabbit_env
    env "${_portal_rabbit_envv[@]}" "$_portal_rabbit_bin/$tool" -n "$PORTAL_RABBIT_NODE" "$@"
}

_portal_rabbit_write_config() {
    local base
    base=$(_portal_rabbit_dir)
    mkdir -p -- "$base/home" "$base/mnesia" "$base/log"
    if [[ ! -s $base/home/.erlang.cookie ]]; then
        # A fresh random cookie per state dir: no other node can join ours.
        (umask 077 && head -c 32 /dev/urandom | sha256sum | cut -c1-40 | tr -d '\n' >"$base/home/.erlang.cookie")
    fi
    # Erlang refuses a cookie readable by others and the node dies at start.
    chmod 400 -- "$base/home/.erlang.cookie"
    : >"$base/rabbitmq-env.conf"
    echo '[].' >"$base/advanced.config"
    # Plugins can be listed here, e.g. [rabbitmq_management]. (port 15672).
    [[ -f $base/enabled_plugins ]] || echo '[].' >"$base/enabled_plugins"
    {
        echo "# Written by deploy/lib.sh on each start; edit that file instead."
        echo "listeners.tcp.1 = 127.0.0.1:$PORTAL_AMQP_PORT"
        portal_have_ipv6 && echo "listeners.tcp.2 = ::1:$PORTAL_AMQP_PORT"
        echo "distribution.listener.interface = 127.0.0.1"
        echo "distribution.listener.port_range.min = $PORTAL_AMQP_DIST_PORT"
        echo "distribution.listener.port_range.max = $PORTAL_AMQP_DIST_PORT"
        echo "log.file.level = info"
        echo "log.console = false"
    } >"$base/rabbitmq.conf"
}

# Pid of the epmd listening on our port: the one we recorded, else one left
# behind by an earlier run (recognised by the port on its command line).
_portal_epmd_pid() {
    local base pid cmdline
    base=$(_portal_rabbit_dir)
    pid=$(cat "$base/epmd.pid" 2>/dev/null) || pid=
    if portal_pid_is "$pid" epmd; then
        echo "$pid"
        return 0
    fi
    for cmdline in /proc/[0-9]*/cmdline; do
        pid=${cmdline#/proc/}
        pid=${pid%/cmdline}
        portal_pid_is "$pid" epmd || continue
        if [[ $(tr '\0' ' ' <"$cmdline" 2>/dev/null) == *"-port $PORTAL_EPMD_PORT "* ]]; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# Starts epmd ourselves rather than letting Erlang spawn one: a daemon spawned
# by Erlang outlives the broker and its pid is unknown, so it could only be
# stopped by killing every epmd on the machine.
_portal_start_epmd() {
    local base epmd pid
    base=$(_portal_rabbit_dir)
    if pid=$(_portal_epmd_pid); then
        echo "$pid" >"$base/epmd.pid"
        return 0
    fi
    epmd=$(command -v epmd || true)
    [[ -n $epmd ]] || epmd=$(find /usr/lib/erlang -path '*/bin/epmd' -type f 2>/dev/null | head -n 1)
    [[ -n $epmd ]] || portal_die "epmd not found (is erlang-base installed?)" || return 1
    if portal_port_open "$PORTAL_EPMD_PORT"; then
        portal_die "port $PORTAL_EPMD_PORT is taken by another program; set PORTAL_EPMD_PORT" || return 1
    fi
    setsid "$epmd" -port "$PORTAL_EPMD_PORT" -address 127.0.0.1 >"$base/epmd.out" 2>&1 </dev/null &
    echo $! >"$base/epmd.pid"
    for _ in $(seq 50); do
        portal_port_open "$PORTAL_EPMD_PORT" && return 0
        sleep 0.1
    done
    portal_show_log_tail "$base/epmd.out"
    portal_die "epmd did not listen on port $PORTAL_EPMD_PORT"
}

_portal_stop_epmd() {
    local base pid
    base=$(_portal_rabbit_dir)
    if pid=$(_portal_epmd_pid); then
        portal_terminate 5 "$pid"
    fi
    rm -f -- "$base/epmd.pid"
}

# Pid of the live rabbitmq-server launcher script we started, or nothing.
_portal_rabbit_launcher_pid() {
    local pid
    pid=$(cat "$(_portal_rabbit_dir)/server.pid" 2>/dev/null) || return 0
    if portal_alive "$pid" && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *rabbitmq-server* ]]; then
        echo "$pid"
    fi
}

# Pid of the live Erlang VM running the broker (written by the broker early
# in its boot), or nothing.
_portal_rabbit_vm_pid() {
    local pid
    pid=$(cat "$(_portal_rabbit_dir)/rabbitmq.pid" 2>/dev/null) || return 0
    if portal_pid_is "$pid" beam.smp; then echo "$pid"; fi
}

_portal_rabbit_pids() {
    _portal_rabbit_launcher_pid
    _portal_rabbit_vm_pid
}

_portal_rabbit_ping() {
    portal_rabbit rabbitmq-diagnostics -q ping -t 5 >/dev/null 2>&1
}

portal_start_rabbitmq() {
    local base started deadline
    base=$(_portal_rabbit_dir)
    if [[ -n $(_portal_rabbit_pids) ]] && _portal_rabbit_ping; then
        return 0
    fi
    [[ -x $_portal_rabbit_bin/rabbitmq-server ]] ||
        portal_die "RabbitMQ is not installed (run portal_install_packages)" || return 1
    ((PORTAL_AMQP_DIST_PORT + 110 < 65536)) ||
        portal_die "PORTAL_AMQP_DIST_PORT=$PORTAL_AMQP_DIST_PORT leaves no room below 65536" || return 1
    started=$(portal_now)
    if [[ -z $(_portal_rabbit_pids) ]]; then
        local port
        for port in "$PORTAL_AMQP_PORT" "$PORTAL_AMQP_DIST_PORT"; do
            if portal_port_open "$port"; then
                portal_die "port $port is taken by another program; set PORTAL_AMQP_PORT / PORTAL_AMQP_DIST_PORT" || return 1
            fi
        done
        _portal_rabbit_write_config || return 1
        _portal_start_epmd || return 1
        _portal_rabbit_env
        rm -f -- "$base/rabbitmq.pid"
        # setsid: its own session, so a Ctrl-C meant for the calling script
        # does not reach the broker; deploy/run and deploy/stop stop it.
        env "${_portal_rabbit_envv[@]}" setsid "$_portal_rabbit_bin/rabbitmq-server" \
            >"$base/server.out" 2>&1 </dev/null &
        echo $! >"$base/server.pid"
    fi

    # `ping` answers about a second before the broker has booted, so it only
    # says the node is up; `await_startup` then waits for the broker itself.
    deadline=$((SECONDS + PORTAL_START_TIMEOUT))
    until _portal_rabbit_ping; do
        if [[ -z $(_portal_rabbit_pids) ]]; then
            portal_show_log_tail "$base/server.out" "$base/log/$PORTAL_RABBIT_NODE.log"
            portal_die "RabbitMQ exited while starting"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            portal_show_log_tail "$base/server.out" "$base/log/$PORTAL_RABBIT_NODE.log"
            portal_die "RabbitMQ did not answer ping within ${PORTAL_START_TIMEOUT}s"
            return 1
        fi
        sleep 0.5
    done
    if ! portal_rabbit rabbitmqctl -q await_startup --timeout "$PORTAL_START_TIMEOUT" >/dev/null 2>&1; then
        portal_show_log_tail "$base/server.out" "$base/log/$PORTAL_RABBIT_NODE.log"
        portal_die "RabbitMQ did not finish booting within ${PORTAL_START_TIMEOUT}s"
        return 1
    fi
    portal_log "RabbitMQ up on port $PORTAL_AMQP_PORT (node $PORTAL_RABBIT_NODE) in $(portal_elapsed "$started") s"
    _PORTAL_RABBIT_STARTED=1
}

# Stops the broker; with `--keep-epmd` leaves epmd running (for restarts).
#
# SIGTERM to the Erlang VM is a clean shutdown (queues and message stores are
# closed in order) and, unlike `rabbitmqctl shutdown`, needs neither the node
# name nor the CLI's second or so of start-up: 1.2 s against 2.5 s here.
portal_stop_rabbitmq() {
    local base launcher vm
    base=$(_portal_rabbit_dir)
    launcher=$(_portal_rabbit_launcher_pid)
    vm=$(_portal_rabbit_vm_pid)
    if [[ -n $vm || -n $launcher ]]; then
        # `rabbitmqctl shutdown` stops the node in about 2 s even with clients
        # connected, where a SIGTERM to the VM was seen to hang for a minute.
        # SIGTERM (then SIGKILL) remains the fallback when the CLI cannot reach it.
        portal_rabbit rabbitmqctl -q shutdown --timeout 30 >/dev/null 2>&1 || true
        # Without the VM's pid (not written yet) the launcher script passes
        # the SIGTERM on to the VM.
        portal_terminate "$PORTAL_START_TIMEOUT" "${vm:-$launcher}"
        if [[ -n $launcher ]]; then portal_terminate 5 "$launcher"; fi
        portal_log "RabbitMQ stopped"
    fi
    rm -f -- "$base/server.pid" "$base/rabbitmq.pid"
    [[ ${1:-} == --keep-epmd ]] || _portal_stop_epmd
}

portal_restart_rabbitmq() {
    portal_stop_rabbitmq --keep-epmd || return 1
    portal_start_rabbitmq
}

# ---------------------------------------------------------------------------
# Both, and status
# ---------------------------------------------------------------------------

# Each service's own broker login (Services/PortalCtl/BrokerCommand.swift says what each may
# do): the whole topology declared with the operator's login, then the logins imported in one
# call. The passwords are made once and kept in the state folder (mode 600).
portal_rabbit_users() {
    local bin=$1 dir
    dir="$(_portal_rabbit_dir)/logins"
    mkdir -p -m 700 -- "$dir"
    "$bin/portalctl" broker setup >/dev/null || return 1
    "$bin/portalctl" broker definitions --password-dir "$dir" >"$dir/definitions.json" || return 1
    portal_rabbit rabbitmqctl import_definitions "$dir/definitions.json" >/dev/null \
        || portal_die "RabbitMQ refused the services' logins ($dir/definitions.json)" || return 1
}

# `export <SERVICE>_AMQP_URL=…` lines: each service's own login (after portal_rabbit_users).
portal_service_amqp_env() {
    local name dir password
    dir="$(_portal_rabbit_dir)/logins"
    for name in "${PORTAL_SERVICES[@]}"; do
        password=$(<"$dir/portal-$name") || return 1
        printf 'export %s_AMQP_URL=amqp://portal-%s:%s@127.0.0.1:%s/\n' "${name^^}" "$name" "$password" "$PORTAL_AMQP_PORT"
    done
}

portal_start_infra() {
    mkdir -p -- "$PORTAL_STATE_DIR" "$PORTAL_DATA_DIR" || return 1
    portal_start_postgres || return 1
    portal_start_rabbitmq
}

portal_stop_infra() {
    local rc=0
    portal_stop_rabbitmq || rc=1
    portal_stop_postgres || rc=1
    return $rc
}

# Prints what runs; returns 0 when both PostgreSQL and RabbitMQ run, else 3
# (the LSB status code for "not running").
portal_infra_status() {
    local rc=0 home pid pids
    echo "state dir  $PORTAL_STATE_DIR"
    home=$(_portal_pg_home)
    if _portal_pg_running; then
        pid=$(head -n 1 "$home/data/postmaster.pid" 2>/dev/null) || pid='?'
        echo "postgres   running  pid $pid  $PORTAL_DATABASE_URL"
    else
        echo "postgres   stopped  (port $PORTAL_PG_PORT)"
        rc=3
    fi
    pids=$(_portal_rabbit_pids | tr '\n' ' ')
    if [[ -n $pids ]] && _portal_rabbit_ping; then
        echo "rabbitmq   running  pids ${pids% }  $PORTAL_AMQP_URL  node $PORTAL_RABBIT_NODE"
    elif [[ -n $pids ]]; then
        echo "rabbitmq   not answering  pids ${pids% }  node $PORTAL_RABBIT_NODE"
        rc=3
    else
        echo "rabbitmq   stopped  (port $PORTAL_AMQP_PORT)"
        rc=3
    fi
    if pid=$(_portal_epmd_pid); then
        echo "epmd       running  pid $pid  port $PORTAL_EPMD_PORT"
    else
        echo "epmd       stopped  (port $PORTAL_EPMD_PORT)"
    fi
    return $rc
}

# Prints `export NAME=value` lines for the PORTAL_* settings, for eval.
portal_print_env() {
    local name
    for name in "${PORTAL_ENV_VARS[@]}"; do
        printf 'export %s=%q\n' "$name" "${!name}"
    done
}

# Deletes the state dir (PostgreSQL's files too, where they live outside it).
# The processes must be stopped first.
portal_wipe_state() {
    local link="$PORTAL_STATE_DIR/postgres"
    local target
    if [[ -L $link ]]; then
        target=$(readlink -f -- "$link")
        # Only ever the folder _portal_pg_make_home made, whatever the link says.
        [[ $target == /var/tmp/portal-pg-* ]] && rm -rf -- "$target"
    fi
    rm -rf -- "$PORTAL_STATE_DIR"
}

# ---------------------------------------------------------------------------
# The services
# ---------------------------------------------------------------------------

# shellcheck disable=SC2034 # used by the scripts that source this file
PORTAL_SERVICES=(intake approval publishing feedback finance)

# HTTP ports of the services, each overridable (deploy/run exports them).
: "${INTAKE_HTTP_PORT:=8081}" "${APPROVAL_HTTP_PORT:=8082}" "${PUBLISHING_HTTP_PORT:=8083}"
: "${FEEDBACK_HTTP_PORT:=8084}" "${FINANCE_HTTP_PORT:=8085}"

# HTTP port of a service: the value of <NAME>_HTTP_PORT.
portal_service_port() {
    local var="${1^^}_HTTP_PORT"
    echo "${!var}"
}

_portal_service_pid_file() { echo "$PORTAL_STATE_DIR/pids/$1.pid"; }
portal_service_log() { echo "$PORTAL_STATE_DIR/logs/$1.log"; }

# Prints the pid of a running service, or fails.
portal_service_pid() {
    local pid
    pid=$(cat "$(_portal_service_pid_file "$1")" 2>/dev/null) || return 1
    portal_pid_is "$pid" "$1" && echo "$pid"
}

# Starts the executable $2/$1 in the background unless it already runs.
# Its output is appended to $PORTAL_STATE_DIR/logs/<name>.log.
portal_start_service() {
    local name=$1 bin_dir=$2 pid log
    if pid=$(portal_service_pid "$name"); then
        portal_log "$name already runs (pid $pid)"
        return 0
    fi
    [[ -x $bin_dir/$name ]] || portal_die "$bin_dir/$name does not exist; build first" || return 1
    mkdir -p -- "$PORTAL_STATE_DIR/pids" "$PORTAL_STATE_DIR/logs"
    log=$(portal_service_log "$name")
    printf '\n=== %s started by %s at %s ===\n' "$name" "${0##*/}" "$(date -Is)" >>"$log"
    # setsid: the service must not get the terminal's Ctrl-C directly; the
    # caller's trap stops the services in order, with SIGTERM.
    # Two malloc arenas, as the systemd units set: see deploy/systemd/portal-finance.service.
    MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} setsid "$bin_dir/$name" >>"$log" 2>&1 </dev/null &
    echo $! >"$(_portal_service_pid_file "$name")"
    _PORTAL_STARTED_SERVICES+=("$name")
}

# Stops the services named with SIGTERM, waits up to 20 s, then SIGKILL.
portal_stop_services() {
    local name pid pids=()
    for name in "$@"; do
        if pid=$(portal_service_pid "$name"); then
            pids+=("$pid")
        fi
    done
    if ((${#pids[@]})); then
        portal_log "stopping $*"
        portal_terminate 20 "${pids[@]}"
    fi
    for name in "$@"; do rm -f -- "$(_portal_service_pid_file "$name")"; done
}

# Stops every service with a pid file in the state dir.
portal_stop_all_services() {
    local file names=()
    for file in "$PORTAL_STATE_DIR"/pids/*.pid; do
        [[ -e $file ]] || continue
        file=${file##*/}
        names+=("${file%.pid}")
    done
    ((${#names[@]} == 0)) || portal_stop_services "${names[@]}"
}

# Waits until GET http://127.0.0.1:<port>/readyz answers 200 for every
# service named, or $1 seconds have passed. Prints the log tail of a service
# that died or never became ready.
portal_wait_ready() {
    local timeout=$1 name port code pending started
    shift
    pending=("$@")
    started=$(portal_now)
    local deadline=$((SECONDS + timeout))
    while ((${#pending[@]})); do
        local still=()
        for name in "${pending[@]}"; do
            port=$(portal_service_port "$name")
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz") || true
            if [[ $code == 200 ]]; then
                portal_log "$name ready on port $port after $(portal_elapsed "$started") s"
                continue
            fi
            if ! portal_service_pid "$name" >/dev/null; then
                portal_show_log_tail "$(portal_service_log "$name")"
                portal_die "$name exited before it was ready"
                return 1
            fi
            still+=("$name")
        done
        pending=("${still[@]}")
        ((${#pending[@]})) || break
        if ((SECONDS >= deadline)); then
            for name in "${pending[@]}"; do portal_show_log_tail "$(portal_service_log "$name")"; done
            portal_die "not ready after ${timeout}s: ${pending[*]}"
            return 1
        fi
        sleep 0.5
    done
}
