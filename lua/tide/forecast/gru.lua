-- tide.forecast.gru — a GRU regressor of the next return gap: each user's sequence of gaps
-- g_1..g_k (time between consecutive visits) is read by one GRU layer (tide.nn.GRU, Cho et al.
-- 2014) whose state after g_j is mapped by a linear head to the prediction of
-- z_{j+1} = standardised log(1 + g_{j+1}); trained with the masked mean squared error by Adam
-- (tide.train / tide.optim). The prediction in time units is exp(.) - 1 of the de-standardised
-- output: a median-type forecast (squared error in the log domain).
local tide = require "tide"
local nn = tide.nn
local T = tide.tensor

local M = {}
local Model = nn.Module:extend("GruGap")
M.Model = Model

function Model:init(hidden)
  self:add("gru", nn.GRU(1, hidden))
  self:add("head", nn.Linear(hidden, 1))
end

-- x [B, L, 1], lengths i32 [B] -> predictions [B, L]
function Model:forward(x, lengths)
  local out = self.gru(x, { lengths = lengths })
  local s = out:shape()
  return self.head(out:reshape({ s[1] * s[2], s[3] })):reshape({ s[1], s[2] })
end

local function check_seqs(seqs, fn)
  if type(seqs) ~= "table" then error(fn .. ": gap sequences must be an array of arrays", 3) end
  for i, s in ipairs(seqs) do
    if type(s) ~= "table" then error(("%s: sequence %d must be an array of gaps"):format(fn, i), 3) end
    for j, g in ipairs(s) do
      if type(g) ~= "number" or g ~= g or g < 0 or g == math.huge then
        error(("%s: sequence %d gap %d must be a finite number >= 0, got %s"):format(fn, i, j, tostring(g)), 3)
      end
    end
  end
end

-- standardised log gaps of the last maxlen entries of each sequence in rows i..j, padded
local function batch(self, seqs, idx, with_target)
  local B, L = #idx, 0
  local rows = {}
  for b, i in ipairs(idx) do
    local s = seqs[i]
    local n = with_target and #s - 1 or #s -- inputs: all but the last gap when training
    local first = math.max(1, n - self.maxlen + 1)
    rows[b] = { s = s, first = first, n = n - first + 1 }
    L = math.max(L, rows[b].n)
  end
  local x, y, mask, lens = {}, {}, {}, {}
  for b, r in ipairs(rows) do
    local xr, yr, mr = {}, {}, {}
    for k = 1, L do
      local p = r.first + k - 1
      local ok = k <= r.n
      xr[k] = { ok and (math.log(1 + r.s[p]) - self.mean) / self.sd or 0 }
      yr[k] = (ok and with_target) and (math.log(1 + r.s[p + 1]) - self.mean) / self.sd or 0
      mr[k] = ok and 1 or 0
    end
    x[b], y[b], mask[b], lens[b] = xr, yr, mr, r.n
  end
  return { x = T.fromtable(x), y = T.fromtable(y), mask = T.fromtable(mask), lengths = T.fromtable(lens, "i32"),
           count = (function() local c = 0 for _, r in ipairs(rows) do c = c + r.n end return c end)() }
end

local function loss(model, b)
  local d = model(b.x, b.lengths) - b.y
  return (d * d * b.mask):sum() / b.count
end

--- fit(seqs, opts) -> model. seqs: array of per-user gap arrays (time units of the caller);
--- each sequence with >= 2 gaps gives training pairs (gaps up to j -> gap j+1). opts: hidden
--- (16), epochs (30), lr (0.01), batch (128), maxlen (32: the last gaps read per user), seed (1).
--- model:predict(seqs) -> array of predicted next gaps (one per sequence, >= 1 gap each).
function M.fit(seqs, opts)
  opts = opts or {}
  check_seqs(seqs, "forecast.gru_gap")
  local train = {}
  for i, s in ipairs(seqs) do if #s >= 2 then train[#train + 1] = i end end
  if #train == 0 then error("forecast.gru_gap: no sequence has 2 or more gaps to learn from", 2) end
  T.manual_seed(opts.seed or 1)
  local model = Model(opts.hidden or 16)
  model.maxlen = opts.maxlen or 32
  -- standardisation from the training gaps (log1p scale)
  local s1, s2, n = 0, 0, 0
  for _, i in ipairs(train) do
    for _, g in ipairs(seqs[i]) do local v = math.log(1 + g); s1, s2, n = s1 + v, s2 + v * v, n + 1 end
  end
  model.mean = s1 / n
  model.sd = math.sqrt(math.max(s2 / n - model.mean ^ 2, 1e-12))
  local bs, batches = opts.batch or 128, {}
  for i = 1, #train, bs do
    local idx = {}
    for k = i, math.min(i + bs - 1, #train) do idx[#idx + 1] = train[k] end
    batches[#batches + 1] = batch(model, seqs, idx, true)
  end
  model.history = tide.train(model, batches, { loss = loss, epochs = opts.epochs or 30, lr = opts.lr or 0.01, clip = 1.0 })
  return model
end

function Model:predict(seqs)
  check_seqs(seqs, "gru_gap:predict")
  local idx = {}
  for i, s in ipairs(seqs) do
    if #s < 1 then error(("gru_gap:predict: sequence %d has no gap"):format(i), 2) end
    idx[i] = i
  end
  self:eval()
  local out = {}
  tide.no_grad(function()
    for i = 1, #idx, 256 do
      local part = { unpack(idx, i, math.min(i + 255, #idx)) }
      local b = batch(self, seqs, part, false)
      local p = self(b.x, b.lengths)
      for k, r in ipairs(part) do
        local z = p:get(k, b.lengths:get(k))
        out[r] = math.max(0, math.exp(z * self.sd + self.mean) - 1)
      end
    end
  end)
  return out
end

--- model:save(path) — weights + standardisation in one checkpoint (atomic, exact);
--- forecast.load_gru_gap(path) restores it
function Model:save(path)
  if type(path) ~= "string" then error("gru_gap:save: path must be a string", 2) end
  tide.checkpoint.save_model(path, self, { format = "tide.gru_gap", hidden = self.gru.hidden, maxlen = self.maxlen,
                                           mean = self.mean, sd = self.sd })
end

--- load(path) -> model saved by model:save
function M.load(path)
  if type(path) ~= "string" then error("forecast.load_gru_gap: path must be a string", 2) end
  local _, meta = tide.checkpoint.load(path)
  if meta.format ~= "tide.gru_gap" then error("forecast.load_gru_gap: " .. path .. " is not a GRU gap model", 2) end
  local m = Model(meta.hidden)
  tide.checkpoint.load_model(path, m)
  m.maxlen, m.mean, m.sd = meta.maxlen, meta.mean, meta.sd
  return m
end

return M
