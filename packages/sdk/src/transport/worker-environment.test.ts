import { describe, expect, it } from "vitest";
import { workerEnvironment } from "./worker-environment.ts";

describe("workerEnvironment", () => {
  const env = { PATH: "/usr/bin", NODE_EXTRA_CA_CERTS: "/etc/ssl/corp.pem" };

  it("hands NODE_EXTRA_CA_CERTS over under Rein's own name when only Rein's code runs in the worker", () => {
    const result = workerEnvironment(env, { onlyReinCode: true });
    expect(result).toEqual({ PATH: "/usr/bin", REIN_WORKER_EXTRA_CA_CERTS: "/etc/ssl/corp.pem" });
    expect(env.NODE_EXTRA_CA_CERTS).toBe("/etc/ssl/corp.pem");
  });

  it("keeps it for an app's own entry or op modules, whose code may make HTTPS requests of its own", () => {
    expect(workerEnvironment(env, { onlyReinCode: false })).toBe(env);
  });

  it("keeps it when NODE_OPTIONS picks another certificate store, which the download's bundled roots would replace", () => {
    for (const option of ["--use-openssl-ca", "--use-system-ca"]) {
      const withStore = { ...env, NODE_OPTIONS: `--max-old-space-size=512 ${option}` };
      expect(workerEnvironment(withStore, { onlyReinCode: true })).toBe(withStore);
    }
    const bundled = { ...env, NODE_OPTIONS: "--use-bundled-ca" };
    expect(workerEnvironment(bundled, { onlyReinCode: true })).not.toHaveProperty("NODE_EXTRA_CA_CERTS");
  });

  it("changes nothing when the variable is unset or empty", () => {
    const plain = { PATH: "/usr/bin" };
    expect(workerEnvironment(plain, { onlyReinCode: true })).toBe(plain);
    const empty = { PATH: "/usr/bin", NODE_EXTRA_CA_CERTS: "" };
    expect(workerEnvironment(empty, { onlyReinCode: true })).toBe(empty);
  });
});
