--[[
  Compare-and-delete, then tell the waiters of every process: the release of
  `wakeOnRelease` (the default). The delete is exactly release-1.lua's.

  KEYS[1]  the lock key (<keyPrefix><spaceId>)
  ARGV[1]  the holder's instanceId

  Publishes
    ARGV[1] on the channel named KEYS[1], only when the key was deleted.
    Channels and keys are separate namespaces; the key's own name spares the
    string the script would otherwise build on every release, which cost
    Redis more time than the PUBLISH itself.

  Returns
    1  the key held ARGV[1] and was deleted
    0  the key is gone or owned by another holder; nothing was touched or published
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
  redis.call("PUBLISH", KEYS[1], ARGV[1])
  return 1
else
  return 0
end
