// The bench's windowed query in DuckDB (its npm package, installed by
// bench/run into build/duckdb for the bench only): node duckdb.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';
const file = process.argv[2].replace(/'/g, "''");
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const reader = await con.runAndReadAll(`
  SELECT host, time_bucket(INTERVAL '1 minute', ts::TIMESTAMPTZ) AS minute, count(*) AS n,
    avg(latency_ms) AS avg_ms, quantile_disc(latency_ms, 0.99) AS p99
  FROM read_json('${file}', format = 'newline_delimited',
    columns = {ts: 'VARCHAR', host: 'VARCHAR', status: 'BIGINT', latency_ms: 'DOUBLE'})
  WHERE status >= 500 GROUP BY ALL HAVING count(*) > 10`);
for (const row of reader.getRowObjectsJson())
  process.stdout.write(JSON.stringify(row) + '\n');
