ExUnit.start(exclude: [:kos])
