-- GCRA rate limit step for one key. The Go function gcra in ratelimit.go
-- implements the same arithmetic for the in-memory limiter.
--
-- KEYS[1]  the key holding the theoretical arrival time (TAT), in
--          microseconds since the Unix epoch
-- ARGV[1]  emission interval in microseconds (period / limit)
-- ARGV[2]  delay tolerance in microseconds (emission * burst)
--
-- Returns {allowed (0|1), remaining, retry_after_us, reset_after_us}.
-- Every call leaves the key with a TTL of at most the delay tolerance, even
-- when something removed the TTL by hand.

-- Scripts that call TIME must replicate their effects rather than the
-- script itself. Redis 5 and later do that by default, and Redis 7.0 still
-- accepts the call; older servers need it.
if redis.replicate_commands then
  redis.replicate_commands()
end

local key = KEYS[1]
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local tat = tonumber(redis.call('GET', key))
if not tat or tat < now then
  tat = now
end

local new_tat = tat + emission
local diff = now - (new_tat - tolerance)

-- PEXPIRE takes milliseconds; round up so the key never expires before its
-- TAT, and use at least 1 ms.
local function ttl_ms(us)
  local ms = math.ceil(us / 1000)
  if ms < 1 then ms = 1 end
  return ms
end

if diff < 0 then
  local reset_after = tat - now
  if reset_after > 0 then
    redis.call('PEXPIRE', key, ttl_ms(reset_after))
  end
  return {0, 0, -diff, reset_after}
end

local reset_after = new_tat - now
redis.call('SET', key, string.format('%d', new_tat), 'PX', ttl_ms(reset_after))
return {1, math.floor(diff / emission), 0, reset_after}
