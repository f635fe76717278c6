-- Records the crawl's dedup settings if none are recorded yet (ARGV[5] mode, ARGV[6] Bloom bits, ARGV[7] Bloom
-- hashes), and returns the recorded ones, which every worker adopts: {mode, bits, hashes, created}.
if redis.call('HEXISTS', P .. 'config', 'dedup') == 0 then
  redis.call('HSET', P .. 'config', 'dedup', ARGV[5], 'bloom_bits', ARGV[6], 'bloom_hashes', ARGV[7],
    'created', string.format('%d', NOW), 'version', '1')
end
return redis.call('HMGET', P .. 'config', 'dedup', 'bloom_bits', 'bloom_hashes', 'created')
