-- nn.GRU(in, hidden[, {bias = true}]): one GRU layer over [B,T,in] batches (Cho et al. 2014),
-- fused forward and BPTT backward in C (tide.core.nn.gru). See rnn_common.lua for forward's
-- options (h0, mask / lengths, left) and results (out, h_n).
local tide = require "tide"
local Module = require "tide.nn.module"
local common = require "tide.nn.rnn_common"

local GRU = Module:extend("GRU")
function GRU:init(n_in, hidden, opts) common.init(self, 3, n_in, hidden, opts) end
function GRU:forward(x, opts) return common.forward(self, tide.core.nn.gru, x, opts) end
GRU.extra_repr = common.extra_repr

return GRU
