import { v4 as uuidv4 } from "uuid";

/** A fresh UUIDv4, made on the client so a Stop button can be wired before the first await. */
export function newRequestId(): string {
  return uuidv4();
}
