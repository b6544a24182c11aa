-- Stores a computed blocklist checksum only if it is for a newer version than the one held.
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
if tonumber(ARGV[1]) > v then redis.call('HSET', KEYS[1], 'version', ARGV[1], 'sha256', ARGV[2]) end
return 0
