// Calls one operation through the client generated from the service's openapi.json (@hey-api/openapi-ts with its
// fetch client), by its operationId: node build/runner.js BASE_URL OPERATION_ID < body.json
// Prints {"status": HTTP status, "data": the parsed answer}; exit status 3 when the client has no such operation.
import { readFileSync } from "node:fs";
import { client } from "./generated/client.gen";
import * as sdk from "./generated/sdk.gen";

type Call = (options: { body?: unknown }) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

async function main(): Promise<void> {
  const [baseUrl, operationId] = process.argv.slice(2);
  const body: unknown = JSON.parse(readFileSync(0, "utf8"));
  const call = (sdk as Record<string, unknown>)[operationId];
  if (typeof call !== "function") {
    process.stderr.write(`the generated client has no function for ${operationId}\n`);
    process.exit(3);
  }
  client.setConfig({ baseUrl });
  const result = await (call as Call)(body === null ? {} : { body });
  if (!result.response) {
    throw result.error;
  }
  process.stdout.write(JSON.stringify({ status: result.response.status, data: result.data ?? result.error ?? null }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
