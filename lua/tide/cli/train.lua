-- tide train — train a sequential recommender from a Lua config file (tide.train.config),
-- with early stopping on validation NDCG@10, then report test metrics and save the model.
return {
  summary = "train a sequential recommender (sasrec, gru4rec, decay_attention, tisasrec, bert4rec, mlp) from a config file",
  help = [[usage: tide train CONFIG.lua [options]
  --epochs N     override options.epochs
  --save PATH    write the trained model here (atomic checkpoint; tide eval --load PATH)
  --log PATH     JSON-lines log, one object per epoch
  --quiet        no progress lines
CONFIG returns a table, e.g.
  return { data = "Video.txt.gz", schema = "sasrec", model = "sasrec",
           options = { dim = 50, blocks = 2, maxlen = 50, dropout = 0.5, epochs = 200,
                       every = 10, patience = 3 },
           eval = { k = { 10, 20 }, protocols = { "full", "sampled" } } }
Split: per user the last event is the test target, the second last the validation target.
Prints one line per protocol (full ranking first; "sampled" is for comparison with papers).
Data-parallel: mpirun -np N tide train CONFIG.lua (after make mpi) — each rank takes every N-th
batch, gradients are averaged over ranks in one all-reduce per step, rank 0 reports and saves.]],
  run = function(args)
    local cli = require "tide.cli"
    local o = cli.parse(args, { quiet = true })
    local path = o._[1] or error("train: missing CONFIG path (tide train --help)", 0)
    local C = require "tide.train.config"
    local cfg = C.load(path)
    if o.quiet then cfg.progress = false end
    local epochs = o.epochs and (tonumber(o.epochs) or error("train: --epochs must be a number", 0))
    -- under mpirun with more than one rank: synchronous data-parallel training (tide.mpi)
    local trainer, rank, size
    local n = tonumber(os.getenv("OMPI_COMM_WORLD_SIZE") or os.getenv("PMI_SIZE") or "1")
    if n and n > 1 then
      local mpi = require "tide.mpi"
      if not mpi.available() then error("train: running under mpirun but tide.mpi is not built (make mpi)", 0) end
      rank, size = mpi.init()
      trainer = mpi.train
      if rank > 0 then cfg.progress, cfg.log = false, nil end
    end
    local model, res, ev = C.run(cfg, { epochs = epochs, save = o.save, log = rank and rank > 0 and nil or o.log,
                                        trainer = trainer, rank = rank })
    if rank and rank > 0 then return 0 end
    print(("%s on %s (%d users, %d items, %d events), best epoch %d, %.1f s training, peak RSS %.0f MiB%s"):format(
      model.name, cfg.data, ev.n_users, ev.n_items, ev.n, model.history.best_epoch, model.history.seconds,
      model.history.peak_rss_mib or 0, size and (", data-parallel on %d MPI ranks"):format(size) or ""))
    for _, r in ipairs(res) do print(tostring(r)) end
    return 0
  end,
}
