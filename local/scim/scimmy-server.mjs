// An in-memory SCIM 2.0 service provider on SCIMMY (scimmy + scimmy-routers), for offboard's
// SCIM connector tests. SCIMMY parses the requests, applies filters and PATCH operations and
// shapes the answers; this file only keeps the users in a Map and checks the bearer token.
//
// Usage: node local/scim/scimmy-server.mjs --port N --bearer-token TOKEN
// Prints "listening on http://127.0.0.1:PORT/scim/v2" once it accepts connections (port 0 picks one).
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import { randomUUID, timingSafeEqual } from "node:crypto";

const args = process.argv.slice(2);
const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const port = Number(option("--port", "0"));
const token = option("--bearer-token", process.env.SCIMMY_BEARER_TOKEN);
if (!token) {
    console.error("scimmy-server: --bearer-token is required");
    process.exit(2);
}

const users = new Map();

SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .egress((resource) => {
        if (resource.id) {
            const user = users.get(resource.id);
            // SCIMMY turns a thrown non-SCIM error into 404 "Resource ... not found".
            if (!user) throw new Error("not found");
            return user;
        }
        const all = [...users.values()];
        return resource.filter ? resource.filter.match(all) : all;
    })
    .ingress((resource, instance) => {
        const now = new Date().toISOString();
        if (resource.id) {
            const old = users.get(resource.id);
            if (!old) throw new Error("not found");
            const next = { ...instance, id: resource.id, meta: { ...old.meta, lastModified: now } };
            users.set(resource.id, next);
            return next;
        }
        for (const u of users.values()) {
            if (u.userName.toLowerCase() === instance.userName.toLowerCase()) {
                throw new SCIMMY.Types.Error(409, "uniqueness", `userName ${instance.userName} is taken`);
            }
        }
        const id = randomUUID();
        const created = { ...instance, id, meta: { created: now, lastModified: now } };
        users.set(id, created);
        return created;
    })
    .degress((resource) => {
        if (!users.delete(resource.id)) throw new Error("not found");
    });

const expected = Buffer.from(`Bearer ${token}`);
const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        const got = Buffer.from(request.header("Authorization") ?? "");
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
            throw new Error("a valid bearer token is required");
        }
        return "offboard-tests";
    },
}));

const server = app.listen(port, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}/scim/v2`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
