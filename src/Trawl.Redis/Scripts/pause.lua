-- ARGV[H+1] '1' pauses the cluster, '0' resumes it. Either way the pause epoch advances and every worker is told the new
-- pause state ('pause <state>' on the events channel), which also wakes the waiting ones. Returns the pause state.
if ARGV[H + 1] == '1' then
  redis.call('SET', P .. 'paused', string.format('%d', NOW))
else
  redis.call('DEL', P .. 'paused')
end
incr('pause_epoch', 1)
local state = pause_state()
redis.call('PUBLISH', P .. 'events', 'pause ' .. string.format('%d', state))
return state
