-- train_tiny.lua — a small `tide train` config for the MPI data-parallel check (tests/mpi/run.sh)
return {
  data = "examples/data/sim/sim_exponential.csv.gz", schema = "sim", model = "sasrec",
  options = { dim = 16, blocks = 1, heads = 1, maxlen = 20, dropout = 0.1, lr = 3e-3, epochs = 2,
              every = 1, patience = 0, seed = 5 },
  eval = { k = { 10 }, protocols = { "full" } },
}
