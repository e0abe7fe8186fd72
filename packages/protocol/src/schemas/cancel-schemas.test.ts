import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../errors/error-classes.ts";
import { parseCancelTarget } from "./cancel-schemas.ts";

function refusal(target: unknown): InvalidInputError {
  try {
    parseCancelTarget(target);
  } catch (error) {
    if (InvalidInputError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(target)}`);
}

describe("parseCancelTarget", () => {
  it("names every form when there is no usable target (never an empty field list)", () => {
    for (const target of [undefined, null, {}, [], "a-string", 7]) {
      const error = refusal(target);
      expect(error.field).toBe("");
      expect(error.operation).toBe("cancel");
      expect(error.message).toMatch(/\{ requestId \}.*\{ modelId, kind\? \}/);
      expect(error.message).not.toMatch(/fields\s*$/);
    }
  });

  it("refuses a malformed requestId by name; a well-formed one normalises to a request target", () => {
    expect(refusal({ requestId: "not-a-uuid" })).toMatchObject({ field: "requestId", reason: expect.stringMatching(/UUID/) });
    const requestId = crypto.randomUUID();
    expect(parseCancelTarget({ requestId })).toEqual({ operation: "request", requestId });
  });

  it("accepts { operation: 'rag', workspace } and names a bad workspace", () => {
    expect(parseCancelTarget({ operation: "rag", workspace: "notes" })).toEqual({ operation: "rag", workspace: "notes" });
    expect(refusal({ operation: "rag", workspace: "../up" })).toMatchObject({ field: "workspace" });
    expect(refusal({ operation: "rag" })).toMatchObject({ field: "workspace" });
  });

  it("normalises the broad and legacy forms", () => {
    expect(parseCancelTarget({ modelId: "m" })).toEqual({ operation: "broad", modelId: "m" });
    expect(parseCancelTarget({ operation: "inference", modelId: "m" })).toEqual({ operation: "broad", modelId: "m", kind: "completion" });
    expect(refusal({ modelId: "m", kind: "bogus" }).field).toBe("kind");
  });
});
