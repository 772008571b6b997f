-- tide.sentiment.textcnn_io — saving and loading the TextCNN (textcnn.lua): a tide.checkpoint
-- file (or the same bytes in a string) holding the weights plus metadata with the
-- hyper-parameters, the unit vocabulary and the n-gram channel vocabularies (the wide
-- path's feature set is in the buffers wide_buckets / wide_df).
local tide = require "tide"
local tcore = tide.core.text
local NG = require "tide.sentiment.textcnn_ngrams"
local WIDE = require "tide.sentiment.textcnn_wide"

return function(M, Net, CNN)
  -- The checkpoint metadata of a saved model (hyper-parameters, vocabulary, n-gram lists).
  function CNN:file_meta()
    local toks = {}
    for i = 0, self.vocab:size() - 1 do toks[#toks + 1] = (self.vocab:token(i)) end
    local o = self.o
    local meta = {
      kind = "textcnn", dim = o.dim, filters = o.filters, widths = table.concat(o.widths, ","),
      dropout = o.dropout, maxlen = o.maxlen, classes = o.classes, n_rows = o.n_rows,
      bigrams = o.bigrams or 0, pool = o.pool, emb_dropout = o.emb_dropout or 0,
      vocab = table.concat(toks, "\n"), n_wide = o.n_wide or 0, wide = o.wide or 0,
      wide_n = self.wide and self.wide.n or 0, wide_chars = self.wide and self.wide.chars or 0 }
    for i, c in ipairs(NG.CHANNELS) do
      meta[c.n], meta[c.dim], meta[c.meta] = o[c.n] or 0, o[c.dim], self.lists[i] and NG.dump(self.lists[i]) or ""
    end
    return meta
  end

  function CNN:save(path) tide.checkpoint.save_model(path, self.net, self:file_meta()) end
  -- The bytes :save(path) writes, as a string (no file); M.from_bytes reads them back.
  function CNN:to_bytes() return tide.checkpoint.model_to_bytes(self.net, self:file_meta()) end

  -- A model from a checkpoint's tensors and metadata; errors name `name` (file or bytes).
  local function from_checkpoint(tensors, meta, name)
    if meta.kind ~= "textcnn" then error(("sentiment.textcnn.load: %s is not a TextCNN model"):format(name), 3) end
    local v = tcore.vocab_new()
    if meta.vocab ~= "" then for tok in (meta.vocab .. "\n"):gmatch("([^\n]*)\n") do v:add(tok, 1) end end
    local widths = {}
    for k in meta.widths:gmatch("%d+") do widths[#widths + 1] = tonumber(k) end
    local o = { dim = meta.dim, filters = meta.filters, widths = widths, dropout = meta.dropout,
                maxlen = meta.maxlen, classes = meta.classes, n_rows = meta.n_rows,
                bigrams = meta.bigrams or 0, pool = meta.pool or "max",
                emb_dropout = meta.emb_dropout or 0 }
    local self = setmetatable({ vocab = v, o = o, lists = {}, maps = {} }, CNN)
    for i, c in ipairs(NG.CHANNELS) do
      o[c.n], o[c.dim] = meta[c.n] or 0, meta[c.dim]
      if o[c.n] > 0 then self.lists[i] = NG.parse(meta[c.meta]); self.maps[i] = NG.index(self.lists[i]) end
    end
    o.n_wide, o.wide = meta.n_wide or 0, meta.wide or 0
    self.net = Net(o)
    tide.checkpoint.load_state(name, self.net, tensors)
    if o.n_wide > 0 then
      self.wide = WIDE.from_tensors(o.wide, meta.wide_chars or 0, meta.wide_n,
                                    self.net.wide_buckets, self.net.wide_df)
    end
    return self
  end

  function M.load(path)
    local tensors, meta = tide.checkpoint.load(path)
    return (from_checkpoint(tensors, meta, path))
  end

  function M.from_bytes(s, name)
    local tensors, meta = tide.checkpoint.from_bytes(s, name)
    return (from_checkpoint(tensors, meta, name or "(memory)"))
  end
end
