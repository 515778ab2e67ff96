# Tests tagged :host are about running outside one (mix test, iex on the host).
# Tests tagged :kos need a booted KOS system (this VM started by `kos run`, with the
# services their manifest grants); `mix test` outside KOS runs the rest. The whole
# suite runs inside a system in test/tests/elixir_kos.rs (the kos_test_runner app).
under_kos = System.get_env("KOS_MSG_SERVERS") not in [nil, ""]
ExUnit.start(exclude: if(under_kos, do: [:host], else: [:kos]))
