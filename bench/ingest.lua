-- wrk script for the webhook ingest benchmark.
-- Arguments (after --): body template file, sb-signing-secret, run id.
-- Every request carries a message_handle never sent before (run id, thread, counter),
-- so the integration's dedupe never short-circuits a delivery.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local head, tail, run_id
local counter = 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local template = file:read("*a")
  file:close()
  local first, last = string.find(template, "@HANDLE@", 1, true)
  head = string.sub(template, 1, first - 1)
  tail = string.sub(template, last + 1)
  run_id = args[3]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["sb-signing-secret"] = args[2]
end

function request()
  counter = counter + 1
  local handle = "bench-" .. run_id .. "-" .. thread_id .. "-" .. counter
  return wrk.format(nil, nil, nil, head .. handle .. tail)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"status_errors": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), errors.status, errors.connect, errors.read,
    errors.write, errors.timeout))
end
