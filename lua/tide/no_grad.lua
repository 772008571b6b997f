-- tide.no_grad(fn, ...) — runs fn without recording an autograd graph (see tide.autograd).
-- A file of its own so `require "tide"`'s lazy loader resolves tide.no_grad directly.
return require("tide.autograd").no_grad
