// Runs the dashboard's in-browser verifier (crates/handler/src/dashboard/assets/verify.js)
// under Node 20 — the same WebCrypto SHA-256 the browser has — on packet files, and prints
// one JSON line per file: {"file", "ok", "kinds", "recordsChecked"}. Used by
// tests/e2e/verifier.rs to hold it to `offboard verify` on the same packets.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const source = path.join(__dirname, "../../../crates/handler/src/dashboard/assets/verify.js");
vm.runInThisContext(fs.readFileSync(source, "utf8"), { filename: source });

(async () => {
  for (const file of process.argv.slice(2)) {
    let result;
    try {
      result = await globalThis.offboardVerify.verifyPacket(JSON.parse(fs.readFileSync(file, "utf8")));
    } catch (e) {
      result = { ok: false, findings: [{ kind: "unreadable", detail: String(e) }], recordsChecked: 0 };
    }
    const kinds = [...new Set(result.findings.map((f) => f.kind))].sort();
    console.log(JSON.stringify({ file, ok: result.ok, kinds, recordsChecked: result.recordsChecked }));
  }
})();
