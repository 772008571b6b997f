-- tide.models.bert4rec — BERT4Rec (Sun et al., CIKM 2019): a bidirectional transformer over
-- the history, pretrained on the cloze task (a random `mask_prob` of the items is replaced by a
-- [MASK] token and predicted from both sides), then fine-tuned for next-item prediction (only
-- the last item is masked, which is the inference setting: history + [MASK] at the end).
-- Post-norm GELU blocks with a 4·dim FFN as BERT; the item table is shared with the output.
--   local m = tide.models.bert4rec{dim = 64, pretrain_epochs = 20, epochs = 10}
--   m:fit(split.train, {valid = split.valid})     -- pretraining, then fine-tuning
local nn = require "tide.nn"
local seq = require "tide.models.seq_common"

local M = seq.install({ kind = "bert4rec",
  defaults = { blocks = 2, heads = 2, mask_prob = 0.2, pretrain_epochs = 10 } })
-- scoring rows get one more column for the [MASK] appended at the end (seq_score.states)
M.appends_mask = true

local Net = nn.Module:extend("BERT4RecNet")

function Net:init(n_items, o)
  local T = require("tide").tensor
  self.dim, self.p, self.mask_id = o.dim, o.dropout, n_items + 1
  -- rows: 1 padding, 2 .. n_items + 1 items, n_items + 2 the [MASK] token
  self:add("emb", nn.Embedding(n_items + 2, o.dim, { padding_idx = 1, std = 0.02 }))
  self:param("pos", T.zeros(o.maxlen, o.dim):normal_(0, 0.02))
  self.blocks = {}
  for b = 1, o.blocks do
    self.blocks[b] = self:add("block" .. b, nn.TransformerBlock(o.dim, o.heads, {
      ffn = 4 * o.dim, activation = "gelu", dropout = o.dropout, norm_first = false }))
  end
  self:add("ln", nn.LayerNorm(o.dim))
end

-- history shifted left by one with [MASK] in the last slot (what the next item is predicted at)
local function with_mask_last(items, mask_id)
  local L = items:shape()[2]
  local x = items:clone()
  if L > 1 then x:narrow(2, 1, L - 1):copy(items:narrow(2, 2, L - 1)) end
  x:narrow(2, L, 1):fill(mask_id)
  return x
end

--- forward({items [B,T]}, {last = bool}) -> [B,T,D]; with last, the state at an appended [MASK]
function Net:forward(inp, opts)
  local K = require("tide").core.nn
  local items = inp.items
  if opts and opts.last then items = with_mask_last(items, self.mask_id) end
  local L = items:shape()[2]
  local x = self.emb(items + 1) + self.pos:narrow(1, self.pos:shape()[1] - L + 1, L)
  x = self.ln(x)
  if self.training and self.p > 0 then x = K.dropout(x, self.p, true) end
  local mask = items:gt(0)
  for _, blk in ipairs(self.blocks) do x = blk(x, { mask = mask, causal = false }) end
  if opts and opts.last then return x:select(2, L) end
  return x
end

function M:build() return Net(self.n_items, self) end

-- loss of a batch: the cloze task while pretraining, the last item while fine-tuning. The
-- batch target row holds each user's last maxlen training items (left-padded).
function M:loss_fn(batch)
  local T = require("tide").tensor
  local L = require "tide.train.losses"
  local full = batch.target
  local m
  if self.phase == "pretrain" then
    m = T.rand(full:shape()):lt(self.mask_prob):cast("i32") * full:gt(0)
  else
    m = T.zeros(full:shape(), "i32")
    m:narrow(2, full:shape()[2], 1):fill(1)
  end
  local inp = full + m * (self.net.mask_id - full)
  local h = self.net({ items = inp })
  local tg = full * m
  local E = self.net.emb.weight
  if self.loss == "sampled_softmax" then return L.sampled_softmax(h, E, tg, self.n_items, self.n_neg) end
  return L.softmax(h, E, tg, self.n_items)
end

--- fit(ev, opts): pretrain_epochs of the cloze task, then `epochs` of fine-tuning (with
--- opts.valid: early stopping on validation NDCG@10 during fine-tuning)
function M:fit(ev, opts)
  opts = opts or {}
  if self.loss == "bce" then error("bert4rec: loss must be 'softmax' or 'sampled_softmax'", 2) end
  local rest = {}
  for k, v in pairs(opts) do rest[k] = v end
  rest.valid = nil
  self.phase = "pretrain"
  if self.pretrain_epochs > 0 then seq.fit(self, ev, rest, { epochs = self.pretrain_epochs }) end
  self.phase = "finetune"
  return seq.fit(self, ev, opts, { keep_net = self.pretrain_epochs > 0 })
end

return M
