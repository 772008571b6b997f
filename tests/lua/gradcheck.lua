-- gradcheck.lua — finite-difference gradient checks for Tide's autograd (cf. torch/nn's
-- Jacobian.lua): compares t:grad() from backward() with central differences.
--
--   local gradcheck = require "gradcheck"
--   gradcheck.check(function(x, w) return x:matmul(w):tanh() end, {x, w}, {what = "mm+tanh"})
--
-- fn(inputs...) returns one tensor (any shape). It is reduced to the scalar
--   L = sum_i out_i * w_i   with fixed pseudo-random weights w (so every output element and
-- a non-symmetric combination of them is checked), L summed in double precision in Lua.
-- Every input with needs_grad() is checked element by element:
--   numeric = (L(x + eps) - L(x - eps)) / (2 eps)   (f32 forward, so eps ~ 1e-3 balances
--   truncation error O(eps^2) against rounding error O(1e-7 |L| / eps))
-- and must satisfy |analytic - numeric| <= atol + rtol * |numeric|.
-- Inputs may be non-contiguous views (perturbation writes through set()). Inputs must be
-- leaves; their .grad is cleared before and after. Options: eps, atol, rtol, what, seed.
-- Raises an error listing the worst element on failure; returns the max abs error.
local tide = require "tide"
local T = tide.tensor
local no_grad = tide.autograd.no_grad

local M = {}

-- All 1-based multi-indices of a shape, in row-major order.
local function indices(shape)
  local out, idx = {}, {}
  local nd = #shape
  for _, s in ipairs(shape) do if s == 0 then return out end end
  local function rec(d)
    if d > nd then
      local c = {}
      for i = 1, nd do c[i] = idx[i] end
      out[#out + 1] = c
      return
    end
    for i = 1, shape[d] do idx[d] = i; rec(d + 1) end
  end
  rec(1)
  return out
end
M.indices = indices

local function weights(shape, seed)
  local w, state = T.zeros(shape), seed or 12345
  local vals = {}
  for k, ix in ipairs(indices(shape)) do
    state = (state * 1103515245 + 12345) % 2147483648
    local v = 0.5 + state / 2147483648       -- in [0.5, 1.5): never zero
    if k % 2 == 0 then v = -v end
    vals[k] = v
    ix[#ix + 1] = v
    w:set(unpack(ix))
  end
  return w, vals
end

local function flat(t)
  local out = {}
  local function walk(x)
    if type(x) == "table" then for i = 1, #x do walk(x[i]) end else out[#out + 1] = x end
  end
  walk(t:totable())
  return out
end

local function loss(fn, inputs, wvals)
  local out = fn(unpack(inputs, 1, table.maxn(inputs)))
  local v = flat(out)
  local s = 0
  for i = 1, #v do s = s + v[i] * wvals[i] end
  return s
end

function M.check(fn, inputs, opts)
  opts = opts or {}
  local eps, atol, rtol = opts.eps or 1e-3, opts.atol or 2e-3, opts.rtol or 2e-2
  local what = opts.what or "gradcheck"
  local checked = {}
  for n, x in ipairs(inputs) do
    if T.is_tensor(x) then
      -- only leaves keep a gradient: a view made outside fn would be skipped silently
      assert(x:is_leaf(), ("%s: input %d is not a leaf; build views inside fn"):format(what, n))
      x:zero_grad()
      checked[n] = x:needs_grad()
    end
  end
  local out = fn(unpack(inputs, 1, table.maxn(inputs)))
  assert(out:needs_grad(), what .. ": output does not depend on any input requiring grad")
  local w, wvals = weights(out:shape(), opts.seed)
  out:backward(w)
  local worst, worst_msg, maxerr = 0, nil, 0
  for n, x in ipairs(inputs) do
    if checked[n] then
      local g = x:grad()
      assert(g, ("%s: input %d got no gradient"):format(what, n))
      for _, ix in ipairs(indices(x:shape())) do
        local x0 = x:get(unpack(ix))
        local function at(v)
          local a = {unpack(ix)}
          a[#a + 1] = v
          x:set(unpack(a))
          return no_grad(loss, fn, inputs, wvals)
        end
        -- the perturbed value is rounded to f32: use the actual step taken
        local up, dn = x0 + eps, x0 - eps
        local lp = at(up)
        local up_r = x:get(unpack(ix))
        local lm = at(dn)
        local dn_r = x:get(unpack(ix))
        local a0 = {unpack(ix)}
        a0[#a0 + 1] = x0
        x:set(unpack(a0))
        local num = (lp - lm) / (up_r - dn_r)
        local ana = g:get(unpack(ix))
        local err = math.abs(ana - num)
        if err > maxerr then maxerr = err end
        if err > atol + rtol * math.abs(num) and err > worst then
          worst = err
          worst_msg = ("%s: input %d at [%s]: analytic %.6g vs numeric %.6g"):format(
            what, n, table.concat(ix, ","), ana, num)
        end
      end
      x:zero_grad()
    end
  end
  if worst_msg then error(worst_msg, 2) end
  return maxerr
end

return M
