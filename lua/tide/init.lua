-- tide — Lua entry point: `local tide = require "tide"`.
-- Native modules come from tide.core (engine/lua/); Lua modules (tide.data, tide.nn, ...) are
-- loaded on first use, so `require "tide"` stays cheap.
local core_name = os.getenv("TIDE_CORE") or "core"
local core = require("tide." .. core_name)

local tide = { core = core, tensor = core.tensor, version = "0.1.0" }

-- Grad mode (see tide.autograd): tide.no_grad(fn, ...) runs fn without recording a graph.
function tide.no_grad(fn, ...) return require("tide.autograd").no_grad(fn, ...) end
function tide.enable_grad(fn, ...) return require("tide.autograd").enable_grad(fn, ...) end

-- Lazily loads lua/tide/<name>.lua the first time tide.<name> is read.
setmetatable(tide, {
  __index = function(self, name)
    if type(name) ~= "string" then return nil end
    local path = "tide." .. name
    local ok, mod = pcall(require, path)
    if not ok then
      if tostring(mod):find("module '" .. path .. "' not found", 1, true) then return nil end
      error(mod, 2)
    end
    rawset(self, name, mod)
    return mod
  end,
})

package.loaded.tide = tide
return tide
