# The OTP reference workloads PoolTUI's pool-bench mirrors, kept in the project so that
# Scripts/compare-otp.sh runs on a fresh clone. Copied from the team's shared anchors
# (beam-bench.exs), with one section added (`messages`: casts, ping-pong, skynet, and the
# Bench.Counter server they use); measured figures are in the README.
#
# bench.exs -- reference numbers for Erlang/OTP + Elixir Registry / DynamicSupervisor
# workloads (the BEAM baseline for a Swift supervision/registry library).
#
# Run:   elixir --erl "+P 5000000" bench.exs
#
# Only OTP/Elixir stdlib. Every emitted line is `name value unit`, where value is the
# median over 5 repetitions (REPS). Lines starting with '#' are context (setup times,
# per-rep values, correctness checks) and are not measurements themselves.
# All timed loops live inside compiled module functions (top-level .exs code is
# interpreted by erl_eval and must not be inside a timed region).
#
# Optional env: BENCH_IDLE_N (default 1_000_000) for section 8.

defmodule Bench.Worker do
  use GenServer

  def start_link(id),
    do: GenServer.start_link(__MODULE__, id, name: {:via, Registry, {Bench.R, id}})

  @impl true
  def init(id), do: {:ok, id}

  @impl true
  def handle_call(:ping, _from, s), do: {:reply, :pong, s}
end

defmodule Bench.Counter do
  use GenServer

  @impl true
  def init(_), do: {:ok, 0}

  @impl true
  def handle_cast(:hit, n), do: {:noreply, n + 1}

  @impl true
  def handle_call(:count, _from, n), do: {:reply, n, n}
end

defmodule Bench do
  @reg Bench.R
  @reps 5
  alias Bench.Worker, as: W

  # ---------------------------------------------------------------- helpers
  def now, do: :erlang.monotonic_time(:nanosecond)

  def time_ns(fun) do
    t0 = now()
    r = fun.()
    {now() - t0, r}
  end

  def median(xs) do
    s = Enum.sort(xs)
    n = length(s)

    if rem(n, 2) == 1,
      do: Enum.at(s, div(n, 2)),
      else: (Enum.at(s, div(n, 2) - 1) + Enum.at(s, div(n, 2))) / 2
  end

  # nearest-rank percentile over a list of samples
  def pctl(samples, p) do
    t = samples |> Enum.sort() |> List.to_tuple()
    n = tuple_size(t)
    elem(t, max(ceil(p * n) - 1, 0))
  end

  def fmt(v) when is_integer(v), do: Integer.to_string(v)
  def fmt(v) when is_float(v) and abs(v) >= 100, do: :erlang.float_to_binary(v, decimals: 1)
  def fmt(v) when is_float(v), do: :erlang.float_to_binary(v, decimals: 3)
  def fmt(v), do: inspect(v)

  def emit(name, value, unit), do: IO.puts("#{name} #{fmt(value)} #{unit}")
  def info(s), do: IO.puts("# " <> s)

  # fun.(rep) -> number ; emits the median and logs all reps
  def run_reps(name, unit, fun) do
    vals = for r <- 1..@reps, do: fun.(r)
    report(name, unit, vals)
  end

  def report(name, unit, vals) do
    info("#{name} reps=[#{Enum.map_join(vals, ", ", &fmt/1)}]")
    emit(name, median(vals), unit)
  end

  # fun.(rep) -> map of name => number ; emits the median of each key
  def run_reps_multi(specs, fun) do
    results = for r <- 1..@reps, do: fun.(r)
    for {name, unit} <- specs, do: report(name, unit, Enum.map(results, & &1[name]))
  end

  def wait_until(f) do
    if f.(), do: :ok, else: (Process.sleep(1); wait_until(f))
  end

  def wait_n(_msg, 0), do: :ok
  def wait_n(msg, n), do: (receive do ^msg -> wait_n(msg, n - 1) end)

  def rand_keys(n, base, space), do: for(_ <- 1..n, do: base + :rand.uniform(space) - 1)

  def describe_links do
    {:links, links} = Process.info(self(), :links)

    Enum.map_join(links, ", ", fn p ->
      case Process.info(p, [:registered_name, :dictionary]) do
        nil -> "#{inspect(p)}(dead)"
        i -> "#{inspect(p)}(#{inspect(i[:registered_name])} #{inspect(i[:dictionary][:"$initial_call"])})"
      end
    end)
  end

  def gc_all, do: Enum.each(Process.list(), &:erlang.garbage_collect/1)

  def mb(bytes), do: Float.round(bytes / 1_048_576, 1)

  # ------------------------------------------------------- registry / sup lifecycle
  def start_reg do
    wait_until(fn -> Process.whereis(@reg) == nil and :ets.whereis(@reg) == :undefined end)
    {:ok, pid} = Registry.start_link(keys: :unique, name: @reg, partitions: 1)
    pid
  end

  def stop_reg(pid) do
    :ok = Supervisor.stop(pid)
    wait_until(fn -> Process.whereis(@reg) == nil and :ets.whereis(@reg) == :undefined end)
  end

  def start_sup(opts \\ []) do
    {:ok, sup} = DynamicSupervisor.start_link([strategy: :one_for_one] ++ opts)
    sup
  end

  # Fast teardown: kill registry partition, registry supervisor and the DynamicSupervisor
  # (workers die through their links). NOT DynamicSupervisor.stop/1: in Elixir 1.14 its
  # shutdown is quadratic in the number of children (see section "extra" below), which made
  # a single 100k-child stop take tens of seconds.
  def teardown(sup, reg) do
    part = partition_pid()
    Process.unlink(sup)
    Process.unlink(reg)
    refs = for p <- [part, reg, sup], do: {p, Process.monitor(p)}
    for {p, _} <- refs, do: Process.exit(p, :kill)
    for {p, r} <- refs, do: (receive do: ({:DOWN, ^r, :process, ^p, _} -> :ok))
    wait_until(fn -> Process.whereis(@reg) == nil and :ets.whereis(@reg) == :undefined end)
    base = :persistent_term.get(:bench_base_procs)
    wait_until(fn -> :erlang.system_info(:process_count) <= base end)
  end

  def partition_pid do
    [{-1, {_, _, _, {pid, _}, _}}] = :ets.lookup(@reg, -1)
    pid
  end

  def temp_spec(id),
    do: %{id: W, start: {W, :start_link, [id]}, restart: :temporary}

  # ---------------------------------------------------------------- loops
  def lookup_loop([], hits), do: hits

  def lookup_loop([k | t], hits) do
    case Registry.lookup(@reg, k) do
      [] -> lookup_loop(t, hits)
      [_] -> lookup_loop(t, hits + 1)
    end
  end

  def reg_unreg_loop(i, stop) when i >= stop, do: :ok

  def reg_unreg_loop(i, stop) do
    {:ok, _} = Registry.register(@reg, i, nil)
    :ok = Registry.unregister(@reg, i)
    reg_unreg_loop(i + 1, stop)
  end

  # GenRegistry-style lookup_or_start
  def lookup_or_start(sup, id) do
    case Registry.lookup(@reg, id) do
      [{pid, _}] ->
        {:hit, pid}

      [] ->
        case DynamicSupervisor.start_child(sup, {W, id}) do
          {:ok, pid} -> {:started, pid}
          {:error, {:already_started, pid}} -> {:raced, pid}
        end
    end
  end

  def los_list(_sup, [], hits), do: hits

  def los_list(sup, [id | t], hits) do
    case lookup_or_start(sup, id) do
      {:hit, _} -> los_list(sup, t, hits + 1)
      _ -> los_list(sup, t, hits)
    end
  end

  def los_range(_sup, i, stop, started) when i >= stop, do: started

  def los_range(sup, i, stop, started) do
    case lookup_or_start(sup, i) do
      {:started, _} -> los_range(sup, i + 1, stop, started + 1)
      _ -> los_range(sup, i + 1, stop, started)
    end
  end

  def start_n(_sup, i, stop) when i >= stop, do: :ok

  def start_n(sup, i, stop) do
    {:ok, _} = DynamicSupervisor.start_child(sup, {W, i})
    start_n(sup, i + 1, stop)
  end

  def churn_loop(_sup, i, stop) when i >= stop, do: :ok

  def churn_loop(sup, i, stop) do
    {:ok, pid} = DynamicSupervisor.start_child(sup, {W, i})
    :ok = DynamicSupervisor.terminate_child(sup, pid)
    churn_loop(sup, i + 1, stop)
  end

  def call_loop(_server, 0), do: :ok

  def call_loop(server, n) do
    :pong = GenServer.call(server, :ping)
    call_loop(server, n - 1)
  end

  def poll_gone(key) do
    case Registry.lookup(@reg, key) do
      [] -> :ok
      _ -> poll_gone(key)
    end
  end

  def poll_new(key, old) do
    case Registry.lookup(@reg, key) do
      [{p, _}] when p != old -> p
      _ -> poll_new(key, old)
    end
  end

  # n concurrent caller processes, each doing `n` random hit lookups; barrier start.
  def concurrent_lookup(ncallers, n, nkeys, rep) do
    parent = self()

    pids =
      for i <- 1..ncallers do
        spawn_link(fn ->
          :rand.seed(:exsss, {rep, i, 7})
          keys = rand_keys(n, 0, nkeys)
          send(parent, {:ready, self()})
          receive do: (:go -> :ok)
          hits = lookup_loop(keys, 0)
          send(parent, {:done, self(), hits})
        end)
      end

    for p <- pids, do: (receive do: ({:ready, ^p} -> :ok))
    t0 = now()
    for p <- pids, do: send(p, :go)
    hits = for p <- pids, do: (receive do: ({:done, ^p, h} -> h))
    t = now() - t0
    {t, Enum.sum(hits)}
  end

  # ============================================================ sections
  def header do
    otp_full =
      case File.read(
             Path.join([:code.root_dir(), "releases", System.otp_release(), "OTP_VERSION"])
           ) do
        {:ok, v} -> String.trim(v)
        _ -> System.otp_release()
      end

    info("elixir #{System.version()} | OTP #{otp_full} | erts #{:erlang.system_info(:version)}")
    info(String.trim(to_string(:erlang.system_info(:system_version))))

    info("bench process links at start: #{describe_links()}")

    info(
      "schedulers_online=#{:erlang.system_info(:schedulers_online)} " <>
        "logical_processors=#{:erlang.system_info(:logical_processors)} " <>
        "process_limit=#{:erlang.system_info(:process_limit)} reps=#{@reps} (value = median of reps)"
    )
  end

  # 1, 2, 3
  def sec_registry do
    n = 1_000_000
    nkeys = 100_000
    reg = start_reg()
    {t, pids} = time_ns(fn -> spawn_registrants(0..(nkeys - 1)) end)
    info("[1-3] setup: #{nkeys} keys registered by #{nkeys} distinct idle processes in #{fmt(t / 1.0e6)} ms; Registry.count=#{Registry.count(@reg)}")
    :rand.seed(:exsss, {1, 2, 3})
    hit_keys = rand_keys(n, 0, nkeys)
    # keys 100_000..199_999 are never registered
    miss_keys = rand_keys(n, nkeys, nkeys)
    _ = lookup_loop(Enum.take(hit_keys, 100_000), 0)
    _ = lookup_loop(Enum.take(miss_keys, 100_000), 0)

    run_reps("registry_lookup_hit", "ns/op", fn _ ->
      {t, hits} = time_ns(fn -> lookup_loop(hit_keys, 0) end)
      ^n = hits
      t / n
    end)

    run_reps("registry_lookup_miss", "ns/op", fn _ ->
      {t, hits} = time_ns(fn -> lookup_loop(miss_keys, 0) end)
      0 = hits
      t / n
    end)

    run_reps("registry_lookup_hit_1caller_spawned", "ops/s", fn r ->
      {t, total} = concurrent_lookup(1, n, nkeys, r)
      ^n = total
      total / (t / 1.0e9)
    end)

    run_reps("registry_lookup_hit_2callers", "ops/s", fn r ->
      {t, total} = concurrent_lookup(2, n, nkeys, r)
      true = total == 2 * n
      total / (t / 1.0e9)
    end)

    # 3: register+unregister of distinct keys, with the 100k keys above still present
    reg_unreg_loop(50_000_000, 50_000_000 + 100_000)

    run_reps("registry_register_unregister", "ns/pair", fn r ->
      base = 10_000_000 + r * n
      {t, :ok} = time_ns(fn -> reg_unreg_loop(base, base + n) end)
      t / n
    end)

    info("[3] after register/unregister: Registry.count=#{Registry.count(@reg)} (expected #{nkeys}); bench process links: #{describe_links()}")
    Enum.each(pids, &Process.exit(&1, :kill))
    wait_until(fn -> Registry.count(@reg) == 0 end)
    stop_reg(reg)
  end

  def spawn_registrants(range) do
    parent = self()

    pids =
      for k <- range do
        spawn(fn ->
          {:ok, _} = Registry.register(@reg, k, nil)
          send(parent, :registered)
          receive do: (:stop -> :ok)
        end)
      end

    wait_n(:registered, Enum.count(range))
    pids
  end

  # 4 + 9
  def sec_lookup_or_start do
    nw = 100_000

    # (b) all misses: 100k fresh workers per rep, fresh registry+supervisor per rep
    run_reps("lookup_or_start_miss_start", "us/start", fn _ ->
      reg = start_reg()
      sup = start_sup()
      {t, started} = time_ns(fn -> los_range(sup, 0, nw, 0) end)
      ^nw = started
      ^nw = Registry.count(@reg)
      %{active: ^nw} = DynamicSupervisor.count_children(sup)
      teardown(sup, reg)
      t / nw / 1000
    end)

    # (a) all hits over 100k existing workers (1M random ids from the 100k)
    reg = start_reg()
    sup = start_sup()
    {t, ^nw} = time_ns(fn -> los_range(sup, 0, nw, 0) end)
    info("[4a] setup: started #{nw} workers via lookup_or_start in #{fmt(t / 1.0e6)} ms")
    n = 1_000_000
    :rand.seed(:exsss, {4, 5, 6})
    ids = rand_keys(n, 0, nw)
    _ = los_list(sup, Enum.take(ids, 100_000), 0)

    run_reps("lookup_or_start_hit", "ns/op", fn _ ->
      {t, hits} = time_ns(fn -> los_list(sup, ids, 0) end)
      ^n = hits
      t / n
    end)

    ^nw = Registry.count(@reg)
    %{active: ^nw} = DynamicSupervisor.count_children(sup)

    # 9: GenServer.call round trip, via-name vs pid (100k workers registered)
    nc = 500_000
    via = {:via, Registry, {@reg, 4242}}
    [{pid, _}] = Registry.lookup(@reg, 4242)
    call_loop(via, 50_000)
    call_loop(pid, 50_000)

    run_reps_multi([{"call_roundtrip_via", "ns/op"}, {"call_roundtrip_pid", "ns/op"}], fn _ ->
      {tv, :ok} = time_ns(fn -> call_loop(via, nc) end)
      {tp, :ok} = time_ns(fn -> call_loop(pid, nc) end)
      %{"call_roundtrip_via" => tv / nc, "call_roundtrip_pid" => tp / nc}
    end)

    info("[9] N=#{nc} calls per rep per variant, single caller, target worker id 4242 of #{nw}")
    teardown(sup, reg)

    # (c) 2 concurrent callers racing on the same 10k ids (same order)
    nr = 10_000
    parent = self()

    results =
      for _r <- 1..@reps do
        reg = start_reg()
        sup = start_sup()

        callers =
          for _ <- 1..2 do
            spawn_link(fn ->
              send(parent, {:ready, self()})
              receive do: (:go -> :ok)
              res = Enum.map(0..(nr - 1), fn id -> lookup_or_start(sup, id) end)
              send(parent, {:done, self(), res})
            end)
          end

        for p <- callers, do: (receive do: ({:ready, ^p} -> :ok))
        t0 = now()
        for p <- callers, do: send(p, :go)
        [ra, rb] = for p <- callers, do: (receive do: ({:done, ^p, res} -> res))
        t = now() - t0
        pids_a = Enum.map(ra, &elem(&1, 1))
        pids_b = Enum.map(rb, &elem(&1, 1))
        rcount = Registry.count(@reg)
        %{active: active} = DynamicSupervisor.count_children(sup)
        alive = Enum.count(Enum.uniq(pids_a), &Process.alive?/1)
        raced = Enum.count(ra ++ rb, &(elem(&1, 0) == :raced))
        started = Enum.count(ra ++ rb, &(elem(&1, 0) == :started))
        hits = Enum.count(ra ++ rb, &(elem(&1, 0) == :hit))
        ok = pids_a == pids_b and rcount == nr and active == nr and alive == nr and started == nr

        info("[4c] rep: registry_count=#{rcount} sup_active=#{active} distinct_alive_pids=#{alive} " <>
               "callers_agree=#{pids_a == pids_b} started=#{started} raced(already_started)=#{raced} hits=#{hits} verified=#{ok}")

        teardown(sup, reg)
        %{"t" => t, "ok" => ok}
      end

    report("lookup_or_start_race_2callers_10k_total", "ms", Enum.map(results, &(&1["t"] / 1.0e6)))
    report("lookup_or_start_race_2callers_per_id", "us/id", Enum.map(results, &(&1["t"] / nr / 1000)))
    emit("lookup_or_start_race_exactly_10000_workers_all_reps", Enum.all?(results, & &1["ok"]), "bool")
  end

  # 5
  def sec_kill_cleanup do
    nk = 10_000

    run_reps_multi(
      [
        {"kill_cleanup_lookup_gone_median", "us"},
        {"kill_cleanup_lookup_gone_p99", "us"},
        {"kill_down_median", "us"},
        {"kill_down_p99", "us"}
      ],
      fn _ ->
        reg = start_reg()
        sup = start_sup()
        for id <- 0..(2 * nk - 1), do: {:ok, _} = DynamicSupervisor.start_child(sup, temp_spec(id))

        gone =
          for id <- 0..(nk - 1) do
            [{pid, _}] = Registry.lookup(@reg, id)
            t0 = now()
            Process.exit(pid, :kill)
            poll_gone(id)
            now() - t0
          end

        down =
          for id <- nk..(2 * nk - 1) do
            [{pid, _}] = Registry.lookup(@reg, id)
            ref = Process.monitor(pid)
            t0 = now()
            Process.exit(pid, :kill)
            receive do: ({:DOWN, ^ref, :process, ^pid, :killed} -> :ok)
            now() - t0
          end

        wait_until(fn -> Registry.count(@reg) == 0 end)
        teardown(sup, reg)

        %{
          "kill_cleanup_lookup_gone_median" => median(gone) / 1000,
          "kill_cleanup_lookup_gone_p99" => pctl(gone, 0.99) / 1000,
          "kill_down_median" => median(down) / 1000,
          "kill_down_p99" => pctl(down, 0.99) / 1000
        }
      end
    )

    info("[5] #{nk} kill->lookup-empty samples + #{nk} separate kill->:DOWN samples per rep; :temporary workers; busy-poll Registry.lookup")
  end

  # 6
  def sec_restart do
    ns = 1000

    run_reps_multi([{"restart_latency_median", "us"}, {"restart_latency_p99", "us"}], fn _ ->
      reg = start_reg()
      sup = start_sup(max_restarts: 1_000_000, max_seconds: 1)
      spec = %{id: W, start: {W, :start_link, [:rk]}, restart: :permanent}
      {:ok, _} = DynamicSupervisor.start_child(sup, spec)

      samples =
        for _ <- 1..ns do
          [{old, _}] = Registry.lookup(@reg, :rk)
          t0 = now()
          Process.exit(old, :kill)
          _new = poll_new(:rk, old)
          now() - t0
        end

      %{active: 1} = DynamicSupervisor.count_children(sup)
      teardown(sup, reg)

      %{
        "restart_latency_median" => median(samples) / 1000,
        "restart_latency_p99" => pctl(samples, 0.99) / 1000
      }
    end)

    info("[6] #{ns} samples per rep: kill :permanent via-named worker -> Registry.lookup returns a new pid")
  end

  # 7
  def sec_churn do
    nc = 100_000

    run_reps_multi(
      [
        {"churn_start_stop", "cycles/s"},
        {"churn_registry_count_right_after", "keys"},
        {"churn_registry_cleanup_settle", "ms"},
        {"churn_mem_before", "bytes"},
        {"churn_mem_after", "bytes"},
        {"churn_mem_after_gc", "bytes"}
      ],
      fn _ ->
        reg = start_reg()
        sup = start_sup()
        gc_all()
        m0 = :erlang.memory(:total)
        {t, :ok} = time_ns(fn -> churn_loop(sup, 0, nc) end)
        c_now = Registry.count(@reg)
        {ts, :ok} = time_ns(fn -> wait_until(fn -> Registry.count(@reg) == 0 end) end)
        %{active: 0} = DynamicSupervisor.count_children(sup)
        m1 = :erlang.memory(:total)
        gc_all()
        m2 = :erlang.memory(:total)
        teardown(sup, reg)

        %{
          "churn_start_stop" => nc / (t / 1.0e9),
          "churn_registry_count_right_after" => c_now,
          "churn_registry_cleanup_settle" => ts / 1.0e6,
          "churn_mem_before" => m0,
          "churn_mem_after" => m1,
          "churn_mem_after_gc" => m2
        }
      end
    )

    info("[7] #{nc} sequential start_child+terminate_child cycles per rep; 'right_after' = Registry.count read immediately after the last terminate_child returned; settle = time until it reached 0; mem_after_gc = after garbage_collect of all processes")
  end

  # 8
  def sec_idle_memory do
    want = String.to_integer(System.get_env("BENCH_IDLE_N", "1000000"))
    limit = :erlang.system_info(:process_limit)

    n =
      if limit < want + 50_000 do
        info("[8] process_limit=#{limit} too low for #{want}; falling back to 200000 (run with --erl \"+P 5000000\")")
        200_000
      else
        want
      end

    run_reps_multi(
      [
        {"idle_process_memory_bytes_per_worker", "bytes/worker"},
        {"idle_process_memory_bytes_per_worker_raw", "bytes/worker"},
        {"idle_process_memory_processes_bytes_per_worker", "bytes/worker"},
        {"idle_process_memory_ets_bytes_per_worker", "bytes/worker"},
        {"idle_process_start_total", "s"},
        {"idle_process_start_per_worker", "us/worker"}
      ],
      fn _ ->
        reg = start_reg()
        sup = start_sup()
        gc_all()
        m0 = :erlang.memory()
        {t, :ok} = time_ns(fn -> start_n(sup, 0, n) end)
        m1 = :erlang.memory()
        ^n = Registry.count(@reg)
        %{active: ^n} = DynamicSupervisor.count_children(sup)
        Enum.each([self(), sup, partition_pid()], &:erlang.garbage_collect/1)
        m2 = :erlang.memory()
        [{wpid, _}] = Registry.lookup(@reg, 0)
        {:memory, wmem} = Process.info(wpid, :memory)
        {:memory, supmem} = Process.info(sup, :memory)
        info("[8] rep: n=#{n} total #{mb(m0[:total])}MB -> #{mb(m2[:total])}MB; process_info(worker,:memory)=#{wmem}B; supervisor process memory=#{mb(supmem)}MB; processes=#{:erlang.system_info(:process_count)}")
        {td, :ok} = time_ns(fn -> teardown(sup, reg) end)
        info("[8] rep: kill-based teardown of #{n} workers took #{fmt(td / 1.0e9)} s (not a measurement target)")

        %{
          "idle_process_memory_bytes_per_worker" => (m2[:total] - m0[:total]) / n,
          "idle_process_memory_bytes_per_worker_raw" => (m1[:total] - m0[:total]) / n,
          "idle_process_memory_processes_bytes_per_worker" => (m2[:processes] - m0[:processes]) / n,
          "idle_process_memory_ets_bytes_per_worker" => (m2[:ets] - m0[:ets]) / n,
          "idle_process_start_total" => t / 1.0e9,
          "idle_process_start_per_worker" => t / n / 1000
        }
      end
    )

    info("[8] n=#{n} idle GenServer workers per rep via DynamicSupervisor.start_child with {:via, Registry, ...} names; bytes_per_worker = delta :erlang.memory(:total) / n after GC of bench/supervisor/registry processes (raw = before that GC)")
  end

  # extra: DynamicSupervisor.stop/1 time vs number of children (documents the 1.14 shutdown cost)
  def sec_extra_shutdown do
    for nchildren <- [5_000, 10_000, 20_000] do
      run_reps("extra_dynsup_stop_#{nchildren}_children", "ms", fn _ ->
        reg = start_reg()
        sup = start_sup()
        :ok = start_n(sup, 0, nchildren)
        {t, :ok} = time_ns(fn -> :ok = DynamicSupervisor.stop(sup) end)
        wait_until(fn -> Registry.count(@reg) == 0 end)
        stop_reg(reg)
        t / 1.0e6
      end)
    end
  end

  # messages (added by PoolTUI, beside the shared anchors' workloads): casts one to one and
  # N to N, a ping-pong of plain messages, and skynet.
  def cast_loop(_server, 0), do: :ok

  def cast_loop(server, n) do
    GenServer.cast(server, :hit)
    cast_loop(server, n - 1)
  end

  def ping_loop(_peer, 0), do: :ok

  def ping_loop(peer, n) do
    send(peer, {:ping, self()})
    receive do: (:pong -> :ok)
    ping_loop(peer, n - 1)
  end

  def pong_loop do
    receive do
      {:ping, from} ->
        send(from, :pong)
        pong_loop()

      :stop ->
        :ok
    end
  end

  def skynet(parent, num, 1, _div), do: send(parent, {:sum, num})

  def skynet(parent, num, size, div) do
    child = div(size, div)
    me = self()
    for i <- 0..(div - 1), do: spawn(fn -> skynet(me, num + i * child, child, div) end)
    send(parent, {:sum, collect(div, 0)})
  end

  def collect(0, sum), do: sum
  def collect(n, sum), do: (receive do: ({:sum, s} -> collect(n - 1, sum + s)))

  def sec_messages do
    n = 1_000_000

    run_reps("cast_throughput_1to1", "msgs/s", fn _ ->
      {:ok, server} = GenServer.start_link(Bench.Counter, nil)
      {t, ^n} = time_ns(fn -> cast_loop(server, n); GenServer.call(server, :count, :infinity) end)
      GenServer.stop(server)
      n / (t / 1.0e9)
    end)

    pairs = 8
    each = div(n, pairs)

    run_reps("cast_throughput_#{pairs}to#{pairs}", "msgs/s", fn _ ->
      servers = for _ <- 1..pairs, do: elem(GenServer.start_link(Bench.Counter, nil), 1)
      parent = self()

      {t, :ok} =
        time_ns(fn ->
          for server <- servers do
            spawn_link(fn ->
              cast_loop(server, each)
              ^each = GenServer.call(server, :count, :infinity)
              send(parent, :sent)
            end)
          end

          wait_n(:sent, pairs)
        end)

      Enum.each(servers, &GenServer.stop/1)
      pairs * each / (t / 1.0e9)
    end)

    rounds = 500_000

    run_reps("pingpong_roundtrip", "ns/op", fn _ ->
      peer = spawn_link(&pong_loop/0)
      {t, :ok} = time_ns(fn -> ping_loop(peer, rounds) end)
      send(peer, :stop)
      t / rounds
    end)

    run_reps("skynet_1m", "ms", fn _ ->
      me = self()
      {t, sum} =
        time_ns(fn ->
          spawn(fn -> skynet(me, 0, 1_000_000, 10) end)
          receive do: ({:sum, s} -> s)
        end)

      if sum != 499_999_500_000, do: info("skynet sum #{sum}: FAILED")
      t / 1.0e6
    end)

    info("messages: casts #{n} per rep (#{pairs} pairs of #{each} for N to N, each sender calling its server once at the end); #{rounds} ping-pong round trips of plain messages; skynet: 1,111,111 processes, each spawning 10 and summing their replies")
  end

  def section(name, fun) do
    info("---- #{name}")
    {t, _} = time_ns(fun)
    info("---- #{name} done in #{fmt(t / 1.0e9)} s")
  end

  def main(args) do
    header()
    :persistent_term.put(:bench_base_procs, :erlang.system_info(:process_count))
    all = ~w(registry los kill restart churn idle extra messages)
    which = if args == [], do: all, else: args
    t0 = now()
    if "registry" in which, do: section("1-3 registry lookup / register", &sec_registry/0)
    if "los" in which, do: section("4+9 lookup_or_start / call roundtrip", &sec_lookup_or_start/0)
    if "kill" in which, do: section("5 kill cleanup", &sec_kill_cleanup/0)
    if "restart" in which, do: section("6 restart latency", &sec_restart/0)
    if "churn" in which, do: section("7 churn", &sec_churn/0)
    if "idle" in which, do: section("8 idle process memory", &sec_idle_memory/0)
    if "extra" in which, do: section("extra: DynamicSupervisor.stop cost", &sec_extra_shutdown/0)
    if "messages" in which, do: section("messages: casts, ping-pong, skynet", &sec_messages/0)
    info("total wall time #{fmt((now() - t0) / 1.0e9)} s")
  end
end

Bench.main(System.argv())
