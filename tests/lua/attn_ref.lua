-- attn_ref.lua — a plain-Lua, double-precision reference of causal multi-head self-attention
-- with the fused kernel's time terms (decay bias, TiSASRec interval embeddings), written from
-- the formulas (Vaswani et al. 2017; Li, Wang & McAuley 2020) with explicit loops over nested
-- tables, for tests/lua/test_attention_time.lua and test_tisasrec.lua.
--   attention(qkv [B][T][3D], H, times [B][T], mask [B][T], decay, rate [H], ik, iv [n][D])
--   -> out [B][T][D]; decay nil | "linear" | "log1p"; ik/iv nil or tables; rows with no
--   visible key are 0.
local M = {}

-- plain-Lua reference of one causal self-attention: out[b][i][c] (0 rows with no visible key)
function M.attention(qkv, H, times, mask, decay, rate, ik, iv)
  local B, L, D = #qkv, #qkv[1], #qkv[1][1] / 3
  local dh, out = D / H, {}
  for b = 1, B do
    out[b] = {}
    for i = 1, L do
      out[b][i] = {}
      for h = 1, H do
        local s, r, m = {}, {}, -math.huge
        for j = 1, i do
          if mask[b][j] ~= 0 then
            local gap = math.max(0, times[b][i] - times[b][j])
            r[j] = ik and math.min(#ik - 1, math.floor(gap)) + 1
            local acc = 0
            for c = 1, dh do
              local col = (h - 1) * dh + c
              acc = acc + qkv[b][i][col] * (qkv[b][j][D + col] + (ik and ik[r[j]][col] or 0))
            end
            acc = acc / math.sqrt(dh)
            if decay == "linear" then acc = acc - rate[h] * gap end
            if decay == "log1p" then acc = acc - rate[h] * math.log(1 + gap) end
            s[j], m = acc, math.max(m, acc)
          end
        end
        local z = 0
        for j = 1, i do if s[j] then z = z + math.exp(s[j] - m) end end
        for c = 1, dh do
          local col, acc = (h - 1) * dh + c, 0
          for j = 1, i do
            if s[j] then acc = acc + math.exp(s[j] - m) / z * (qkv[b][j][2 * D + col] + (iv and iv[r[j]][col] or 0)) end
          end
          out[b][i][col] = acc
        end
      end
    end
  end
  return out
end


return M
