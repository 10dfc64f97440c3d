// offboard dashboard: the little script the pages use. Loaded from this site only (CSP);
// nothing here is needed to read a page. On a case page it runs the in-browser verifier
// (verify.js) on the case's packet, fetched from the compliance API, or on a packet file the
// auditor picks or drops — independently of the server's own verification.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("verify");
  if (!box || !globalThis.offboardVerify) return;
  const out = document.getElementById("verify-result");

  function show(source, result) {
    out.replaceChildren();
    const head = document.createElement("p");
    head.className = result.ok ? "verified" : "problem";
    head.textContent = (result.ok ? "Verified in this browser: " : "NOT verified in this browser: ")
      + source + " (" + result.recordsChecked + " records, every hash, link, the seal and the ledger entry recomputed with SHA-256 over canonical JSON).";
    out.appendChild(head);
    if (result.findings.length) {
      const list = document.createElement("ul");
      for (const f of result.findings) {
        const li = document.createElement("li");
        li.textContent = f.kind + ": " + f.detail;
        list.appendChild(li);
      }
      out.appendChild(list);
    }
    out.dataset.ok = String(result.ok);
  }

  async function check(source, text) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      show(source, { ok: false, recordsChecked: 0, findings: [{ kind: "unreadable", detail: "not JSON" }] });
      return;
    }
    show(source, await globalThis.offboardVerify.verifyPacket(doc));
  }

  document.getElementById("verify-server").addEventListener("click", async () => {
    const resp = await fetch(box.dataset.evidence, { credentials: "same-origin" });
    await check("the packet offboard serves for this case", await resp.text());
  });
  document.getElementById("verify-file").addEventListener("change", async (e) => {
    const file = e.target.files && e.target.files[0];
    if (file) await check("the file " + file.name, await file.text());
  });
  box.addEventListener("dragover", (e) => e.preventDefault());
  box.addEventListener("drop", async (e) => {
    e.preventDefault();
    const file = e.dataTransfer.files && e.dataTransfer.files[0];
    if (file) await check("the file " + file.name, await file.text());
  });
});
