// Login → create → list against a running service, through the TypeScript client generated from openapi.yaml
// (openapi-typescript types + openapi-fetch). Run by scripts/check-contract.sh; BASE_URL names the server.
import createClient from "openapi-fetch";
import type { paths } from "./generated/schema.js";

const client = createClient<paths>({ baseUrl: process.env.BASE_URL ?? "http://127.0.0.1:8080" });

async function main(): Promise<void> {
  const login = await client.POST("/api/v1/auth/token", {
    body: { grant_type: "password", username: "hongshan", password: "demo-password-2026" },
  });
  if (!login.data) throw new Error(`login: ${login.response.status} ${JSON.stringify(login.error)}`);
  const headers = { Authorization: `Bearer ${login.data.access_token}` };

  const created = await client.POST("/api/v1/retirees", {
    headers,
    body: {
      name: "李四",
      id_number: "350203195602020029",
      retirement_date: "2016-02-01",
      category: "enterprise_employee",
      management_level: "city_managed",
      community_code: "350203001001",
      monthly_pension: "3600.00",
    },
  });
  if (!created.data) throw new Error(`create: ${created.response.status} ${JSON.stringify(created.error)}`);

  const page = await client.GET("/api/v1/retirees", { headers, params: { query: { limit: "500" } } });
  if (!page.data) throw new Error(`list: ${page.response.status} ${JSON.stringify(page.error)}`);
  const found = page.data.items.some((r) => r.id === created.data.id);
  if (!found) throw new Error(`list: retiree ${created.data.id} not on the first page`);
  console.log(`typescript client: login, create (id ${created.data.id}), list (${page.data.items.length} rows): ok`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
