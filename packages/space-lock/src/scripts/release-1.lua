--[[
  Compare-and-delete: release a space lock only if this instance still holds it.

  KEYS[1]  the lock key (<keyPrefix><spaceId>)
  ARGV[1]  the holder's instanceId

  Returns
    1  the key held ARGV[1] and was deleted
    0  the key is gone or owned by another holder; nothing was touched
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
else
  return 0
end
