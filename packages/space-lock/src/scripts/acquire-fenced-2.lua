--[[
  Acquire with a fencing token: exactly the plain acquire (SET NX PX) and, only
  if that took the key, the next value of the space's fence counter.

  KEYS[1]  the lock key (<keyPrefix><spaceId>)
  KEYS[2]  the fence counter ({<keyPrefix><spaceId>}:fence); its hash tag is
           all of KEYS[1], so both keys share a Cluster slot. It has no TTL:
           tokens must never start again from 1.
  ARGV[1]  the holder's instanceId
  ARGV[2]  the TTL in milliseconds, as a decimal string

  Returns
    n >= 1  acquired; n is the fencing token, higher than any issued before for this key
    0       the key is held (by any holder, fencing or not); nothing was written
]]
if redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then
  return redis.call("INCR", KEYS[2])
end
return 0
