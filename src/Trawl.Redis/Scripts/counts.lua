-- Returns {pending, delayed, in progress, done, failed, skipped}.
local s = redis.call('HMGET', P .. 'stats', 'done', 'failed', 'skipped')
return { redis.call('ZCARD', P .. 'pending'), redis.call('ZCARD', P .. 'delayed'), redis.call('ZCARD', P .. 'leases'),
  tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0) }
