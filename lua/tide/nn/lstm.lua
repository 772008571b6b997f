-- nn.LSTM(in, hidden[, {bias = true}]): one LSTM layer over [B,T,in] batches (gates i,f,g,o as
-- PyTorch), fused forward and BPTT backward in C (tide.core.nn.lstm). forward(x, opts) takes
-- h0, c0, mask / lengths, left and returns out [B,T,H] and h_n [B,H] (see rnn_common.lua).
local tide = require "tide"
local Module = require "tide.nn.module"
local common = require "tide.nn.rnn_common"

local LSTM = Module:extend("LSTM")
function LSTM:init(n_in, hidden, opts) common.init(self, 4, n_in, hidden, opts) end
function LSTM:forward(x, opts) return common.forward(self, tide.core.nn.lstm, x, opts) end
LSTM.extra_repr = common.extra_repr

return LSTM
