-- tide train examples/configs/sasrec_sim.lua — SASRec on the shipped simulator log
-- (leave-last-out; early stopping on validation NDCG@10). Swap `model` for gru4rec, bert4rec,
-- decay_attention (uses the event times: time_unit = 86400 gives half-lives in days) or mlp.
return {
  data = "examples/data/sim/sim_exponential.csv.gz", schema = "sim",
  model = "sasrec",
  options = { dim = 64, blocks = 2, heads = 1, maxlen = 50, dropout = 0.2, lr = 3e-3,
              epochs = 30, every = 2, patience = 3 },
  eval = { k = { 10, 20 }, protocols = { "full", "sampled" } },
  save = "sasrec_sim.ckpt", log = "sasrec_sim.jsonl",
}
