-- Extends held, unexpired leases to NOW + ARGV[5] ms: (id, token) pairs from ARGV[6]. Returns {renewed, deadline}.
local deadline = NOW + tonumber(ARGV[5])
heartbeat()
local renewed = 0
for i = 6, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  if is_held(id, token) then
    redis.call('ZADD', P .. 'leases', deadline, id)
    renewed = renewed + 1
  end
end
return { renewed, deadline }
