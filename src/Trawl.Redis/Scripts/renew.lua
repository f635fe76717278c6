-- Extends held, unexpired leases to NOW + ARGV[H+1] ms: (id, token) pairs from ARGV[H+2]. Returns {renewed, deadline}.
local deadline = NOW + tonumber(ARGV[H + 1])
heartbeat()
local renewed = 0
for i = H + 2, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  if is_held(id, token) then
    redis.call('ZADD', P .. 'leases', deadline, id)
    renewed = renewed + 1
  end
end
return { renewed, deadline }
