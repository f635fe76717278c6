-- Claims up to ARGV[H+1] messages from start_urls for ARGV[H+2] ms, after putting back claims that lapsed (their worker
-- died between claiming and adding). Returns {claim id, messages…}, or {0} when start_urls is empty.
local lapsed = redis.call('ZRANGEBYSCORE', P .. 'seed_claims', '-inf', NOW, 'LIMIT', 0, 100)
for i = 1, #lapsed do
  local key = P .. 'seed_claim:' .. lapsed[i]
  local msgs = redis.call('LRANGE', key, 0, -1)
  -- Claimed from the right end; pushing back in reverse keeps them first in line, in their order.
  for j = #msgs, 1, -1 do
    redis.call('RPUSH', P .. 'start_urls', msgs[j])
  end
  redis.call('DEL', key)
  redis.call('ZREM', P .. 'seed_claims', lapsed[i])
end
local msgs = redis.call('RPOP', P .. 'start_urls', tonumber(ARGV[H + 1]))
if not msgs then
  return { 0 }
end
local id = incr('seed_claim_seq', 1)
local out = { id }
for i = 1, #msgs do
  redis.call('RPUSH', P .. 'seed_claim:' .. id, msgs[i])
  out[#out + 1] = msgs[i]
end
redis.call('ZADD', P .. 'seed_claims', NOW + tonumber(ARGV[H + 2]), id)
return out
