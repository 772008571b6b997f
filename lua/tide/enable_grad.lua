-- tide.enable_grad(fn, ...) — runs fn with autograd recording on (see tide.autograd).
return require("tide.autograd").enable_grad
