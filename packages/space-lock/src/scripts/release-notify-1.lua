--[[
  Compare-and-delete, then tell the waiters of every process: the release of
  `wakeOnRelease: true`. The delete is exactly release-1.lua's.

  KEYS[1]  the lock key (<keyPrefix><spaceId>)
  ARGV[1]  the holder's instanceId

  Publishes
    ARGV[1] on the channel <KEYS[1]>:released, only when the key was deleted

  Returns
    1  the key held ARGV[1] and was deleted
    0  the key is gone or owned by another holder; nothing was touched or published
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
  redis.call("PUBLISH", KEYS[1] .. ":released", ARGV[1])
  return 1
else
  return 0
end
