-- Records the worker's description (ARGV[5], JSON) and its first heartbeat.
heartbeat()
redis.call('HSET', P .. 'worker_info', WORKER, ARGV[5])
return 1
