-- ARGV[5] '1' pauses the cluster, '0' resumes it. Either way waiting workers are told.
if ARGV[5] == '1' then
  redis.call('SET', P .. 'paused', string.format('%d', NOW))
else
  redis.call('DEL', P .. 'paused')
end
notify()
return 1
