-- Reads up to ARGV[6] items with a sequence above ARGV[5]. Returns {seq, json, seq, json, …}.
local entries = redis.call('XRANGE', P .. 'items', tostring(tonumber(ARGV[5]) + 1), '+', 'COUNT', tonumber(ARGV[6]))
local out = {}
for i = 1, #entries do
  local e = entries[i]
  out[#out + 1] = string.match(e[1], '^(%d+)')
  out[#out + 1] = e[2][2]
end
return out
