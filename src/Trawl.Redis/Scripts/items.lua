-- Reads items with a sequence above ARGV[5]: up to ARGV[6] of them, looking at no more than ARGV[7] entries. With a
-- share in ARGV[8] (not ''), only the items of that share. Returns {last sequence looked at, seq, json, seq, json, …};
-- the first is 0 when the stream holds nothing after ARGV[5].
local share = ARGV[8]
local entries = redis.call('XRANGE', P .. 'items', tostring(tonumber(ARGV[5]) + 1), '+', 'COUNT', tonumber(ARGV[7]))
local out = {'0'}
local wanted = tonumber(ARGV[6])
for i = 1, #entries do
  local e = entries[i]
  local seq = string.match(e[1], '^(%d+)')
  local fields = e[2]
  local mine = share == ''
  if not mine then
    for f = 1, #fields, 2 do
      if fields[f] == 's' and fields[f + 1] == share then
        mine = true
      end
    end
  end
  if mine then
    out[#out + 1] = seq
    out[#out + 1] = fields[2]
  end
  out[1] = seq
  if (#out - 1) / 2 >= wanted then
    break
  end
end
return out
