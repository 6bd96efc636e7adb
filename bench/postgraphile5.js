// PostGraphile 5 (Grafast) for the benchmark: what its CLI runs (a preset, pgl.createServ(grafserv) on Node's
// http server), once per worker of Node's cluster module, because V5's CLI has no cluster option.
//
//   NODE_PATH=<folder>/node_modules node bench/postgraphile5.js <connection string> <port> <workers>
//
// Preset amber with the connection filter, and the same schema choices as the 4.14 run in bench/postgraphile.py:
// no mutations; orderBy and condition on every column (amber offers them on indexed columns only, and never
// orderBy on enum columns); relations also as plain lists (`…List`) beside connections.
"use strict";

const cluster = require("node:cluster");
const { createServer } = require("node:http");

const [connectionString, port, workers] = process.argv.slice(2);

if (cluster.isPrimary) {
  for (let i = 0; i < Number(workers); i++) {
    cluster.fork();
  }
  cluster.on("exit", (worker, code, signal) => {
    console.error(`PostGraphile 5 worker ${worker.process.pid} ended (${signal || code})`);
    process.exit(1);
  });
  for (const name of ["SIGTERM", "SIGINT"]) {
    process.on(name, () => {
      cluster.removeAllListeners("exit");
      for (const worker of Object.values(cluster.workers)) {
        worker.kill("SIGTERM");
      }
      process.exit(0);
    });
  }
} else {
  const { postgraphile } = require("postgraphile");
  const { PostGraphileAmberPreset } = require("postgraphile/presets/amber");
  const { makePgService } = require("postgraphile/adaptors/pg");
  const { grafserv } = require("postgraphile/grafserv/node");
  const { pgSmartTags } = require("postgraphile/utils");
  const { PostGraphileConnectionFilterPreset } = require("postgraphile-plugin-connection-filter");

  const enumColumnsOrderable = pgSmartTags([
    { kind: "attribute", match: (attribute) => attribute.getType()?.typtype === "e", tags: { behavior: "+orderBy" } },
  ]);
  const preset = {
    extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
    plugins: [enumColumnsOrderable],
    disablePlugins: ["PgIndexBehaviorsPlugin", "PgMutationCreatePlugin", "PgMutationUpdateDeletePlugin"],
    pgServices: [makePgService({ connectionString, schemas: ["public"] })],
    schema: { defaultBehavior: "+list" },
    grafserv: { port: Number(port), host: "127.0.0.1", graphiql: false },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  serv.addTo(server).catch((error) => {
    console.error("PostGraphile 5 did not start", error);
    process.exit(1);
  });
  server.listen({ port: Number(port), host: "127.0.0.1" });
}
