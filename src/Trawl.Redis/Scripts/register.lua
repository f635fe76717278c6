-- Records the worker's description (ARGV[H+1], JSON) and its first heartbeat.
heartbeat()
redis.call('HSET', P .. 'worker_info', WORKER, ARGV[H + 1])
return 1
