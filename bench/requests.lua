-- wrk script: unique, valid POSTs to one endpoint; prints one JSON line of figures at the end.
-- Arguments: path, kind (customer | customer-keyed | customer-apikey | user | customer-user | customer-get |
-- user-update | credit | bare), reseller, password, customerId, run id, then: for user-update the users' ids
-- (comma-separated, updated in turn), for customer-apikey the API key, for credit the customers' ids (comma-separated,
-- credited in turn).
-- customer-keyed sends a fresh Idempotency-Key with each request, as a retrying phone app does.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  path, kind, reseller, password, customer_id, run_id, extra = args[1], args[2], args[3], args[4], args[5], args[6], args[7]
  prefix = run_id .. "t" .. thread_id .. "n"
  credentials = "resellerName=" .. reseller .. "&resellerPassword=" .. password
  targets = {}
  if kind == "credit" or kind == "user-update" then
    for id in string.gmatch(extra, "[^,]+") do
      table.insert(targets, id)
    end
  end
end

function request()
  counter = counter + 1
  local unique = prefix .. counter
  local body
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  if kind == "customer-keyed" then
    headers["Idempotency-Key"] = "key-" .. unique
  end
  if kind == "customer" or kind == "customer-keyed" or kind == "bare" then
    body = credentials .. "&name=" .. unique .. "&moCharge=5&billingType=PRE_PAID"
  elseif kind == "customer-apikey" then
    headers["Authorization"] = "Bearer " .. extra
    body = "name=" .. unique .. "&moCharge=5&billingType=PRE_PAID"
  elseif kind == "credit" then
    body = credentials .. "&customerId=" .. targets[(counter + thread_id * 7) % #targets + 1] ..
      "&amount=1&reason=TOPUP"
  elseif kind == "customer-get" then
    body = credentials .. "&customerId=" .. customer_id
  elseif kind == "user-update" then
    body = credentials .. "&userId=" .. targets[(counter + thread_id * 7) % #targets + 1] .. "&contactName=" .. unique
  elseif kind == "user" then
    body = credentials .. "&username=" .. unique .. "&password=user-pw-" .. counter ..
      "&customerId=" .. customer_id .. "&email=" .. unique .. "%40example.com&phoneNumber=%2B48999444111"
  else
    body = credentials .. "&customer=" .. unique .. "%40" .. reseller .. "&username=" .. unique .. "%40" .. reseller ..
      "&password=user-pw-" .. counter .. "&applyFreeCredits=true&email=" .. unique .. "%40example.com"
  end
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "non_2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status, latency:percentile(50), latency:percentile(99)))
end
