import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
let s = 10000 >>> 0; const rnd = () => { s = (s + 0x6d2b79f5) >>> 0; let v = s; v = Math.imul(v ^ (v >>> 15), v | 1); v ^= v + Math.imul(v ^ (v >>> 7), v | 61); return ((v ^ (v >>> 14)) >>> 0) / 4294967296; };
const vec = () => `[${Array.from({ length: 128 }, () => rnd() * 2 - 1).join(",")}]`;
const db = await PGlite.create({ extensions: { vector } });
await db.exec("CREATE EXTENSION vector; CREATE TABLE c (id text primary key, e vector(128))");
const N = Number(process.argv[2] ?? 10000);
for (let i = 0; i < N; i += 2000) { const ids = [], vs = []; for (let j = i; j < Math.min(N, i + 2000); j++) { ids.push("v" + j); vs.push(vec()); } await db.query("INSERT INTO c SELECT * FROM unnest($1::text[], $2::text[]::vector[])", [ids, vs]); }
let t = performance.now(); await db.exec("CREATE INDEX ON c USING hnsw (e vector_cosine_ops)"); console.log(`N=${N} build ${((performance.now() - t) / 1000).toFixed(1)} s`);
const queries = Array.from({ length: 30 }, vec);
const truth = [];
let exactMs = [];
for (const q of queries) { await db.exec("BEGIN; SET LOCAL enable_indexscan = off"); t = performance.now(); truth.push(new Set((await db.query("SELECT id FROM c ORDER BY e <=> $1::vector, id LIMIT 10", [q])).rows.map(r => r.id))); exactMs.push(performance.now() - t); await db.exec("COMMIT"); }
exactMs.sort((a, b) => a - b); console.log(`exact p50 ${exactMs[15].toFixed(1)} ms`);
for (const ef of [40, 100, 200, 400]) {
  let found = 0; const ms = [];
  for (const [i, q] of queries.entries()) { await db.exec(`BEGIN; SET LOCAL hnsw.ef_search = ${ef}`); t = performance.now(); const rows = (await db.query("SELECT id FROM c ORDER BY e <=> $1::vector LIMIT 10", [q])).rows; ms.push(performance.now() - t); await db.exec("COMMIT"); found += rows.filter(r => truth[i].has(r.id)).length; }
  ms.sort((a, b) => a - b); console.log(`ef_search ${ef}: recall@10 ${(found / 300 * 100).toFixed(1)}% p50 ${ms[15].toFixed(1)} ms`);
}
await db.close();
