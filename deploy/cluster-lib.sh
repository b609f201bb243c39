# shellcheck shell=bash
# deploy/cluster-lib.sh: a three-node RabbitMQ cluster and a PostgreSQL primary
# with a streaming replica, all as plain processes on this machine, for
# failover drills. Sourced by deploy/cluster; sources deploy/lib.sh itself.
#
# Each broker node and each PostgreSQL server is run by deploy/lib.sh's own
# functions, with lib.sh's settings (PORTAL_STATE_DIR, the ports, the node
# name) pointed at that node for the duration of one call:
#   _portal_cluster_on_node N CMD...   _portal_cluster_on_pg N CMD...
# so the dev instance's settings are never used, and never changed.
#
# Functions meant for callers:
#   portal_cluster_start_infra      portal_cluster_stop      portal_cluster_wipe
#   portal_cluster_start_rabbitmq   portal_cluster_stop_rabbitmq
#   portal_cluster_start_node N     portal_cluster_stop_node N [--kill]
#   portal_cluster_node_running N   portal_cluster_running_nodes
#   portal_cluster_wait_nodes COUNT portal_cluster_rabbit N TOOL ARGS...
#   portal_cluster_start_postgres   portal_cluster_stop_postgres
#   portal_cluster_pg_primary       portal_cluster_pg_replica
#   portal_cluster_pg_running N
#   portal_cluster_stop_primary     portal_cluster_promote [--force]
#   portal_cluster_rewind           portal_cluster_psql N ARGS...
#   portal_cluster_pg_wait_streaming
#   portal_cluster_amqp_url N       portal_cluster_export_env
#   portal_cluster_print_env        portal_cluster_status
#
# Layout of $PORTAL_CLUSTER_DIR:
#   rabbitmq/home/.erlang.cookie   the one cookie of all nodes and their CLI
#   rabbitmq/epmd.pid epmd.out     the one epmd of all nodes
#   r1/ r2/ r3/                    one node each, as deploy/lib.sh lays out a
#                                  state dir (rabbitmq/ inside; its home/ is a
#                                  link to the shared one)
#   pg1/ pg2/                      one PostgreSQL server each (postgres/ inside)
#   pg-primary                     which of them is the primary (1 or 2)

if ! declare -F portal_start_rabbitmq >/dev/null; then
    # shellcheck source=deploy/lib.sh
    source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
fi

# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

: "${PORTAL_CLUSTER_DIR:=$portal_root/.portal-cluster}"
[[ $PORTAL_CLUSTER_DIR == /* ]] || PORTAL_CLUSTER_DIR="$PWD/$PORTAL_CLUSTER_DIR"
# Three AMQP ports, for r1@localhost, r2@localhost and r3@localhost.
: "${PORTAL_CLUSTER_AMQP_PORTS:=36101 36102 36103}"
# Their Erlang distribution ports; the CLI tools of node N take the 11 ports
# from its distribution port + 100 (see _portal_rabbit_env in deploy/lib.sh).
: "${PORTAL_CLUSTER_DIST_PORTS:=}"
: "${PORTAL_CLUSTER_EPMD_PORT:=44371}"
# The first server is the primary at the start, the second its replica.
: "${PORTAL_CLUSTER_PG_PORTS:=55441 55442}"
# Three VMs booting at once on two busy cores take longer than one alone.
: "${PORTAL_CLUSTER_TIMEOUT:=120}"

read -r -a _portal_cluster_amqp_ports <<<"${PORTAL_CLUSTER_AMQP_PORTS//,/ }"
read -r -a _portal_cluster_pg_ports <<<"${PORTAL_CLUSTER_PG_PORTS//,/ }"
if [[ -n $PORTAL_CLUSTER_DIST_PORTS ]]; then
    read -r -a _portal_cluster_dist_ports <<<"${PORTAL_CLUSTER_DIST_PORTS//,/ }"
else
    _portal_cluster_dist_ports=()
    for _p in "${_portal_cluster_amqp_ports[@]}"; do _portal_cluster_dist_ports+=($((_p + 20000))); done
    unset _p
fi
PORTAL_CLUSTER_NODES=(1 2 3)

# Checks the settings once, before anything starts.
_portal_cluster_check_settings() {
    local p
    ((${#_portal_cluster_amqp_ports[@]} == 3 && ${#_portal_cluster_dist_ports[@]} == 3)) ||
        portal_die "PORTAL_CLUSTER_AMQP_PORTS and PORTAL_CLUSTER_DIST_PORTS need three ports each" || return 1
    ((${#_portal_cluster_pg_ports[@]} == 2)) ||
        portal_die "PORTAL_CLUSTER_PG_PORTS needs two ports" || return 1
    for p in "${_portal_cluster_amqp_ports[@]}" "${_portal_cluster_dist_ports[@]}" \
        "${_portal_cluster_pg_ports[@]}" "$PORTAL_CLUSTER_EPMD_PORT"; do
        [[ $p =~ ^[0-9]+$ ]] && ((p > 0 && p < 65536)) || portal_die "not a port: $p" || return 1
    done
    for p in "${_portal_cluster_dist_ports[@]}"; do
        ((p + 110 < 65536)) ||
            portal_die "distribution port $p leaves no room below 65536 for the CLI's ports; set PORTAL_CLUSTER_DIST_PORTS" || return 1
    done
}

_portal_cluster_node_name() { echo "r$1@localhost"; }

# ---------------------------------------------------------------------------
# Scopes: deploy/lib.sh's functions, aimed at one node or server
# ---------------------------------------------------------------------------

_portal_cluster_valid_node() {
    [[ $1 =~ ^[123]$ ]] || portal_die "no broker node '$1' (1, 2 or 3)"
}

_portal_cluster_on_node() {
    local n=$1
    shift
    _portal_cluster_valid_node "$n" || return 1
    local PORTAL_STATE_DIR="$PORTAL_CLUSTER_DIR/r$n"
    local PORTAL_AMQP_PORT=${_portal_cluster_amqp_ports[n - 1]}
    local PORTAL_AMQP_DIST_PORT=${_portal_cluster_dist_ports[n - 1]}
    local PORTAL_EPMD_PORT=$PORTAL_CLUSTER_EPMD_PORT
    local PORTAL_RABBIT_NODE
    PORTAL_RABBIT_NODE=$(_portal_cluster_node_name "$n")
    local PORTAL_START_TIMEOUT=$PORTAL_CLUSTER_TIMEOUT
    "$@"
}

# The part the nodes share: the cookie's home and epmd ($PORTAL_CLUSTER_DIR/rabbitmq).
_portal_cluster_on_shared() {
    local PORTAL_STATE_DIR=$PORTAL_CLUSTER_DIR
    local PORTAL_EPMD_PORT=$PORTAL_CLUSTER_EPMD_PORT
    "$@"
}

_portal_cluster_valid_pg() {
    [[ $1 =~ ^[12]$ ]] || portal_die "no PostgreSQL server '$1' (1 or 2)"
}

_portal_cluster_on_pg() {
    local n=$1
    shift
    _portal_cluster_valid_pg "$n" || return 1
    local PORTAL_STATE_DIR="$PORTAL_CLUSTER_DIR/pg$n"
    local PORTAL_PG_PORT=${_portal_cluster_pg_ports[n - 1]}
    # A failover drill is about durability: never the tests' fsync=off.
    local PORTAL_PG_FAST=0
    local PORTAL_START_TIMEOUT=$PORTAL_CLUSTER_TIMEOUT
    "$@"
}

# Installs what the cluster needs, when missing: a subset of deploy/lib.sh's
# list, since the services' build libraries are not needed here.
_portal_cluster_install_packages() {
    local saved=("${_portal_packages[@]}")
    _portal_packages=(rabbitmq-server postgresql)
    portal_install_packages || { _portal_packages=("${saved[@]}"); return 1; }
    _portal_packages=("${saved[@]}")
}

# ---------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------

# Runs a RabbitMQ CLI tool against node N: portal_cluster_rabbit 2 rabbitmqctl list_queues
portal_cluster_rabbit() {
    local n=$1
    shift
    _portal_cluster_on_node "$n" portal_rabbit "$@"
}

portal_cluster_amqp_url() {
    _portal_cluster_valid_node "$1" || return 1
    echo "amqp://guest:guest@127.0.0.1:${_portal_cluster_amqp_ports[$1 - 1]}/"
}

# True when node N's processes are alive and it answers ping.
portal_cluster_node_running() {
    _portal_cluster_on_node "$1" _portal_cluster_node_up
}
_portal_cluster_node_up() {
    [[ -n $(_portal_rabbit_pids) ]] && _portal_rabbit_ping
}

# The cookie and epmd, before any node starts: nodes started in parallel
# would otherwise race to create them.
_portal_cluster_prepare_shared() {
    local shared="$PORTAL_CLUSTER_DIR/rabbitmq" n
    mkdir -p -- "$shared/home" || return 1
    if [[ ! -s $shared/home/.erlang.cookie ]]; then
        # Random per cluster folder: no other node on the machine can join.
        (umask 077 && head -c 32 /dev/urandom | sha256sum | cut -c1-40 | tr -d '\n' >"$shared/home/.erlang.cookie")
    fi
    chmod 400 -- "$shared/home/.erlang.cookie"
    for n in "${PORTAL_CLUSTER_NODES[@]}"; do
        mkdir -p -- "$PORTAL_CLUSTER_DIR/r$n/rabbitmq" || return 1
        # deploy/lib.sh gives each node HOME=<its folder>/home: a link to the
        # shared one gives them all the same cookie.
        [[ -L $PORTAL_CLUSTER_DIR/r$n/rabbitmq/home ]] ||
            ln -s -- ../../rabbitmq/home "$PORTAL_CLUSTER_DIR/r$n/rabbitmq/home" || return 1
    done
    _portal_cluster_on_shared _portal_start_epmd
}

# Runs deploy/lib.sh's start (or stop) for the nodes given, all at once, and
# fails when one of them failed. All at once matters beyond speed: a node
# that was not the last of the cluster to stop waits at boot for one that was.
_portal_cluster_each_node() {
    local fn=$1 n rc=0 pid
    shift
    local pids=()
    for n in "$@"; do
        _portal_cluster_on_node "$n" "$fn" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
    return $rc
}

# Prints the cluster_status field $2 (running_nodes, disk_nodes) as seen from
# node $1, one node name a line.
_portal_cluster_status_field() {
    local json
    json=$(portal_cluster_rabbit "$1" rabbitmqctl -q cluster_status --formatter json 2>/dev/null) || return 1
    sed -n "s/.*\"$2\":\[\([^]]*\)\].*/\1/p" <<<"$json" | tr -d '"' | tr ',' '\n' | sed '/^$/d'
}

# The first node that answers, or fails.
_portal_cluster_live_node() {
    local n
    for n in "${PORTAL_CLUSTER_NODES[@]}"; do
        if portal_cluster_node_running "$n"; then
            echo "$n"
            return 0
        fi
    done
    return 1
}

# Prints the running nodes of the cluster, as a live node sees them.
portal_cluster_running_nodes() {
    local n
    n=$(_portal_cluster_live_node) || return 1
    _portal_cluster_status_field "$n" running_nodes
}

# Joins to the cluster every running node that is not a member yet (a fresh
# node is a cluster of its own). The seed is r1 when it runs.
_portal_cluster_join_missing() {
    local seed n members name
    seed=$(_portal_cluster_live_node) || portal_die "no broker node runs" || return 1
    members=$(_portal_cluster_status_field "$seed" disk_nodes) ||
        portal_die "cluster_status failed on $(_portal_cluster_node_name "$seed")" || return 1
    for n in "${PORTAL_CLUSTER_NODES[@]}"; do
        name=$(_portal_cluster_node_name "$n")
        grep -qxF "$name" <<<"$members" && continue
        portal_cluster_node_running "$n" || continue
        portal_log "joining $name to $(_portal_cluster_node_name "$seed")"
        # start_app on a joining node logs errors about connection tracking
        # tables of itself that are harmless: shown only when a step fails.
        local out step
        for step in stop_app "join_cluster $(_portal_cluster_node_name "$seed")" start_app; do
            # shellcheck disable=SC2086 # $step is a command and its argument
            if ! out=$(portal_cluster_rabbit "$n" rabbitmqctl -q $step 2>&1); then
                printf '%s\n' "$out" >&2
                portal_die "$name could not join the cluster ($step failed)"
                return 1
            fi
        done
    done
}

# Waits until a live node reports at least COUNT running nodes.
portal_cluster_wait_nodes() {
    local want=$1 deadline running
    deadline=$((SECONDS + PORTAL_CLUSTER_TIMEOUT))
    while :; do
        running=$(portal_cluster_running_nodes 2>/dev/null | wc -l) || running=0
        ((running >= want)) && return 0
        ((SECONDS < deadline)) || break
        sleep 1
    done
    portal_die "the cluster has $running running nodes, not $want, after ${PORTAL_CLUSTER_TIMEOUT}s"
}

# Starts the three nodes (no-op for those that run) and forms the cluster.
portal_cluster_start_rabbitmq() {
    local started
    started=$(portal_now)
    mkdir -p -- "$PORTAL_CLUSTER_DIR" || return 1
    _portal_cluster_prepare_shared || return 1
    _portal_cluster_each_node portal_start_rabbitmq "${PORTAL_CLUSTER_NODES[@]}" || return 1
    _portal_cluster_join_missing || return 1
    portal_cluster_wait_nodes 3 || return 1
    portal_log "RabbitMQ cluster of 3 running nodes in $(portal_elapsed "$started") s"
}

portal_cluster_stop_rabbitmq() {
    _portal_cluster_each_node _portal_cluster_stop_one "${PORTAL_CLUSTER_NODES[@]}" || return 1
    _portal_cluster_on_shared _portal_stop_epmd
}
_portal_cluster_stop_one() {
    [[ -n $(_portal_rabbit_pids) ]] || return 0
    portal_log "stopping $PORTAL_RABBIT_NODE"
    portal_stop_rabbitmq --keep-epmd
}

# Starts node N again; it rejoins the cluster it belonged to (or joins it,
# when its files are new).
portal_cluster_start_node() {
    local n=$1 started name
    _portal_cluster_valid_node "$n" && _portal_cluster_check_settings || return 1
    name=$(_portal_cluster_node_name "$n")
    started=$(portal_now)
    _portal_cluster_prepare_shared || return 1
    _portal_cluster_on_node "$n" portal_start_rabbitmq || return 1
    _portal_cluster_join_missing || return 1
    local deadline=$((SECONDS + PORTAL_CLUSTER_TIMEOUT)) running=
    until grep -qxF "$name" <<<"$running"; do
        ((SECONDS < deadline)) || portal_die "$name runs but the cluster does not count it" || return 1
        sleep 0.5
        running=$(portal_cluster_running_nodes 2>/dev/null) || running=
    done
    portal_log "$name is in the cluster after $(portal_elapsed "$started") s ($(wc -l <<<"$running") nodes running)"
}

# Stops node N: gracefully, or with --kill by SIGKILL to its Erlang VM (a crash).
portal_cluster_stop_node() {
    local n=$1 mode=${2:-}
    _portal_cluster_valid_node "$n" || return 1
    case $mode in
        "") _portal_cluster_on_node "$n" _portal_cluster_stop_one ;;
        --kill) _portal_cluster_on_node "$n" _portal_cluster_kill_one ;;
        *) portal_die "stop-node: unknown option $mode" ;;
    esac
}
_portal_cluster_kill_one() {
    local base vm launcher
    base=$(_portal_rabbit_dir)
    vm=$(_portal_rabbit_vm_pid)
    launcher=$(_portal_rabbit_launcher_pid)
    if [[ -z $vm ]]; then
        [[ -z $launcher ]] || portal_die "$PORTAL_RABBIT_NODE has no Erlang VM yet (still booting?)" || return 1
        portal_log "$PORTAL_RABBIT_NODE does not run"
        return 0
    fi
    portal_log "killing $PORTAL_RABBIT_NODE (SIGKILL to pid $vm)"
    kill -KILL "$vm"
    # The launcher script exits by itself once the VM is gone.
    portal_terminate 1 "$vm"
    if [[ -n $launcher ]]; then portal_terminate 5 "$launcher"; fi
    rm -f -- "$base/server.pid" "$base/rabbitmq.pid"
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

_portal_cluster_pg_data() { echo "$(_portal_pg_home)/data"; }

# Which server is the primary: 1 until a promotion said otherwise.
portal_cluster_pg_primary() {
    local n
    n=$(cat "$PORTAL_CLUSTER_DIR/pg-primary" 2>/dev/null) || n=1
    [[ $n == 2 ]] && echo 2 || echo 1
}
portal_cluster_pg_replica() { echo $((3 - $(portal_cluster_pg_primary))); }

portal_cluster_psql() {
    local n=$1
    shift
    _portal_cluster_on_pg "$n" _portal_psql "$@"
}

# t (in recovery: a replica), f (a primary), or fails when it does not answer.
_portal_cluster_pg_in_recovery() {
    portal_cluster_psql "$1" -d postgres -tAc 'select pg_is_in_recovery()' 2>/dev/null
}

portal_cluster_pg_running() { _portal_cluster_on_pg "$1" _portal_pg_running; }

# The settings of each server, rewritten before each start like deploy/lib.sh
# rewrites rabbitmq.conf. In a file of their own: pg_basebackup and pg_rewind
# copy the other server's files, this one included, over ours.
_portal_cluster_pg_write_conf() {
    local n=$1 data
    data=$(_portal_cluster_pg_data)
    [[ -f $data/postgresql.conf ]] || return 0
    {
        echo "# Written by deploy/cluster-lib.sh on each start; edit that file instead."
        echo "port = $PORTAL_PG_PORT"
        # application_name of its WAL receiver, so pg_stat_replication names it.
        echo "cluster_name = 'pg$n'"
        echo "fsync = on"
        # pg_rewind needs it to turn a former primary into a replica.
        echo "wal_log_hints = on"
        echo "hot_standby = on"
    } >"$data/portal-cluster.conf" || return 1
    grep -qxF "include_if_exists = 'portal-cluster.conf'" "$data/postgresql.conf" ||
        echo "include_if_exists = 'portal-cluster.conf'" >>"$data/postgresql.conf" || return 1
    if ((EUID == 0)); then chown postgres:postgres -- "$data/portal-cluster.conf"; fi
}

# Starts server N with deploy/lib.sh (initdb when it has no files yet).
_portal_cluster_pg_start_one() {
    local n=$1 hints
    if [[ -f $(_portal_cluster_pg_data)/PG_VERSION ]]; then
        _portal_pg_running || _portal_cluster_pg_write_conf "$n" || return 1
        portal_start_postgres || return 1
    else
        portal_start_postgres || return 1
    fi
    # A fresh initdb starts without our file; wal_log_hints only changes at a restart.
    hints=$(_portal_psql -d postgres -tAc 'show wal_log_hints') || return 1
    if [[ $hints != on ]]; then
        _portal_cluster_pg_write_conf "$n" || return 1
        portal_restart_postgres || return 1
    fi
}

# Makes server N a replica of server P from a fresh base backup.
_portal_cluster_pg_make_replica() {
    local n=$1 p=$2 bin home pport started
    bin=$(_portal_pg_bin) || return 1
    pport=${_portal_cluster_pg_ports[p - 1]}
    started=$(portal_now)
    _portal_pg_make_home || return 1
    home=$(_portal_pg_home)
    rm -rf -- "$home/data"
    if ! _portal_as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$home/data" \
        -R -X stream -c fast >"$home/basebackup.log" 2>&1; then
        portal_show_log_tail "$home/basebackup.log"
        portal_die "pg_basebackup from port $pport failed"
        return 1
    fi
    portal_log "base backup of pg$p taken for pg$n in $(portal_elapsed "$started") s"
}

# Waits until the primary reports the replica as streaming.
portal_cluster_pg_wait_streaming() {
    local p r state deadline
    p=$(portal_cluster_pg_primary)
    r=$(portal_cluster_pg_replica)
    deadline=$((SECONDS + PORTAL_CLUSTER_TIMEOUT))
    while :; do
        state=$(portal_cluster_psql "$p" -d postgres -tAc \
            "select state from pg_stat_replication where application_name = 'pg$r'" 2>/dev/null) || state=
        [[ $state == streaming ]] && return 0
        ((SECONDS < deadline)) || break
        sleep 0.2
    done
    portal_die "pg$r is not streaming from pg$p (state '${state:-none}') after ${PORTAL_CLUSTER_TIMEOUT}s"
}

# Starts the primary, then the replica (taking its base backup the first
# time), and waits until it streams. A former primary is left stopped: started
# as it is it would be a second primary; portal_cluster_rewind turns it into
# a replica.
portal_cluster_start_postgres() {
    local p r started rdata
    started=$(portal_now)
    p=$(portal_cluster_pg_primary)
    r=$(portal_cluster_pg_replica)
    _portal_cluster_on_pg "$p" _portal_cluster_pg_start_one "$p" || return 1
    rdata=$(_portal_cluster_on_pg "$r" _portal_cluster_pg_data)
    if ! portal_cluster_pg_running "$r"; then
        if [[ ! -f $rdata/PG_VERSION ]]; then
            _portal_cluster_on_pg "$r" _portal_cluster_pg_make_replica "$r" "$p" || return 1
        elif [[ ! -f $rdata/standby.signal ]]; then
            portal_log "pg$r is a former primary and stays stopped; 'deploy/cluster rewind' makes it a replica of pg$p"
            return 0
        fi
        _portal_cluster_on_pg "$r" _portal_cluster_pg_start_one "$r" || return 1
    fi
    [[ $(_portal_cluster_pg_in_recovery "$r") == t ]] ||
        portal_die "pg$r runs but is not a replica: two primaries (pg$p is recorded as the primary)" || return 1
    portal_cluster_pg_wait_streaming || return 1
    portal_log "PostgreSQL primary pg$p, replica pg$r streaming, in $(portal_elapsed "$started") s"
}

portal_cluster_stop_postgres() {
    local rc=0
    # The replica first, so that it does not log the primary going away.
    _portal_cluster_on_pg "$(portal_cluster_pg_replica)" portal_stop_postgres || rc=1
    _portal_cluster_on_pg "$(portal_cluster_pg_primary)" portal_stop_postgres || rc=1
    return $rc
}

portal_cluster_stop_primary() {
    local p
    p=$(portal_cluster_pg_primary)
    if ! portal_cluster_pg_running "$p"; then
        portal_log "the primary pg$p does not run"
        return 0
    fi
    portal_log "stopping the primary pg$p"
    _portal_cluster_on_pg "$p" portal_stop_postgres
}

# Promotes the replica. Refuses while the primary runs, since nothing would
# fence it (two primaries), unless --force.
portal_cluster_promote() {
    local p r bin data started deadline
    p=$(portal_cluster_pg_primary)
    r=$(portal_cluster_pg_replica)
    [[ -z ${1:-} || $1 == --force ]] || portal_die "promote: unknown option $1" || return 1
    if portal_cluster_pg_running "$p" && [[ ${1:-} != --force ]]; then
        portal_die "the primary pg$p still runs; stop it first (deploy/cluster stop-primary) or pass --force" || return 1
    fi
    [[ $(_portal_cluster_pg_in_recovery "$r") == t ]] ||
        portal_die "pg$r is not a running replica" || return 1
    if portal_cluster_pg_running "$p"; then
        portal_log "pg$p still runs: two primaries until it stops (deploy/cluster rewind stops it and makes it a replica)"
    fi
    bin=$(_portal_pg_bin) || return 1
    data=$(_portal_cluster_on_pg "$r" _portal_cluster_pg_data)
    started=$(portal_now)
    _portal_as_pg "$bin/pg_ctl" -D "$data" -w -t "$PORTAL_CLUSTER_TIMEOUT" promote >/dev/null ||
        portal_die "pg_ctl promote failed on pg$r" || return 1
    deadline=$((SECONDS + PORTAL_CLUSTER_TIMEOUT))
    until [[ $(_portal_cluster_pg_in_recovery "$r") == f ]]; do
        ((SECONDS < deadline)) || portal_die "pg$r still in recovery after ${PORTAL_CLUSTER_TIMEOUT}s" || return 1
        sleep 0.05
    done
    echo "$r" >"$PORTAL_CLUSTER_DIR/pg-primary"
    portal_log "pg$r promoted to primary in $(portal_elapsed "$started") s"
}

# Turns the former primary into a replica of the current primary (pg_rewind,
# which is what wal_log_hints is on for), and starts it. A former primary that
# still runs (after promote --force) is stopped first: what it took in since
# the promotion is given up, which is the point of rewinding it.
portal_cluster_rewind() {
    local p r data
    p=$(portal_cluster_pg_primary)
    r=$(portal_cluster_pg_replica)
    portal_cluster_pg_running "$p" || portal_die "the primary pg$p does not run" || return 1
    if portal_cluster_pg_running "$r"; then
        if [[ $(_portal_cluster_pg_in_recovery "$r") == t ]]; then
            portal_log "pg$r already runs as a replica"
            return 0
        fi
        portal_log "pg$r runs as a second primary; stopping it"
        _portal_cluster_on_pg "$r" portal_stop_postgres || return 1
    fi
    data=$(_portal_cluster_on_pg "$r" _portal_cluster_pg_data)
    [[ -f $data/PG_VERSION ]] || portal_die "pg$r has no files; start-infra makes a new replica" || return 1
    if [[ ! -f $data/standby.signal ]]; then
        _portal_cluster_on_pg "$r" _portal_cluster_pg_rewind_one "$r" "$p" || return 1
    fi
    _portal_cluster_on_pg "$r" _portal_cluster_pg_start_one "$r" || return 1
    portal_cluster_pg_wait_streaming || return 1
    portal_log "pg$r streams from pg$p"
}

# Rewinds server N (stopped) to the timeline of the primary P; -R makes it a
# standby of P. Starts nothing.
_portal_cluster_pg_rewind_one() {
    local n=$1 p=$2 bin home started
    bin=$(_portal_pg_bin) || return 1
    home=$(_portal_pg_home)
    started=$(portal_now)
    if ! _portal_as_pg "$bin/pg_rewind" -D "$home/data" -R \
        --source-server="host=127.0.0.1 port=${_portal_cluster_pg_ports[p - 1]} user=postgres dbname=postgres" \
        >"$home/rewind.log" 2>&1; then
        portal_show_log_tail "$home/rewind.log"
        portal_die "pg_rewind of pg$n failed"
        return 1
    fi
    portal_log "pg$n rewound to pg$p's timeline in $(portal_elapsed "$started") s"
}

# ---------------------------------------------------------------------------
# All of it
# ---------------------------------------------------------------------------

portal_cluster_start_infra() {
    local started
    started=$(portal_now)
    _portal_cluster_check_settings || return 1
    _portal_cluster_install_packages || return 1
    mkdir -p -- "$PORTAL_CLUSTER_DIR" || return 1
    portal_cluster_start_postgres || return 1
    portal_cluster_start_rabbitmq || return 1
    portal_log "cluster infrastructure ready in $(portal_elapsed "$started") s ($PORTAL_CLUSTER_DIR)"
}

portal_cluster_stop() {
    local rc=0
    [[ -d $PORTAL_CLUSTER_DIR ]] || return 0
    portal_cluster_stop_rabbitmq || rc=1
    portal_cluster_stop_postgres || rc=1
    return $rc
}

portal_cluster_wipe() {
    local n
    [[ $PORTAL_CLUSTER_DIR != / && $PORTAL_CLUSTER_DIR != "$portal_root" ]] ||
        portal_die "refusing to delete $PORTAL_CLUSTER_DIR" || return 1
    portal_cluster_stop || return 1
    # deploy/lib.sh may have put a server's files under /var/tmp, linked from its folder.
    for n in 1 2; do _portal_cluster_on_pg "$n" portal_wipe_state; done
    rm -rf -- "$PORTAL_CLUSTER_DIR"
    portal_log "removed $PORTAL_CLUSTER_DIR"
}

# Sets and exports PORTAL_AMQP_URL (all three nodes, comma-separated) and
# PORTAL_DATABASE_URL (both servers; libpq connects to the one that takes writes).
# deploy/lib.sh sets both from its own ports when sourced: call this after it.
portal_cluster_export_env() {
    local n urls=() hosts=() port
    for n in "${PORTAL_CLUSTER_NODES[@]}"; do urls+=("$(portal_cluster_amqp_url "$n")"); done
    for port in "${_portal_cluster_pg_ports[@]}"; do hosts+=("127.0.0.1:$port"); done
    PORTAL_AMQP_URL=$(IFS=,; echo "${urls[*]}")
    PORTAL_DATABASE_URL="postgresql://postgres@$(IFS=,; echo "${hosts[*]}")/$_portal_pg_db?target_session_attrs=read-write"
    export PORTAL_AMQP_URL PORTAL_DATABASE_URL
}

portal_cluster_print_env() {
    portal_cluster_export_env
    # Single quotes: the values are made of our ports only, and stay readable.
    printf "export %s='%s'\n" PORTAL_AMQP_URL "$PORTAL_AMQP_URL" PORTAL_DATABASE_URL "$PORTAL_DATABASE_URL"
}

# Prints what runs; returns 0 when three nodes, a primary and a streaming
# replica run, else 3.
portal_cluster_status() {
    local rc=0 n live running pid p state
    echo "cluster dir  $PORTAL_CLUSTER_DIR"
    for n in "${PORTAL_CLUSTER_NODES[@]}"; do
        pid=$(_portal_cluster_on_node "$n" _portal_rabbit_vm_pid)
        if portal_cluster_node_running "$n"; then
            printf '%-12s running  pid %s  %s\n' "$(_portal_cluster_node_name "$n")" "${pid:-?}" "$(portal_cluster_amqp_url "$n")"
            live=${live:-$n}
        else
            printf '%-12s stopped  (port %s)\n' "$(_portal_cluster_node_name "$n")" "${_portal_cluster_amqp_ports[n - 1]}"
        fi
    done
    if [[ -n ${live:-} ]] && running=$(_portal_cluster_status_field "$live" running_nodes); then
        echo "cluster      $(wc -l <<<"$running") running: $(tr '\n' ' ' <<<"$running")(per $(_portal_cluster_node_name "$live"))"
        (($(wc -l <<<"$running") == 3)) || rc=3
    else
        echo "cluster      no node answers"
        rc=3
    fi
    if pid=$(_portal_cluster_on_shared _portal_epmd_pid); then
        echo "epmd         running  pid $pid  port $PORTAL_CLUSTER_EPMD_PORT"
    else
        echo "epmd         stopped  (port $PORTAL_CLUSTER_EPMD_PORT)"
    fi

    p=$(portal_cluster_pg_primary)
    for n in 1 2; do
        local port=${_portal_cluster_pg_ports[n - 1]} data
        data=$(_portal_cluster_on_pg "$n" _portal_cluster_pg_data)
        case $(_portal_cluster_pg_in_recovery "$n") in
            f) state=primary ;;
            t) state=replica ;;
            *)
                if [[ ! -f $data/PG_VERSION ]]; then
                    state="stopped  (no files)"
                elif [[ -f $data/standby.signal ]]; then
                    state="stopped  (a replica)"
                elif ((n == p)); then
                    state="stopped  (the primary)"
                else
                    state="stopped  (a former primary: 'deploy/cluster rewind' makes it a replica)"
                fi
                rc=3
                ;;
        esac
        printf 'pg%-10s port %s  %s\n' "$n" "$port" "$state"
        if [[ $state == primary ]]; then
            local rows
            rows=$(portal_cluster_psql "$n" -d postgres -tA -F ' ' -c \
                "select application_name, state, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint,
                        coalesce(round(extract(epoch from replay_lag) * 1000, 1)::text, '-')
                   from pg_stat_replication order by application_name") || rows=
            if [[ -z $rows ]]; then
                echo "             no replica streams from pg$n"
                rc=3
            fi
            local name rstate bytes ms
            while read -r name rstate bytes ms; do
                [[ -n $name ]] || continue
                # replay_lag is null once the replica has caught up and nothing is written.
                [[ $ms == - ]] && ms="none measured" || ms="$ms ms"
                echo "             -> $name $rstate, behind by $bytes bytes of WAL, replay lag $ms"
            done <<<"$rows"
        fi
    done
    return $rc
}
