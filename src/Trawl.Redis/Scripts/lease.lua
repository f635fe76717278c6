-- Leases up to ARGV[5] due requests for ARGV[6] ms, as the operation ARGV[7]. Returns {pause state, seeds waiting,
-- deadline, n, (id, token, attempts, json)*n}; nothing is leased while the cluster is paused. The leases granted are
-- memoized as "deadline id token id token …": sent again after a lost reply, the call returns those of them still held
-- instead of leasing more, so none is stranded until it expires.
local max = tonumber(ARGV[5])
local lease_ms = tonumber(ARGV[6])
local op = ARGV[7]
heartbeat()
-- Seeds to claim: messages in start_urls, and claims whose worker died before scheduling them (put back by seed_claim).
local seeds = redis.call('LLEN', P .. 'start_urls') + redis.call('ZCOUNT', P .. 'seed_claims', '-inf', NOW)
local pause = pause_state()
local memo = memo_get(op)
if memo then
  local granted = {}
  for word in string.gmatch(memo, '%S+') do
    granted[#granted + 1] = word
  end
  local out = { pause, seeds, tonumber(granted[1]), 0 }
  for i = 2, #granted, 2 do
    local id, token = granted[i], granted[i + 1]
    if is_held(id, token) then
      local _, attempts = entry_info(id)
      out[#out + 1] = id
      out[#out + 1] = token
      out[#out + 1] = attempts
      out[#out + 1] = redis.call('HGET', P .. 'requests', id) or ''
      out[4] = out[4] + 1
    end
  end
  return out
end
if pause % 2 == 1 then
  return { pause, seeds, 0, 0 }
end
promote(1000)
reclaim(1000)
local popped = redis.call('ZPOPMIN', P .. 'pending', max)
local n = #popped / 2
local deadline = NOW + lease_ms
local out = { pause, seeds, deadline, n }
if n == 0 then
  return out
end
local last = redis.call('INCRBY', P .. 'tokens', n)
local granted = { string.format('%d', deadline) }
for i = 1, n do
  local id = popped[2 * i - 1]
  local token = string.format('%d', last - n + i)
  redis.call('ZADD', P .. 'leases', deadline, id)
  redis.call('HSET', P .. 'holders', id, token .. ' ' .. WORKER)
  local _, attempts = entry_info(id)
  out[#out + 1] = id
  out[#out + 1] = token
  out[#out + 1] = attempts
  out[#out + 1] = redis.call('HGET', P .. 'requests', id) or ''
  granted[#granted + 1] = id
  granted[#granted + 1] = token
end
memo_set(op, table.concat(granted, ' '))
redis.call('HINCRBY', P .. 'stats', 'leased', n)
return out
