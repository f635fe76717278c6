-- Leases up to ARGV[H+1] due requests for ARGV[H+2] ms, as the operation ARGV[H+3]. Returns {pause state, seeds waiting,
-- deadline, n, set aside, (id, token, attempts, json)*n}; nothing is leased while the cluster is paused. An entry found
-- damaged is set aside, not leased. The leases granted are memoized as "deadline id token id token …": sent again after a
-- lost reply, the call returns those of them still held instead of leasing more, so none is stranded until it expires.
local max = tonumber(ARGV[H + 1])
local lease_ms = tonumber(ARGV[H + 2])
local op = ARGV[H + 3]
heartbeat()
-- Seeds to claim: messages in start_urls, and claims whose worker died before scheduling them (put back by seed_claim).
local seeds = redis.call('LLEN', P .. 'start_urls') + redis.call('ZCOUNT', P .. 'seed_claims', '-inf', NOW)
local pause = pause_state()

-- An entry that can be handed out: its attempts and request, or nil once it has been set aside.
local function leasable(id)
  local _, attempts, reason = entry_info(id)
  local body = attempts and redis.call('HGET', P .. 'requests', id)
  if not attempts or not body then
    set_aside_entry(id, reason or 'no request')
    return nil
  end
  return attempts, body
end

local memo = memo_get(op)
if memo then
  local granted = {}
  for word in string.gmatch(memo, '%S+') do
    granted[#granted + 1] = word
  end
  -- Only a memo of the form memo_set wrote is trusted; any other is forgotten, and the call leases afresh.
  if is_int(granted[1]) and #granted % 2 == 1 then
    local out = { pause, seeds, tonumber(granted[1]), 0, 0 }
    for i = 2, #granted, 2 do
      local id, token = granted[i], granted[i + 1]
      if is_held(id, token) then
        local attempts, body = leasable(id)
        if attempts then
          out[#out + 1] = id
          out[#out + 1] = token
          out[#out + 1] = attempts
          out[#out + 1] = body
          out[4] = out[4] + 1
        end
      end
    end
    out[5] = SET_ASIDE
    return out
  end
  memo_forget(op)
end
if pause % 2 == 1 then
  return { pause, seeds, 0, 0, SET_ASIDE }
end
promote(1000)
reap_dead()
reclaim(1000)
local popped = redis.call('ZPOPMIN', P .. 'pending', max)
local ready = {}
for i = 1, #popped, 2 do
  local id = popped[i]
  local attempts, body = leasable(id)
  if attempts then
    ready[#ready + 1] = { id, attempts, body }
  end
end
local n = #ready
local deadline = NOW + lease_ms
local out = { pause, seeds, deadline, n, SET_ASIDE }
if n == 0 then
  return out
end
local last = incr('tokens', n)
local granted = { string.format('%d', deadline) }
for i = 1, n do
  local id, attempts, body = ready[i][1], ready[i][2], ready[i][3]
  local token = string.format('%d', last - n + i)
  redis.call('ZADD', P .. 'leases', deadline, id)
  redis.call('HSET', P .. 'holders', id, token .. ' ' .. WORKER)
  out[#out + 1] = id
  out[#out + 1] = token
  out[#out + 1] = attempts
  out[#out + 1] = body
  granted[#granted + 1] = id
  granted[#granted + 1] = token
end
memo_set(op, table.concat(granted, ' '))
hincr('stats', 'leased', n)
out[5] = SET_ASIDE
return out
