-- Records how far an output has been written: ARGV[H+1] the exports field (the output, or SHARE|output), ARGV[H+2]
-- "sequence position". A script rather than a bare HSET so that every call a crawling worker makes is one script run,
-- which is what INFO commandstats counts as EVALSHA (bench/cluster.sh), and the ids of acknowledged batches ride along.
redis.call('HSET', P .. 'exports', ARGV[H + 1], ARGV[H + 2])
return 1
