--[[
  Compare-and-pexpire: extend a space lock's TTL only if this instance still holds it.

  KEYS[1]  the lock key (<keyPrefix><spaceId>)
  ARGV[1]  the holder's instanceId
  ARGV[2]  the new TTL in milliseconds, as a decimal string

  Returns
    1  the key held ARGV[1] and its TTL was reset to ARGV[2]
    0  the key is gone or owned by another holder: the lock is lost
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
else
  return 0
end
