-- Registers the worker, and is its liveness beat: records its description (ARGV[H+1], JSON) and heartbeat, and, when
-- ARGV[H+2] (the liveness timeout in ms) is not 0, its liveness deadline NOW + timeout in alive. Returns 1 when the
-- worker was already counted alive, 0 when it was not: its first beat, or it had been taken for dead (reap_dead).
heartbeat()
redis.call('HSET', P .. 'worker_info', WORKER, ARGV[H + 1])
local timeout = tonumber(ARGV[H + 2])
if timeout > 0 then
  return 1 - redis.call('ZADD', P .. 'alive', NOW + timeout, WORKER)
end
return 1
