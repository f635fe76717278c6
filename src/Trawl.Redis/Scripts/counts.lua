-- Returns {pending, delayed, in progress, done, failed, skipped}; a damaged count reads as 0.
local s = redis.call('HMGET', P .. 'stats', 'done', 'failed', 'skipped')
return { redis.call('ZCARD', P .. 'pending'), redis.call('ZCARD', P .. 'delayed'), redis.call('ZCARD', P .. 'leases'),
  count_of(s[1]), count_of(s[2]), count_of(s[3]) }
