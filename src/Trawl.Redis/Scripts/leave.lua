-- A worker leaves the crawl cleanly: it no longer counts as live.
redis.call('ZREM', P .. 'workers', WORKER)
redis.call('ZREM', P .. 'alive', WORKER)
redis.call('HDEL', P .. 'worker_info', WORKER)
return 1
