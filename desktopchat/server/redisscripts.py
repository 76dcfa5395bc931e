"""The Lua scripts a Redis room runs, and the names of its keys.

Every change to the shared room is one script, so Redis carries it out
atomically: the check (is the epoch still ours, is the name free, was this
cid already carried out), the id (``INCR``) and the stream entry (``XADD``
with that id) happen together, and the stream's order is the id order on
every server. docs/ARCHITECTURE.md, "One room on several servers", has the
picture; ``redislink.py`` runs these scripts on its own threads.

Keys, all under the prefix ``desktopchat:ROOM:``:

``epoch``   the room's epoch; ``base`` the last id of the epoch before it
``id``      the id counter; ``stream`` the Stream of room events (``ID-0``)
``names``   name key -> "SID TAG NAME SKELETON ENC" (tab-separated): who holds
            which name, on which server
``looks``   skeleton -> name key (look-alike names are refused room-wide)
``done:TAG`` cid -> "ID TIME": requests already carried out (a day)
``servers`` server id -> "HOST:PORT,..."; ``alive:SID`` a heartbeat with a TTL
``secret``  the key of the token tags (the same tag for a client everywhere)
"""

from __future__ import annotations

__all__ = ["BURY", "ENSURE", "PUBLISH"]

#: ARGV: prefix, new epoch, seed id. Makes the epoch if there is none (a new
#: room, or a Redis that lost its data) with ids going on from ``seed``;
#: returns the epoch and its base.
ENSURE = """
local P = ARGV[1]
local e = redis.call('GET', P..'epoch')
if e then return {e, redis.call('GET', P..'base') or '0'} end
local seed = tonumber(ARGV[3])
redis.call('SET', P..'epoch', ARGV[2])
local cur = tonumber(redis.call('GET', P..'id') or '0')
if cur < seed then redis.call('SET', P..'id', seed) end
redis.call('SET', P..'base', seed)
redis.call('SETNX', P..'secret', ARGV[4])
return {ARGV[2], tostring(seed)}
"""

#: ARGV: prefix, epoch, maxlen, kind, tag, cid, a, b, c, d, value, sid, then the
#: entry's field/value pairs. Kinds: m a (chat), p (private: a = recipient key),
#: j (join: a = key, b = skeleton, value = names value), n (nick: a/b = new
#: key/skeleton, c/d = old), l (leave: a/b = key/skeleton).
#: Returns {"OK", id}, {"DUP", "ID TIME"}, {"EPOCH"}, {"NOUSER"},
#: {"TAKEN", name}, {"LOOKS", name}, {"SAME"} (a join taking over its own
#: name: no entry) or {"GONE"} (a leave of a name no longer ours: no entry).
PUBLISH = """
local P = ARGV[1]
if redis.call('GET', P..'epoch') ~= ARGV[2] then return {'EPOCH'} end
local kind, tag, cid = ARGV[4], ARGV[5], ARGV[6]
local a, b, c, d, value, sid = ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
if cid ~= '' then
  local done = redis.call('HGET', P..'done:'..tag, cid)
  if done then return {'DUP', done} end
end
local fields = {}
for i = 13, #ARGV do fields[#fields + 1] = ARGV[i] end
local function holder(key)
  local v = redis.call('HGET', P..'names', key)
  if not v then return nil end
  local parts = {}
  for part in string.gmatch(v, '([^\\t]*)\\t?') do parts[#parts + 1] = part end
  return parts
end
local function check(key, skel, mine)
  local h = holder(key)
  if h and h[2] ~= tag and key ~= mine then return {'TAKEN', h[3]} end
  local other = redis.call('HGET', P..'looks', skel)
  if other and other ~= key and other ~= mine then
    local o = holder(other)
    if o then return {'LOOKS', o[3]} end
  end
  return nil
end
if kind == 'p' then
  local h = holder(a)
  if not h then return {'NOUSER'} end
  fields[#fields + 1] = 'tt'; fields[#fields + 1] = h[2]
  fields[#fields + 1] = 'to'; fields[#fields + 1] = h[3]
elseif kind == 'j' then
  local h = holder(a)
  if h and h[2] == tag then
    redis.call('HSET', P..'names', a, value)
    return {'SAME', redis.call('GET', P..'id') or '0'}
  end
  local no = check(a, b, '')
  if no then return no end
  redis.call('HSET', P..'names', a, value)
  redis.call('HSET', P..'looks', b, a)
elseif kind == 'n' then
  local no = check(a, b, c)
  if no then return no end
  if redis.call('HGET', P..'looks', d) == c then redis.call('HDEL', P..'looks', d) end
  redis.call('HDEL', P..'names', c)
  redis.call('HSET', P..'names', a, value)
  redis.call('HSET', P..'looks', b, a)
elseif kind == 'l' then
  local h = holder(a)
  if not h or h[1] ~= sid or h[2] ~= tag then return {'GONE'} end
  redis.call('HDEL', P..'names', a)
  if redis.call('HGET', P..'looks', b) == a then redis.call('HDEL', P..'looks', b) end
end
local id = redis.call('INCR', P..'id')
redis.call('XADD', P..'stream', 'MAXLEN', '~', ARGV[3], id..'-0', unpack(fields))
if cid ~= '' then
  local t = ''
  for i = 1, #fields, 2 do if fields[i] == 't' then t = fields[i + 1] end end
  redis.call('HSET', P..'done:'..tag, cid, id..' '..t)
  redis.call('EXPIRE', P..'done:'..tag, 86400)
end
return {'OK', tostring(id)}
"""

#: ARGV: prefix, epoch, dead server id, maxlen, time. Removes the names of a
#: server whose heartbeat expired and announces their leaves (once: the first
#: survivor to run it finds the names gone afterwards). Returns how many.
BURY = """
local P = ARGV[1]
if redis.call('GET', P..'epoch') ~= ARGV[2] then return 0 end
local dead = ARGV[3]
if redis.call('EXISTS', P..'alive:'..dead) == 1 then return 0 end
local all = redis.call('HGETALL', P..'names')
local n = 0
for i = 1, #all, 2 do
  local parts = {}
  for part in string.gmatch(all[i + 1], '([^\\t]*)\\t?') do parts[#parts + 1] = part end
  if parts[1] == dead then
    redis.call('HDEL', P..'names', all[i])
    if redis.call('HGET', P..'looks', parts[4]) == all[i] then
      redis.call('HDEL', P..'looks', parts[4])
    end
    local id = redis.call('INCR', P..'id')
    redis.call('XADD', P..'stream', 'MAXLEN', '~', ARGV[4], id..'-0',
      'k', 'l', 't', ARGV[5], 's', parts[3], 'a', parts[2], 'o', 'sweep')
    n = n + 1
  end
end
redis.call('HDEL', P..'servers', dead)
return n
"""
