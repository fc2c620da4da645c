-- wrk script: POST a shipment with a fresh Idempotency-Key per request (every request executes),
-- or, with REPLAY=1 in the environment, one key per thread (every request after the first is a
-- replay). The body is the spec's ShipmentRequest example, written by load.sh.
local body_file = assert(io.open(os.getenv("BODY_FILE"), "r"))
local body = body_file:read("*a")
body_file:close()
local replay = os.getenv("REPLAY") == "1"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local counter = 0
function request()
  counter = counter + 1
  local n = replay and 0 or counter
  local key = string.format("load-%04d-%012d", thread_id, n)
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer sandbox-token",
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end
