-- Whether a lease could be taken now. Returns {ready, exhausted, pause state, ms until the next retry, lease deadline or
-- liveness deadline of a worker while leases are out (-1 for none), seeds waiting, set aside}.
heartbeat()
local pause = pause_state()
local paused = pause % 2
-- Seeds to claim: messages in start_urls, and claims whose worker died before scheduling them (put back by seed_claim).
local seeds = redis.call('LLEN', P .. 'start_urls') + redis.call('ZCOUNT', P .. 'seed_claims', '-inf', NOW)
promote(1000)
reap_dead()
reclaim(1000)
local pending = redis.call('ZCARD', P .. 'pending')
if paused == 0 and pending > 0 then
  return { 1, 0, pause, -1, seeds, SET_ASIDE }
end
local wake = -1
for _, key in ipairs({ 'delayed', 'leases', 'seed_claims' }) do
  local first = redis.call('ZRANGE', P .. key, 0, 0, 'WITHSCORES')
  if #first > 0 then
    local at = tonumber(first[2]) - NOW
    if at < 0 then
      at = 0
    end
    if wake < 0 or at < wake then
      wake = at
    end
  end
end
-- Leases held by a worker that dies come back when its liveness deadline passes, before their own deadlines.
if redis.call('ZCARD', P .. 'leases') > 0 then
  local first = redis.call('ZRANGE', P .. 'alive', 0, 0, 'WITHSCORES')
  if #first > 0 then
    local at = math.max(tonumber(first[2]) - NOW, 0)
    if at < wake then
      wake = at
    end
  end
end
local exhausted = 0
if paused == 0 and pending == 0 and wake < 0 and seeds == 0 then
  exhausted = 1
end
return { 0, exhausted, pause, wake, seeds, SET_ASIDE }
