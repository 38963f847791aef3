// Compiled, never run: the generated types describe the bodies and answers as a TypeScript caller writes them (tsc
// refuses this file when a body's type lost a parameter, or an answer's its fields).
import { customerCreate, customerUpdate, userList } from "./generated/sdk.gen";
import type { CustomerCreated, CustomerPreview, UserPage } from "./generated/types.gen";

export async function typed(): Promise<[CustomerCreated | undefined, CustomerPreview | undefined, UserPage | undefined]> {
  const credentials = { resellerName: "acme", resellerPassword: "s3cret-Reseller" };
  const answer = await customerCreate({ body: { ...credentials, name: "typed", billingType: "PRE_PAID", moCharge: 1 } });
  const created = answer.data && "id" in answer.data ? answer.data : undefined;
  const change = await customerUpdate({ body: { ...credentials, customerId: created?.id ?? "", moCharge: 2, dryRun: true } });
  const preview = change.data && "changed" in change.data ? change.data : undefined;
  const users = await userList({ body: { ...credentials, email: "a@b.com", limit: 10 } });
  return [created, preview, users.data];
}
