// RFC 9162 §2.1 in the browser with Web Crypto, exactly as ledger/merkle.py: leaf
// SHA-256(0x00 ‖ data), node SHA-256(0x01 ‖ left ‖ right); verifiers return false, never throw.
// Sizes use arithmetic, not 32-bit shifts, so trees past 2^31 leaves still verify.

const encoder = new TextEncoder();

export function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function unhex(text) {
  if (typeof text !== "string" || !/^([0-9a-f]{2})*$/i.test(text)) throw new Error("not hex");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export function leafHash(data) {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return sha256(concat(Uint8Array.of(0), bytes));
}

export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);
const isHash = (h) => h instanceof Uint8Array && h.length === 32;
const same = (a, b) => isHash(a) && isHash(b) && hex(a) === hex(b);

/** RFC 9162 §2.1.3.2: does `proof` put `leaf` at `index` under `root` of a tree of `size`? */
export async function verifyInclusion(leaf, index, size, proof, root) {
  try {
    if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size))) return false;
    if (!(index >= 0 && index < size) || !isHash(leaf) || !proof.every(isHash)) return false;
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && same(r, root);
  } catch {
    return false;
  }
}

/** RFC 9162 §2.1.4.2: is (n, root2) an append-only extension of (m, root1)? */
export async function verifyConsistency(m, n, root1, root2, proof) {
  try {
    if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n)) || !(0 < m && m <= n)) return false;
    if (m === n) return proof.length === 0 && hex(root1) === hex(root2); // as merkle.py: any equal bytes
    if (!proof.length || !proof.every(isHash)) return false;
    const path = [...proof];
    if (Number.isInteger(Math.log2(m))) path.unshift(root1); // the old root is a node of the new tree
    let fn = m - 1;
    let sn = n - 1;
    while (odd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && same(fr, root1) && same(sr, root2);
  } catch {
    return false;
  }
}

/** Hex SHA-256 of "subject/v1\0" ‖ salt ‖ subject id: how the ledger names a person. */
export async function subjectCommitment(saltHex, subject) {
  return hex(await sha256(concat(encoder.encode("subject/v1\0"), unhex(saltHex), encoder.encode(subject))));
}

/**
 * Checks a downloaded receipt bundle: `{receipt: <Kantara JSON>, documents: {seq: canonical JSON}}`.
 * `subject` (the signed-in account id) adds the commitment check; `current` ({treeSize,
 * rootHash, proof}) adds the consistency check against today's public checkpoint.
 * Returns {ok, checks: [{name, ok}]}; any missing or malformed part is a failed check.
 */
export async function verifyReceipt(bundle, { subject = null, current = null } = {}) {
  const checks = [];
  const add = (name, ok) => checks.push({ name, ok: Boolean(ok) });
  try {
    const receipt = bundle.receipt;
    const ledger = receipt.pdexLedger;
    const checkpoint = ledger.checkpoint;
    const root = unhex(checkpoint.rootHash);
    const proofs = ledger.inclusionProofs;
    if (!Array.isArray(proofs) || proofs.length === 0) throw new Error("no proofs");
    let leavesOk = true;
    let pathsOk = true;
    let bodyOk = true;
    let subjectOk = true;
    for (const proof of proofs) {
      const document = bundle.documents?.[proof.seq];
      if (typeof document !== "string") throw new Error(`no ledger entry ${proof.seq}`);
      const leaf = await leafHash(document);
      leavesOk &&= hex(leaf) === proof.leafHash;
      pathsOk &&=
        proof.treeSize === checkpoint.treeSize &&
        proof.rootHash === checkpoint.rootHash &&
        (await verifyInclusion(leaf, proof.seq, proof.treeSize, proof.hashes.map(unhex), root));
      const entry = JSON.parse(document);
      bodyOk &&= entry.body?.consent === receipt.consentReceiptID;
      subjectOk &&= JSON.stringify(entry).includes(receipt.piiPrincipalId);
    }
    if (subject !== null) {
      subjectOk &&= (await subjectCommitment(ledger.subjectSalt, subject)) === receipt.piiPrincipalId;
    }
    add("checkLeaf", leavesOk);
    add("checkPath", pathsOk && proofs[0].seq === ledger.grantSeq);
    add("checkBody", bodyOk);
    add("checkSubject", subjectOk);
    if (current) {
      add(
        "checkConsistency",
        await verifyConsistency(
          checkpoint.treeSize,
          current.treeSize,
          root,
          unhex(current.rootHash),
          (current.proof || []).map(unhex),
        ),
      );
    }
  } catch (err) {
    add("checkLeaf", false);
    return { ok: false, checks, problem: String(err.message || err) };
  }
  return { ok: checks.every((c) => c.ok), checks };
}
