-- tide.privacy.budget — an (epsilon, delta) privacy budget under basic composition (Dwork &
-- Roth 2014, Theorem 3.16: the epsilons and the deltas of the releases add up). Every release
-- is charged BEFORE its noise is drawn; a release that would overspend is refused with an
-- error naming what it needed, what is spent and what remains, and nothing is charged.
local M = {}

local Budget = {}
Budget.__index = Budget

-- tolerance so that spending an exact split of the budget (e.g. 10 x 0.1) is not refused
local SLACK = 1e-9

--- budget{epsilon = e, delta = d} -> accountant. delta defaults to 0 (pure DP only).
--- b:spend(eps, delta, label) charges a release (errors when it does not fit);
--- b:can_spend(eps, delta) -> bool; b:remaining() -> eps, delta; b:spent() -> eps, delta;
--- b.releases: the ledger {{label =, epsilon =, delta =}, ...}.
function M.new(opts)
  if type(opts) ~= "table" then error("privacy.budget: expected {epsilon = e, delta = d}", 2) end
  for k in pairs(opts) do
    if k ~= "epsilon" and k ~= "delta" then
      error(("privacy.budget: unknown option '%s' (epsilon, delta)"):format(tostring(k)), 2)
    end
  end
  local e, d = opts.epsilon, opts.delta or 0
  if type(e) ~= "number" or not (e > 0) or e == math.huge then
    error("privacy.budget: epsilon must be a finite number > 0, got " .. tostring(e), 2)
  end
  if type(d) ~= "number" or not (d >= 0 and d < 1) then
    error("privacy.budget: delta must be a number in [0, 1), got " .. tostring(d), 2)
  end
  return setmetatable({ epsilon = e, delta = d, spent_epsilon = 0, spent_delta = 0, releases = {} }, Budget)
end

function Budget:spent() return self.spent_epsilon, self.spent_delta end

-- rounding residue below the slack reads as 0
local function left(total, spent)
  local r = total - spent
  return r > total * SLACK and r or 0
end

function Budget:remaining()
  return left(self.epsilon, self.spent_epsilon), left(self.delta, self.spent_delta)
end

function Budget:can_spend(eps, delta)
  delta = delta or 0
  return self.spent_epsilon + eps <= self.epsilon * (1 + SLACK)
     and self.spent_delta + delta <= self.delta * (1 + SLACK)
end

function Budget:spend(eps, delta, label)
  delta = delta or 0
  label = label or ("release " .. (#self.releases + 1))
  if type(eps) ~= "number" or not (eps >= 0) or eps == math.huge then
    error("privacy.budget: epsilon of '" .. label .. "' must be a finite number >= 0", 2)
  end
  if type(delta) ~= "number" or not (delta >= 0 and delta < 1) then
    error("privacy.budget: delta of '" .. label .. "' must be in [0, 1)", 2)
  end
  if not self:can_spend(eps, delta) then
    local re, rd = self:remaining()
    error(("privacy.budget: release '%s' refused: it needs epsilon %.6g, delta %.3g; spent epsilon "
      .. "%.6g of %.6g (remaining %.6g), delta %.3g of %.3g (remaining %.3g)"):format(label, eps, delta,
      self.spent_epsilon, self.epsilon, re, self.spent_delta, self.delta, rd), 2)
  end
  self.spent_epsilon = self.spent_epsilon + eps
  self.spent_delta = self.spent_delta + delta
  self.releases[#self.releases + 1] = { label = label, epsilon = eps, delta = delta }
end

function Budget:__tostring()
  local re, rd = self:remaining()
  return ("privacy budget: spent epsilon %.6g of %.6g (remaining %.6g), delta %.3g of %.3g (remaining %.3g), %d releases")
    :format(self.spent_epsilon, self.epsilon, re, self.spent_delta, self.delta, rd, #self.releases)
end

function M.is_budget(b) return getmetatable(b) == Budget end

return M
