// offboard's second, independent verifier of an evidence packet, for the auditor's browser:
// every record hash, every link, the seal and the ledger entry are computed here from the
// packet alone (SHA-256 with WebCrypto over RFC 8785 canonical JSON), without asking the
// server. It checks what `offboard verify packet.json` checks (core::evidence::verify and
// service::compliance::verify_packet_strict); tests/e2e/verifier.rs runs both on the same
// packets, good and tampered, and requires them to agree.
//
// Loaded as a classic script (the dashboard's CSP allows scripts from this site only) and,
// in the tests, by Node 20, which has the same WebCrypto.
"use strict";

(function (root) {
  const ZERO = "0".repeat(64);
  const FINAL = ["completed", "completed_with_exceptions", "cancelled"];

  // RFC 8785 (JCS): object members sorted by their UTF-16 code units, no whitespace, strings
  // and numbers as ECMAScript's JSON.stringify writes them (RFC 8785 section 3.2.2 defines
  // them so).
  function canonical(v) {
    if (v === null || typeof v !== "object") {
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) {
      return "[" + v.map(canonical).join(",") + "]";
    }
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
  }

  async function sha256Hex(text) {
    const bytes = new TextEncoder().encode(text);
    const digest = await root.crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The hash every piece of evidence carries: SHA-256 of its canonical JSON without `hash`.
  async function hashOf(value) {
    const copy = Object.assign({}, value);
    delete copy.hash;
    return sha256Hex(canonical(copy));
  }

  // The packet in a download: the API's answer ({packet, verification}) or the packet itself.
  function packetOf(doc) {
    if (doc && typeof doc === "object" && doc.packet && typeof doc.packet === "object") {
      return doc.packet;
    }
    return doc;
  }

  async function verifyPacket(doc) {
    const p = packetOf(doc);
    const findings = [];
    const add = (kind, detail) => findings.push({ kind, detail });
    if (!p || typeof p !== "object" || !Array.isArray(p.records)) {
      add("unreadable", "not an evidence packet (no records)");
      return { ok: false, findings, recordsChecked: 0 };
    }
    const caseId = p.caseId;
    const records = p.records;
    // 1. Each record against its own hash and its case.
    for (const r of records) {
      if ((await hashOf(r)) !== r.hash) {
        add("recordModified", `record ${r.seq}: content does not match its hash`);
      }
      if (r.caseId !== caseId) {
        add("recordInserted", `record ${r.seq} belongs to case ${r.caseId}`);
      }
    }
    // 2. Positions: duplicates, gaps, order.
    const bySeq = new Map();
    for (const r of records) {
      if (!bySeq.has(r.seq)) bySeq.set(r.seq, []);
      bySeq.get(r.seq).push(r);
    }
    for (const [seq, rs] of bySeq) {
      if (rs.length > 1) add("recordInserted", `record ${seq} appears ${rs.length} times`);
    }
    const seqs = Array.from(bySeq.keys()).sort((a, b) => a - b);
    const maxSeq = seqs.length ? seqs[seqs.length - 1] : -1;
    const sealLen = p.seal && Array.isArray(p.seal.records) ? p.seal.records.length : 0;
    const expectedLen = Math.max(maxSeq + 1, sealLen);
    let gaps = 0;
    for (let s = 0; s < expectedLen; s++) {
      if (!bySeq.has(s)) {
        gaps++;
        add("recordDeleted", `record ${s} is missing`);
      }
    }
    const complete = gaps === 0 && Array.from(bySeq.values()).every((v) => v.length === 1);
    if (complete) {
      const at = records.findIndex((r, i) => r.seq !== i);
      if (at >= 0) add("recordsReordered", `position ${at} holds record ${records[at].seq}`);
    }
    // 3. Links, in sequence order.
    let prev = null;
    for (const seq of seqs) {
      const r = bySeq.get(seq)[0];
      let expected = null;
      if (seq === 0) expected = ZERO;
      else if (prev && prev.seq + 1 === seq) expected = prev.hash;
      if (expected !== null && r.prevHash !== expected) {
        add("chainBroken", `record ${seq} does not link to the one before`);
      }
      prev = r;
    }
    const first = bySeq.has(0) ? bySeq.get(0)[0] : null;
    if (first && first.step !== "hr-trigger") add("triggerMissing", "record 0 is not HR's trigger");
    // 4. The seal.
    const seal = p.seal || null;
    if (seal) {
      if ((await hashOf(seal)) !== seal.hash) add("sealAltered", "the seal does not match its hash");
      const listed = new Map((seal.records || []).map((e) => [e.seq, e.hash]));
      for (const [seq, hash] of listed) {
        if (bySeq.has(seq) && bySeq.get(seq)[0].hash !== hash) {
          add("recordModified", `record ${seq}: its hash differs from the one in the seal`);
        }
      }
      for (const seq of seqs) {
        if (!listed.has(seq)) add("recordInserted", `record ${seq} is not in the seal`);
      }
      const head = seqs.length ? bySeq.get(maxSeq)[0].hash : null;
      if (head !== seal.chainHead && gaps === 0) {
        add("sealMismatch", "chain head differs from the last record");
      }
      if (first) {
        const digest = first.details && first.details.bodySha256;
        if (digest !== seal.hrEventSha256) {
          add("sealMismatch", "HR event digest differs from the trigger record");
        }
      }
      if (seal.caseId !== caseId) add("sealMismatch", `the seal belongs to case ${seal.caseId}`);
    }
    // 5. The ledger entry, and its link to the one before.
    const entry = p.ledgerEntry || null;
    if (seal && !entry) add("ledgerEntryMissing", "the sealed case has no ledger entry");
    if (seal && entry) {
      if ((await hashOf(entry)) !== entry.hash) add("ledgerEntryAltered", `ledger entry ${entry.seq} does not match its hash`);
      if (entry.sealHash !== seal.hash) add("ledgerMismatch", "the ledger records a different seal hash");
      if (entry.caseId !== caseId) add("ledgerMismatch", `the ledger entry belongs to case ${entry.caseId}`);
    }
    const before = p.ledgerPrevious || null;
    if (entry && before) {
      if ((await hashOf(before)) !== before.hash) add("ledgerEntryAltered", `ledger entry ${before.seq} does not match its hash`);
      if (before.seq + 1 !== entry.seq || entry.prevHash !== before.hash) {
        add("ledgerBroken", `ledger entry ${entry.seq} does not link to entry ${before.seq}`);
      }
    }
    // 6. What needs no store: an empty packet, a finished case without its seal.
    if (records.length === 0) add("triggerMissing", "the packet holds no record");
    if (!seal) {
      const last = seqs.length ? bySeq.get(maxSeq)[0] : null;
      const status = last && last.details ? last.details.caseStatus : undefined;
      if (FINAL.includes(status) || entry) add("sealMissing", "the finished case carries no seal");
    }
    return { ok: findings.length === 0, findings, recordsChecked: records.length };
  }

  root.offboardVerify = { canonical, hashOf, verifyPacket };
})(globalThis);
