-- nn.MLP{sizes = {in, h1, ..., out}, activation = "relu", out_activation = nil, dropout = p}
-- Linear layers with an activation between them (none after the last unless out_activation).
local nn = require "tide.nn"
local act = require "tide.nn.activation"

local MLP = nn.Module:extend("MLP")

function MLP:init(opts)
  assert(type(opts) == "table" and type(opts.sizes) == "table" and #opts.sizes >= 2,
    "MLP{sizes = {in, ..., out}}: needs at least two sizes")
  local s = opts.sizes
  local net = nn.Sequential()
  for i = 1, #s - 1 do
    net:append(nn.Linear(s[i], s[i + 1], { bias = opts.bias }))
    if i < #s - 1 then
      net:append(act.by_name(opts.activation or "relu"))
      if opts.dropout and opts.dropout > 0 and nn.Dropout then net:append(nn.Dropout(opts.dropout)) end
    elseif opts.out_activation then
      net:append(act.by_name(opts.out_activation))
    end
  end
  self:add("net", net)
end

function MLP:forward(x) return self.net(x) end

return MLP
