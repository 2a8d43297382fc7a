#!/usr/bin/env bash
# Starts rabbitmq-server and redis-server on free loopback ports, as the current user, with data in a temp
# folder; exports LLMQ_TEST_RABBITMQ_PORT / LLMQ_TEST_RABBITMQ_NODE / LLMQ_TEST_REDIS_PORT. Source it, then
# call start_local_servers; stop_local_servers undoes it (.ci/run and the queue benchmark use it).

# The Debian wrappers in /usr/sbin switch to the rabbitmq user (which cannot write our temp folder and reads
# another Erlang cookie); the scripts behind them run as us with ~/.erlang.cookie shared by server and rabbitmqctl.
llmq_rabbit_bin=/usr/lib/rabbitmq/bin
[ -x "$llmq_rabbit_bin/rabbitmq-server" ] || llmq_rabbit_bin="$(dirname "$(command -v rabbitmq-server)")"
llmq_servers_dir=""
llmq_rabbit_node=""

llmq_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_local_servers() {
  llmq_servers_dir="$(mktemp -d /tmp/llmq-servers.XXXXXX)"
  llmq_rabbit_node="llmq-$$@localhost"
  if [ ! -f "$HOME/.erlang.cookie" ]; then
    head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$HOME/.erlang.cookie"
    chmod 400 "$HOME/.erlang.cookie"
  fi

  local rabbit_port rabbit_dist_port redis_port dir="$llmq_servers_dir"
  rabbit_port="$(llmq_free_port)"
  rabbit_dist_port="$(llmq_free_port)"
  mkdir -p "$dir/mnesia" "$dir/log"
  printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users = none\ncollect_statistics_interval = 500\n' "$rabbit_port" > "$dir/rabbitmq.conf"
  echo '[].' > "$dir/enabled_plugins"
  RABBITMQ_NODENAME="$llmq_rabbit_node" RABBITMQ_NODE_PORT="$rabbit_port" RABBITMQ_DIST_PORT="$rabbit_dist_port" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    setsid "$llmq_rabbit_bin/rabbitmq-server" > "$dir/rabbitmq.out" 2>&1 < /dev/null &

  redis_port="$(llmq_free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --pidfile "$dir/redis.pid" --daemonize yes > /dev/null

  # await_startup fails at once until the node has registered with epmd, hence the retries.
  local attempt
  for attempt in $(seq 1 90); do
    if "$llmq_rabbit_bin/rabbitmqctl" -n "$llmq_rabbit_node" await_startup --timeout 60 > /dev/null 2>&1; then
      break
    fi
    if [ "$attempt" -eq 90 ]; then
      echo "rabbitmq-server did not start; its output:" >&2
      cat "$dir/rabbitmq.out" >&2
      return 1
    fi
    sleep 1
  done

  export LLMQ_TEST_RABBITMQ_PORT="$rabbit_port"
  export LLMQ_TEST_RABBITMQ_NODE="$llmq_rabbit_node"
  export LLMQ_TEST_REDIS_PORT="$redis_port"
}

stop_local_servers() {
  [ -n "$llmq_servers_dir" ] || return 0
  "$llmq_rabbit_bin/rabbitmqctl" -n "$llmq_rabbit_node" stop > /dev/null 2>&1 || true
  if [ -f "$llmq_servers_dir/redis.pid" ]; then
    kill "$(cat "$llmq_servers_dir/redis.pid")" 2> /dev/null || true
  fi
  rm -rf "$llmq_servers_dir"
  llmq_servers_dir=""
}
