-- test_nn_module.lua — the nn Module base (extend/param/buffer/add, parameter order,
-- train/eval, zero_grad, state dicts, counts), Sequential, Linear, Embedding, MLP and the
-- initialisers (statistics against their closed-form targets).
local tide = require "tide"
local check = require "check"
local gradcheck = require "gradcheck"
local T = tide.tensor
local nn = tide.nn

local tests = {}

function tests.user_module_in_a_few_lines_gets_gradients()
  local Scale = nn.Module:extend("Scale")
  function Scale:init(dim)
    self:param("w", T.fromtable({ 1, 2, 3 }))
    self:buffer("calls", T.zeros(1))
    self:add("inner", nn.Linear(dim, dim))
  end
  function Scale:forward(x) return self.inner(x) * self.w end
  T.manual_seed(1)
  local m = Scale(3)
  check.eq(m.__name, "Scale", "class name")
  local names = {}
  for _, np in ipairs(m:named_parameters()) do names[#names + 1] = np[1] end
  check.eq(table.concat(names, ","), "w,inner.weight,inner.bias", "registration order")
  check.eq(m:num_parameters(), 3 + 9 + 3, "count")
  check.eq(#m:named_buffers(), 1, "buffers")
  local sd = m:state_dict()
  check.truthy(sd.calls and sd.w and sd["inner.weight"], "state dict has params and buffers")
  local x = T.uniform({ 4, 3 }, -1, 1)
  gradcheck.check(function(w, iw, ib)
    return m(x)
  end, { m.w, m.inner.weight, m.inner.bias }, { what = "user module" })
end

function tests.train_eval_zero_grad()
  local m = nn.MLP{ sizes = { 2, 3, 1 } }
  check.eq(m.training, true, "default train")
  m:eval()
  check.eq(m.net:get(1).training, false, "eval reaches children")
  m:train()
  check.eq(m.net:get(3).training, true, "train reaches children")
  m(T.ones(1, 2)):sum():backward()
  check.truthy(m.net:get(1).weight:grad() ~= nil, "grad exists")
  m:zero_grad()
  for _, p in ipairs(m:parameters()) do check.eq(p:grad(), nil, "zeroed") end
end

function tests.shared_parameter_listed_once()
  local lin = nn.Linear(2, 2)
  local seq = nn.Sequential(lin, nn.Tanh(), lin)
  check.eq(#seq:parameters(), 2, "tied weights appear once")
  check.eq(seq:num_parameters(), 6, "count once")
end

function tests.load_state_dict_checks_everything_first()
  T.manual_seed(2)
  local a, b = nn.Linear(3, 2), nn.Linear(3, 2)
  b:load_state_dict(a:state_dict())
  check.all_near(b.weight, a.weight:totable(), 0, "copied")
  local c = nn.Linear(3, 2)
  local before = c.weight:totable()
  local bad = { weight = a.weight, bias = T.zeros(5) }
  check.errors(function() c:load_state_dict(bad) end, "'bias' has shape [5], the model expects [2]")
  check.all_near(c.weight, before, 0, "weight untouched although it was valid")
  check.errors(function() c:load_state_dict({ weight = a.weight }) end, "missing 'bias'")
  check.errors(function() c:load_state_dict({ weight = a.weight, bias = a.bias, extra = a.bias }) end, "unexpected 'extra'")
  c:load_state_dict({ weight = a.weight }, false) -- non-strict: partial load
  check.all_near(c.weight, a.weight:totable(), 0, "partial")
  check.errors(function() c:load_state_dict({ weight = a.weight:int(), bias = a.bias }) end, "is i32")
end

function tests.linear_embedding_gradients()
  T.manual_seed(3)
  local lin = nn.Linear(4, 3)
  local x = T.uniform({ 2, 5, 4 }, -1, 1)
  gradcheck.check(function() return lin(x) end, { lin.weight, lin.bias }, { what = "linear 3-d" })
  local nb = nn.Linear(4, 3, { bias = false })
  check.eq(nb.bias, nil, "no bias")
  check.eq(#nb:parameters(), 1, "one parameter")
  local emb = nn.Embedding(6, 3, { padding_idx = 1 })
  check.all_near(emb.weight:select(1, 1), { 0, 0, 0 }, 0, "padding row starts at zero")
  local ids = T.fromtable({ { 2, 5 }, { 5, 6 } }):long()
  local out = emb(ids)
  check.eq(table.concat(out:shape(), "x"), "2x2x3", "shape")
  check.all_near(out:select(1, 2):select(1, 1), emb.weight:select(1, 5):totable(), 0, "lookup")
  out:sum():backward()
  check.all_near(emb.weight:grad():select(1, 5), { 2, 2, 2 }, 1e-6, "row used twice gets 2")
  check.all_near(emb.weight:grad():select(1, 3), { 0, 0, 0 }, 0, "unused row")
end

function tests.lazy_layer_lookup()
  check.eq(nn.NoSuchLayer, nil, "unknown layer is nil")
  check.truthy(nn.ReLU and nn.Tanh and nn.Sigmoid and nn.GELU and nn.Identity, "activations")
  check.truthy(nn.init.xavier_uniform, "init alias")
  local y = nn.Identity()(T.ones(2))
  check.eq(y:numel(), 2, "identity")
end

local function stats(t)
  local v = t:reshape(t:numel())
  return v:mean():item(), v:std():item(), v:max():item(), v:min():item()
end

function tests.initialisers_match_targets()
  T.manual_seed(4)
  local init = nn.init
  local w = T.zeros(200, 300)
  init.xavier_uniform(w)
  local _, sd, mx, mn = stats(w)
  local a = math.sqrt(6 / 500)
  check.truthy(mx <= a and mn >= -a, "xavier uniform bounds")
  check.near(sd, a / math.sqrt(3), 0.02, "xavier uniform std")
  init.xavier_normal(w)
  _, sd = stats(w)
  check.near(sd, math.sqrt(2 / 500), 0.02, "xavier normal std")
  init.kaiming_normal(w, { nonlinearity = "relu" })
  _, sd = stats(w)
  check.near(sd, math.sqrt(2 / 300), 0.02, "kaiming normal std (fan_in)")
  init.kaiming_uniform(w, { nonlinearity = "relu", mode = "fan_out" })
  _, sd, mx = stats(w)
  check.near(sd, math.sqrt(2 / 200), 0.02, "kaiming uniform std (fan_out)")
  check.truthy(mx <= math.sqrt(6 / 200), "kaiming uniform bound")
  init.trunc_normal(w, 0.5, 1, -1, 2)
  local mean
  mean, sd, mx, mn = stats(w)
  check.truthy(mx <= 2 and mn >= -1, "truncated bounds")
  -- N(0.5, 1) truncated to +-1.5 sd: mean 0.5, sd = sqrt(1 - 2*1.5*phi(1.5)/(2*Phi(1.5)-1))
  local phi = math.exp(-1.125) / math.sqrt(2 * math.pi)
  check.near(mean, 0.5, 0.01, "truncated mean")
  check.near(sd, math.sqrt(1 - 3 * phi / 0.8663855975), 0.01, "truncated sd")
  init.normal(w, 1, 0.5)
  mean, sd = stats(w)
  check.near(mean, 1, 0.01, "normal mean")
  check.near(sd, 0.5, 0.01, "normal sd")
  local c = T.zeros(4, 2, 3) -- conv weight: fan_in = 2*3, fan_out = 4*3
  local fi, fo = init.fans(c)
  check.eq(fi, 6, "fan_in"); check.eq(fo, 12, "fan_out")
  check.errors(function() init.trunc_normal(w, 0, 1, 1, -1) end, "empty interval")
end

function tests.seeded_initialisation_is_reproducible()
  T.manual_seed(77)
  local a = nn.MLP{ sizes = { 3, 4, 2 } }
  T.manual_seed(77)
  local b = nn.MLP{ sizes = { 3, 4, 2 } }
  for name, t in pairs(a:state_dict()) do check.all_near(b:state_dict()[name], t:totable(), 0, name) end
end

function tests.apply_modules_and_freezing()
  T.manual_seed(5)
  local m = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 1)))
  check.eq(#m:modules(), 5, "self + 4 descendants")
  local n = 0
  m:apply(function(mod) if mod.__name == "Linear" then nn.init.zeros(mod.weight); n = n + 1 end end)
  check.eq(n, 2, "apply reached both Linear layers")
  check.all_near(m:get(3):get(1).weight, { { 0, 0, 0 } }, 0, "nested init")
  -- freeze the first layer: only the head trains
  m:get(1):requires_grad(false)
  local opt = tide.optim.SGD(m, { lr = 0.1 })
  local w1 = m:get(1).bias:totable()
  m(T.ones(4, 2)):sum():backward()
  check.eq(m:get(1).bias:grad(), nil, "frozen parameter has no gradient")
  opt:step()
  check.all_near(m:get(1).bias, w1, 0, "frozen parameter unchanged")
  check.truthy(m:get(3):get(1).bias:grad() ~= nil, "head trains")
  m:requires_grad(true)
  check.eq(m:get(1).bias:needs_grad(), true, "unfrozen")
end

function tests.tostring_tree()
  local s = tostring(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
  check.truthy(s:find("Sequential", 1, true) and s:find("(1): Linear(2 -> 3)", 1, true), s)
end

return tests
