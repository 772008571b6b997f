-- tide.sentiment.textcnn_train — the training loop of the TextCNN (see textcnn.lua): Adam on
-- cross-entropy over mini-batches; the example order per epoch comes from a seeded
-- Fisher-Yates shuffle and tide.tensor.manual_seed fixes initialisation and dropout, so a
-- run is reproducible for a given seed and thread count.
local tide = require "tide"
local text = require "tide.text"
local T = tide.tensor
local autograd = require "tide.autograd"
local NG = require "tide.sentiment.textcnn_ngrams"
local WIDE = require "tide.sentiment.textcnn_wide"

return function(M, Net, CNN)
  -- A 31-bit Park-Miller generator: only the shuffle order depends on it.
  local function shuffler(seed)
    local x = (seed % 2147483646) + 1
    return function(n)
      x = (x * 48271) % 2147483647
      return x % n + 1
    end
  end

  return function(texts, labels, opts)
    opts = opts or {}
    local o = {}
    for k, v in pairs(M.defaults) do o[k] = v end
    for k, v in pairs(opts) do o[k] = v end
    if type(texts) ~= "table" or type(labels) ~= "table" or #texts ~= #labels then
      error("sentiment.textcnn.train: need equal-length tables of texts and labels", 2)
    end
    o.classes = opts.classes or 2
    local function bad(k, want) error(("sentiment.textcnn.train: opts.%s = %s, expected %s"):format(k, tostring(o[k]), want), 3) end
    if o.pool ~= "max" and o.pool ~= "maxmean" then bad("pool", '"max" or "maxmean"') end
    local function num(k, lo, hi, want)
      if type(o[k]) ~= "number" or o[k] ~= o[k] or o[k] < lo or o[k] > hi then bad(k, want) end
    end
    num("emb_dropout", 0, 0.99, "a number in [0, 1)")
    num("avg", 0, 1, "a fraction in [0, 1]")
    num("weight_decay", 0, math.huge, "a number >= 0")
    num("bigram_min", 0, math.huge, "a count >= 0 (0 = no bigram channel)")
    num("trigram_min", 0, math.huge, "a count >= 0 (0 = no trigram channel)")
    num("smoothing", 0, 0.5, "a number in [0, 0.5]")
    num("pretrain", 0, 1000, "a number of skip-gram epochs in 0..1000 (0 = off)")
    num("wide", 0, 5, "an n-gram order in 0..5 (0 = no wide path)")
    if o.wide % 1 ~= 0 then bad("wide", "an n-gram order in 0..5 (0 = no wide path)") end
    num("wide_min", 1, math.huge, "a document count >= 1")
    num("wide_max", 1, math.huge, "a feature count >= 1")
    num("wide_lr", 1e-9, math.huge, "a learning-rate scale > 0")
    num("wide_decay", 0, math.huge, "a number >= 0")
    num("wide_chars", 0, 8, "a character n-gram order in 0..8 (0 = none)")
    if o.wide_chars % 1 ~= 0 then bad("wide_chars", "a character n-gram order in 0..8 (0 = none)") end
    num("maxlen", 1, math.huge, "an integer >= 1")
    if o.maxlen % 1 ~= 0 then bad("maxlen", "an integer >= 1") end
    for i, y in ipairs(labels) do
      if type(y) ~= "number" or y % 1 ~= 0 or y < 0 or y >= o.classes then
        error(("sentiment.textcnn.train: labels[%d] = %s, expected an integer in [0, %d)"):format(i, tostring(y), o.classes), 2)
      end
    end
    T.manual_seed(o.seed)
    local vocab = text.vocab(texts, { min_count = o.min_count, max_size = o.max_vocab })
    o.n_rows = vocab:size() + 2
    local self = setmetatable({ vocab = vocab, o = o, lists = {}, maps = {} }, CNN)
    for i, c in ipairs(NG.CHANNELS) do
      if o[c.min] > 0 then
        self.lists[i] = NG.build(texts, c.k, o[c.min], o[c.max])
        self.maps[i], o[c.n] = NG.index(self.lists[i]), #self.lists[i]
      end
    end
    if o.wide > 0 then
      self.wide = WIDE.build(texts, o.wide, o.wide_min, o.wide_max, o.wide_chars)
      o.n_wide = #self.wide.list
      if o.n_wide == 0 then self.wide = nil end -- no n-gram in wide_min texts: no wide path
    end
    self.net = Net(o)
    if self.wide then
      local b, d = WIDE.tensors(self.wide)
      self.net.wide_buckets:copy(b); self.net.wide_df:copy(d)
    end
    local ids, off = self:encode(texts)
    if self.wide then WIDE.release(self.wide, self.net.wide_buckets, self.net.wide_df) end
    if o.pretrain > 0 then
      -- unsupervised init of the unit embeddings: skip-gram with negative sampling (Mikolov
      -- et al. 2013, engine/text_sgns.c) on the training texts, rescaled to the random init's
      -- std (0.1) so the convolutions see inputs of the usual size
      local V = vocab:size()
      local E = tide.core.sgns.train(ids.ids, off, V, { dim = o.dim, epochs = o.pretrain, seed = o.seed,
        window = 5, neg = 5, sample = 1e-4 })
      local sd = E:std():item()
      autograd.no_grad(function()
        self.net.emb.weight:narrow(1, 2, V):copy(E * (0.1 / math.max(sd, 1e-12)))
      end)
    end
    -- weight_decay > 0: decoupled decay (AdamW, Loshchilov & Hutter 2019)
    local groups = self.net
    if self.wide then -- the wide path's own learning-rate scale and (L2) decay
      local deep = {}
      for _, np in ipairs(self.net:named_parameters()) do
        if np[1] ~= "wide.weight" then deep[#deep + 1] = np[2] end
      end
      groups = { { params = deep },
                 { params = { self.net.wide.weight }, lr_scale = o.wide_lr, weight_decay = o.wide_decay } }
    end
    local opt = o.weight_decay > 0 and tide.optim.AdamW(groups, { lr = o.lr, weight_decay = o.weight_decay })
      or tide.optim.Adam(groups, { lr = o.lr })
    local n, rnd = #texts, shuffler(o.seed)
    local order = {}
    for i = 1, n do order[i] = i end
    if type(o.min_steps) ~= "number" or o.min_steps < 0 then
      error("sentiment.textcnn.train: min_steps must be a number >= 0", 2)
    end
    -- min_steps: small corpora get more epochs so the run makes at least that many updates
    local per = math.ceil(n / o.batch)
    o.epochs = math.max(o.epochs, math.ceil(o.min_steps / per))
    local steps, total = 0, o.epochs * per
    -- avg = f > 0: the returned weights are the running mean of the weights after each of the
    -- last ceil(f * total) updates (Polyak-Ruppert averaging; SWA, Izmailov et al. 2018)
    local params, avg, navg = self.net:parameters(), nil, 0
    local avg_from = total - math.ceil(o.avg * total)
    local offs = off:totable()
    local function len(i) return math.min(o.maxlen, offs[i + 1] - offs[i]) end
    for ep = 1, o.epochs do
      for i = n, 2, -1 do local j = rnd(i); order[i], order[j] = order[j], order[i] end
      -- length bucketing: sort windows of 32 batches by length so a batch pads little, then
      -- visit the batches in a shuffled order
      local win = 32 * o.batch
      for s = 1, n, win do
        local chunk = {}
        for i = s, math.min(n, s + win - 1) do chunk[#chunk + 1] = order[i] end
        table.sort(chunk, function(a, b) if len(a) ~= len(b) then return len(a) < len(b) end return a < b end)
        for k, v in ipairs(chunk) do order[s + k - 1] = v end
      end
      local starts = {}
      for s = 1, n, o.batch do starts[#starts + 1] = s end
      for i = #starts, 2, -1 do local j = rnd(i); starts[i], starts[j] = starts[j], starts[i] end
      self.net:train()
      local sum, cnt = 0, 0
      for _, s in ipairs(starts) do
        local rows, ys = {}, {}
        for i = s, math.min(n, s + o.batch - 1) do
          rows[#rows + 1] = order[i]; ys[#ys + 1] = labels[order[i]] + 1
        end
        -- linear decay of the learning rate to 10 % over the run
        opt.lr = o.lr * (1 - 0.9 * steps / total)
        local logits = self:logits(ids, off, rows)
        local loss = tide.core.nn.cross_entropy(logits, T.fromtable(ys, "i32"))
        if o.smoothing > 0 then
          -- label smoothing (Szegedy et al. 2016): cross-entropy against (1-e) one-hot + e
          -- uniform = (1-e) CE + e mean_b(logsumexp(z_b) - mean_c z_bc)
          local u = (logits:logsumexp(2) - logits:mean(2)):mean()
          loss = loss * (1 - o.smoothing) + u * o.smoothing
        end
        opt:zero_grad()
        loss:backward()
        opt:step()
        steps = steps + 1
        if o.on_step then o.on_step(self, steps) end -- (tests: watch the weights per update)
        if o.avg > 0 and steps > avg_from then
          navg = navg + 1
          autograd.no_grad(function()
            if not avg then
              avg = {}
              for i, p in ipairs(params) do avg[i] = p:detach():clone() end
            else
              for i, p in ipairs(params) do avg[i]:copy(avg[i] + (p:detach() - avg[i]) * (1 / navg)) end
            end
          end)
        end
        sum, cnt = sum + loss:item() * #rows, cnt + #rows
      end
      self.loss = sum / cnt
      if o.progress then io.stderr:write(("textcnn epoch %d loss %.4f\n"):format(ep, self.loss)) end
    end
    if avg then autograd.no_grad(function() for i, p in ipairs(params) do p:copy(avg[i]) end end) end
    return self
  end
end
