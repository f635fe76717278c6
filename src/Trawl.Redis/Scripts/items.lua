-- Reads items with a sequence above ARGV[H+1]: up to ARGV[H+2] of them, looking at no more than ARGV[H+3] entries. With a
-- share in ARGV[H+4] (not ''), only the items of that share. Returns {last sequence looked at, seq, json, seq, json, …};
-- the first is 0 when the stream holds nothing after ARGV[H+1]. An entry without an item (field j) is passed over.
local share = ARGV[H + 4]
local entries = redis.call('XRANGE', P .. 'items', string.format('%d', tonumber(ARGV[H + 1]) + 1), '+', 'COUNT', tonumber(ARGV[H + 3]))
local out = { '0' }
local wanted = tonumber(ARGV[H + 2])
for i = 1, #entries do
  local e = entries[i]
  local seq = string.match(e[1], '^(%d+)')
  local fields = e[2]
  local json
  local mine = share == ''
  for f = 1, #fields, 2 do
    if fields[f] == 'j' then
      json = fields[f + 1]
    elseif fields[f] == 's' and fields[f + 1] == share then
      mine = true
    end
  end
  if mine and json then
    out[#out + 1] = seq
    out[#out + 1] = json
  end
  out[1] = seq
  if (#out - 1) / 2 >= wanted then
    break
  end
end
return out
