-- demo.lua — `make demo`: Tide end to end on bundled data.
-- Stage 1 (foundation): exercises the tensor API and prints what it computes. Later stages
-- append the pipeline: ingest, decay fitting, interest models, sentiment, strategies, report.
local tide = require "tide"
local T = tide.tensor

print("== Tide " .. tide.version .. " demo")
T.manual_seed(2024)

-- Interest decay by hand: I(t) = I0 * exp(-lambda t) for three users over 5 days.
local lambda = T.fromtable({{0.1}, {0.5}, {1.0}})        -- [3,1] decay rates per day
local days = T.arange(0, 5):view(1, 5)                  -- [1,5]
local interest = (-(lambda * days)):exp() * 10          -- broadcast to [3,5]
print("interest I(t) = 10 e^(-lambda t), rows lambda = 0.1, 0.5, 1.0; columns t = 0..4 days")
print(interest)
local half_life = (lambda:log() * -1 + math.log(math.log(2))):exp()
print("half-lives ln2/lambda (days):")
print(half_life)

-- A random user-item affinity: users [4,8] x items [8,6] through BLAS.
local users, items = T.randn(4, 8), T.randn(8, 6)
local scores = users:matmul(items)
local top, idx = scores:topk(3)
print("top-3 items per user (1-based ids):")
print(idx)
print("row sums of softmax(scores) (should be 1):")
local e = (scores - scores:max(2, true)):exp()
print((e / e:sum(2, true)):sum(2))
