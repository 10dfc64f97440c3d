#!/usr/bin/env node
// Starts @vercel/cosmosdb-server as a local Cosmos DB (NoSQL API) for the official Rust SDK
// (azure_data_cosmos 1.0), bound to 127.0.0.1 only, and adjusts the traffic where the server and
// the SDK disagree. Local and test use only; see shared/reference/local-emulators.md.
//
//   node local/cosmos/wrapper.js --port 8081 [--host 127.0.0.1] (--cert F --key F | --http)
//
// The four incompatibilities, each fixed in one place below (a `request` listener that runs before
// the server's own handler, and a rewrite of the few responses that need it):
//   1. partition-key-range ids come back as numbers; the SDK expects strings (it fails to open a
//      container with 503/20305) -> stringify `id` (and `parents`) in `/pkranges` responses;
//   2. in plain-HTTP mode the account document still advertises `https://` region endpoints, so
//      the SDK would switch scheme -> rewrite them to `http://` in `GET /` responses;
//   3. reading a missing document crashes the server's handler (500, which the SDK retries) instead
//      of answering 404 -> turn that crash into the 404 NotFound real Cosmos sends;
//   4. the SDK fans cross-partition queries out per partition-key range without
//      `x-ms-documentdb-query-enablecrosspartition`, and the server then rejects filters on
//      anything but the partition key ("missing partition keys") -> a query that names no
//      partition key gets that header. A query that names one stays single-partition.
//
// Besides, for the benchmarks, the wrapper counts the requests each database receives by Cosmos DB
// operation (point read, create, upsert, replace, delete, query; `other` for metadata reads) and
// answers them at `GET /_offboard/operations?db=NAME` (JSON). Real Cosmos bills every one of
// them in request units; this server reports none, so the count is what can be measured here.
//
// Without auth: the server accepts any Authorization header, so the SDK's Entra ID tokens (from the
// managed-identity stand-in) and keys both work. It keeps everything in memory.
"use strict";

const fs = require("fs");
const path = require("path");

function usage(message) {
  if (message) console.error(`cosmos wrapper: ${message}`);
  console.error(
    "usage: node wrapper.js --port PORT [--host 127.0.0.1] (--cert server.pem --key server.key | --http)"
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = { host: "127.0.0.1", port: null, cert: null, key: null, http: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      i += 1;
      return argv[i];
    };
    switch (flag) {
      case "--host":
        args.host = value();
        break;
      case "--port":
        args.port = Number.parseInt(value(), 10);
        break;
      case "--cert":
        args.cert = value();
        break;
      case "--key":
        args.key = value();
        break;
      case "--http":
        args.http = true;
        break;
      case "-h":
      case "--help":
        usage();
        break;
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) usage("--port is required");
  if (!args.http && (!args.cert || !args.key)) usage("give --cert and --key, or --http");
  if (args.host !== "127.0.0.1" && args.host !== "::1" && args.host !== "localhost") {
    usage("--host must be a loopback address: this server has no authentication");
  }
  return args;
}

// Cosmos DB resource ids (`_rid`) are Base64 with `-` in place of `/`. The npm server writes
// plain Base64 and reads back only the first `-`, so once it holds enough resources (the 63rd
// database: `gAA/AIAAAAE=`) it hands out ids the Rust SDK rightly refuses ("failed to extract
// database RID from container RID"). Tests sharing one server each create a database, so the
// wrapper makes the server encode and decode ids as Cosmos DB does.
function canonicalResourceIds(root) {
  const ResourceId = require(
    require.resolve("@vercel/cosmosdb-server/lib/account/resource-id", { paths: [root] })
  ).default;
  ResourceId.toBase64String = (buffer) => buffer.toString("base64").replace(/\//g, "-");
  ResourceId.fromBase64String = (s) => Buffer.from(s.replace(/-/g, "/"), "base64");
}

// Resolve the server from local/node_modules wherever the wrapper is started from.
function loadServer() {
  const root = path.resolve(__dirname, "..");
  try {
    const server = require(require.resolve("@vercel/cosmosdb-server", { paths: [root] }));
    canonicalResourceIds(root);
    return server;
  } catch (err) {
    console.error(
      "cosmos wrapper: @vercel/cosmosdb-server is not installed; run `local/stack.sh install` first"
    );
    console.error(String(err && err.message));
    process.exit(3);
  }
}

const DOC_PATH = /^\/dbs\/[^/]+\/colls\/[^/]+\/docs\/[^/]+$/;
const DOCS_PATH = /^\/dbs\/[^/]+\/colls\/[^/]+\/docs$/;
const PKRANGES_PATH = /^\/dbs\/[^/]+\/colls\/[^/]+\/pkranges$/;

function pathOf(req) {
  const q = req.url.indexOf("?");
  return q === -1 ? req.url : req.url.slice(0, q);
}

function headerValue(req, name) {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isQuery(req) {
  const contentType = headerValue(req, "content-type") || "";
  return (
    req.method === "POST" &&
    (contentType.startsWith("application/query+json") ||
      String(headerValue(req, "x-ms-documentdb-isquery")).toLowerCase() === "true")
  );
}

// Intercepts the one `res.end(body)` call the server makes, so a body can be rewritten before the
// headers (and Content-Length) go out.
function rewriteBody(res, rewrite) {
  const end = res.end;
  res.end = function patchedEnd(chunk, ...rest) {
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") {
      try {
        const out = rewrite(res, String(chunk));
        if (out !== undefined) chunk = out;
      } catch (err) {
        console.error(`cosmos wrapper: could not adjust a response: ${err && err.message}`);
      }
    }
    return end.call(this, chunk, ...rest);
  };
}

// 1. partition-key-range ids as strings.
function stringifyRangeIds(res, text) {
  if (res.statusCode !== 200) return undefined;
  const body = JSON.parse(text);
  if (!Array.isArray(body.PartitionKeyRanges)) return undefined;
  for (const range of body.PartitionKeyRanges) {
    if (typeof range.id === "number") range.id = String(range.id);
    if (Array.isArray(range.parents)) range.parents = range.parents.map(String);
  }
  return JSON.stringify(body);
}

// 2. region endpoints with the scheme actually served.
function plainHttpEndpoints(res, text) {
  if (res.statusCode !== 200) return undefined;
  const body = JSON.parse(text);
  for (const key of ["writableLocations", "readableLocations"]) {
    for (const location of body[key] || []) {
      if (typeof location.databaseAccountEndpoint === "string") {
        location.databaseAccountEndpoint = location.databaseAccountEndpoint.replace(
          /^https:\/\//,
          "http://"
        );
      }
    }
  }
  return JSON.stringify(body);
}

// 3. a missing document is a 404, not a crash.
const MISSING_DOC_CRASH = /Cannot read propert(y|ies) of undefined/;
function missingDocumentIs404(res, text) {
  if (res.statusCode !== 500) return undefined;
  let message = "";
  try {
    message = String(JSON.parse(text).message || "");
  } catch (_) {
    return undefined;
  }
  if (!MISSING_DOC_CRASH.test(message)) return undefined;
  res.statusCode = 404;
  return JSON.stringify({
    code: "NotFound",
    message: "Entity with the specified id does not exist in the system."
  });
}

// 5. Operations per database, counted as their responses go out.
const OPERATIONS_PATH = "/_offboard/operations";
const DB_PATH = /^\/dbs\/([^/]+)(\/.*)?$/;
const operations = new Map();

function operationOf(req, p) {
  if (DOC_PATH.test(p)) {
    switch (req.method) {
      case "GET":
        return "read";
      case "PUT":
        return "replace";
      case "DELETE":
        return "delete";
      case "PATCH":
        return "patch";
      default:
        return "other";
    }
  }
  if (DOCS_PATH.test(p) && req.method === "POST") {
    if (isQuery(req)) return "query";
    return String(headerValue(req, "x-ms-documentdb-is-upsert")).toLowerCase() === "true"
      ? "upsert"
      : "create";
  }
  return "other";
}

function count(req, res, p) {
  const db = DB_PATH.exec(p);
  if (!db) return;
  const name = decodeURIComponent(db[1]);
  const operation = operationOf(req, p);
  res.on("finish", () => {
    let tally = operations.get(name);
    if (!tally) {
      tally = {};
      operations.set(name, tally);
    }
    const entry = tally[operation] || (tally[operation] = { ok: 0, refused: 0, refusedBy: {} });
    if (res.statusCode < 400) {
      entry.ok += 1;
    } else {
      entry.refused += 1;
      entry.refusedBy[res.statusCode] = (entry.refusedBy[res.statusCode] || 0) + 1;
    }
  });
}

function answerOperations(req, res) {
  const db = new URL(req.url, "http://local").searchParams.get("db");
  const body = JSON.stringify(db === null ? Object.fromEntries(operations) : operations.get(db) || {});
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function adjust(args) {
  return (req, res) => {
    const p = pathOf(req);
    count(req, res, p);
    if (req.method === "GET" && p === "/" && args.http) {
      rewriteBody(res, plainHttpEndpoints);
    } else if (req.method === "GET" && PKRANGES_PATH.test(p)) {
      rewriteBody(res, stringifyRangeIds);
    } else if (req.method === "GET" && DOC_PATH.test(p)) {
      rewriteBody(res, missingDocumentIs404);
    } else if (DOCS_PATH.test(p) && isQuery(req)) {
      // 4. No partition key header: the SDK is fanning out across partition-key ranges.
      const pk = headerValue(req, "x-ms-documentdb-partitionkey");
      if (!pk || pk === "[{}]") {
        req.headers["x-ms-documentdb-query-enablecrosspartition"] = "true";
      }
    }
  };
}

// The server logs the crash of fix 3 with a stack trace before the wrapper turns it into a 404;
// drop exactly that noise so real errors stay visible in the log.
function quietMissingDocumentCrash() {
  const error = console.error.bind(console);
  console.error = (...items) => {
    const first = items[0];
    if (
      first instanceof TypeError &&
      MISSING_DOC_CRASH.test(first.message) &&
      /read-document/.test(String(first.stack))
    ) {
      return;
    }
    error(...items);
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const { createHttpServer, createHttpsServer } = loadServer();
  quietMissingDocumentCrash();

  let server;
  if (args.http) {
    server = createHttpServer({ keepAlive: true });
  } else {
    server = createHttpsServer({
      cert: fs.readFileSync(args.cert),
      key: fs.readFileSync(args.key),
      minVersion: "TLSv1.2",
      // The SDK is told not to offer HTTP/2; answer HTTP/1.1 only.
      ALPNProtocols: ["http/1.1"],
      keepAlive: true
    });
  }
  // The server's own handler answers every request: the operations endpoint is answered here
  // instead of it, and every other request goes to it after the adjustments.
  const serve = server.listeners("request");
  server.removeAllListeners("request");
  const adjustments = adjust(args);
  server.on("request", (req, res) => {
    if (req.method === "GET" && pathOf(req) === OPERATIONS_PATH) {
      answerOperations(req, res);
      return;
    }
    adjustments(req, res);
    for (const listener of serve) listener.call(server, req, res);
  });
  server.on("error", err => {
    console.error(`cosmos wrapper: ${err.message}`);
    process.exit(1);
  });
  server.listen(args.port, args.host, () => {
    const addr = server.address();
    const scheme = args.http ? "http" : "https";
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    console.log(`cosmos wrapper: listening on ${scheme}://${host}:${addr.port}/`);
  });

  const stop = signal => {
    console.log(`cosmos wrapper: ${signal}, stopping`);
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main();
