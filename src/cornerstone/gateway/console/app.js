// The Cornerstone web console: one page, hash routes, plain DOM, data from this gateway's API.
// Every page is a function from its route's parameters to a DOM node; text always goes in
// through textContent (never innerHTML), so nothing the chain holds can run as script here.

import { barChart, lineChart } from "/console/charts.js";
import { readEvents } from "/console/sse.js";

const TOKEN_KEY = "cornerstone-console-token";
const CHART_BLOCKS = 50;
const LIVE_DEBOUNCE_MS = 400;
const view = document.getElementById("view");
const live = document.getElementById("live");

// ------------------------------------------------------------------ helpers
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const link = (href, text, attrs = {}) => h("a", { href, ...attrs }, text);
const short = (hex, n = 10) => (hex && hex.length > 2 * n ? `${hex.slice(0, n)}…${hex.slice(-4)}` : hex ?? "");
const when = (rfc3339) => (rfc3339 ? rfc3339.replace("T", " ").replace(/\.\d+/, "") : "");
const badge = (text, kind = text) => h("span", { class: `badge ${kind}` }, text);
const blockLink = (height) => link(`#/blocks/${height}`, String(height));
const since = (height) => (height === undefined ? "" : height === 0 ? "genesis" : blockLink(height));
const txLink = (hash) => link(`#/txs/${hash}`, short(hash), { class: "mono", title: hash });

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// Signed in, every call carries the token: under the gateway's --auth required it is the
// operator's pass for the read pages too (`auth` only marks the calls that cannot do without).
async function api(path, { method = "GET", body = undefined } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token()) headers.authorization = `Bearer ${token()}`;
  const answer = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

const query = (module, name, params = {}) =>
  api(`/v1/modules/${module}/${name}?${new URLSearchParams(params)}`).then((a) => a.value);

function table(columns, rows, { empty = "Nothing yet.", id = null } = {}) {
  if (!rows.length) return h("p", { class: "note", id }, empty);
  return h("table", { id },
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", {}, title)))),
    h("tbody", {}, rows.map((row) => h("tr", { "data-key": row.__key ?? null },
      columns.map(([, cell]) => h("td", {}, cell(row)))))));
}

function fields(pairs) {
  return h("dl", { class: "fields" }, pairs.filter(Boolean).flatMap(([name, value]) => [
    h("dt", {}, name), h("dd", {}, value ?? ""),
  ]));
}

const card = (label, value, id) =>
  h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value", id }, value));

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function json(value) { return JSON.stringify(value, null, 2); }

// ------------------------------------------------------------------ pages
async function overview() {
  const [net, blocks, txs] = await Promise.all([
    api("/v1/network"),
    api(`/v1/blocks?limit=${CHART_BLOCKS}`),
    api("/v1/transactions?limit=10"),
  ]);
  const recent = blocks.items.slice().reverse();  // oldest first, for the charts
  const intervals = [];
  const labels = [];
  for (let i = 1; i < recent.length; i++) {
    const seconds = (Date.parse(recent[i].time) - Date.parse(recent[i - 1].time)) / 1000;
    intervals.push(Math.round(seconds * 100) / 100);
    labels.push(`#${recent[i].height}`);
  }
  return h("section", {},
    h("h1", {}, `Network ${net.chain_id}`),
    h("div", { class: "cards" },
      card("Height", String(net.height), "height"),
      card("Block rate", net.block_rate === null ? "–" : `${net.block_rate}/min`, "block-rate"),
      card("Validators", String(net.validators.length), "validator-count"),
      card("Peers", String(net.peers.length)),
      card("Indexed", String(net.index_height)),
      card("This node", net.moniker)),
    h("div", { class: "grid2" },
      h("div", { class: "panel" }, h("h2", {}, "Seconds between blocks"),
        lineChart({ label: "Seconds between blocks", values: intervals, labels, unit: " s" })),
      h("div", { class: "panel" }, h("h2", {}, "Transactions per block"),
        barChart({
          label: "Transactions per block", values: recent.map((b) => b.tx_count),
          labels: recent.map((b) => `#${b.height}`),
        }))),
    h("h2", {}, "Validators"),
    table([
      ["Organization", (v) => (v.org ? link(`#/orgs/${v.org}`, v.org) : "–")],
      ["Address", (v) => h("span", { class: "mono" }, v.address)],
      ["Power", (v) => String(v.power)],
      ["Proposer priority", (v) => String(v.proposer_priority)],
    ], net.validators, { id: "validators" }),
    h("h2", {}, "Nodes"),
    table([
      ["Node", (p) => p.moniker],
      ["Id", (p) => h("span", { class: "mono" }, p.node_id)],
      ["Address", (p) => p.remote_ip],
      ["", (p) => p.self ? badge(`this gateway's node · CometBFT ${net.cometbft_version}`, "ok") : "peer"],
    ], [{ moniker: net.moniker, node_id: net.node_id, remote_ip: location.hostname, self: true },
      ...net.peers], { id: "nodes" }),
    h("div", { class: "grid2" },
      h("div", {}, h("h2", {}, "Latest blocks"), blockTable(blocks.items.slice(0, 10), "latest-blocks")),
      h("div", {}, h("h2", {}, "Latest transactions"), txTable(txs.items, "latest-txs"))));
}

function blockTable(items, id) {
  return table([
    ["Height", (b) => blockLink(b.height)],
    ["Time", (b) => when(b.time)],
    ["Txs", (b) => String(b.tx_count)],
    ["Events", (b) => String(b.event_count)],
    ["Hash", (b) => h("span", { class: "mono", title: b.hash }, short(b.hash))],
  ], items.map((b) => ({ ...b, __key: b.height })), { id, empty: "No blocks indexed yet." });
}

function txTable(items, id) {
  return table([
    ["Hash", (t) => txLink(t.hash)],
    ["Block", (t) => blockLink(t.height)],
    ["Operation", (t) => `${t.module ?? "?"}.${t.operation ?? "?"}`],
    ["Sender", (t) => h("span", { class: "mono", title: t.sender ?? "" }, short(t.sender ?? ""))],
    ["Result", (t) => (t.code === 0 ? badge("ok") : badge(`${t.codespace} ${t.code}`, "bad"))],
  ], items.map((t) => ({ ...t, __key: t.hash })), { id, empty: "No transactions yet." });
}

function paged(title, path, render, id) {
  return async () => {
    const first = await api(path);
    const holder = h("div", {}, render(first.items, id));
    const section = h("section", {}, h("h1", {}, title), holder);
    let cursor = first.next_cursor;
    let items = first.items;
    if (cursor) {
      const more = h("button", {
        class: "more",
        onclick: async () => {
          more.disabled = true;
          const page = await api(`${path}&cursor=${encodeURIComponent(cursor)}`);
          items = items.concat(page.items);
          cursor = page.next_cursor;
          holder.replaceChildren(render(items, id));
          more.disabled = false;
          if (!cursor) more.remove();
        },
      }, "Older");
      section.append(more);
    }
    return section;
  };
}

const blocksPage = paged("Blocks", "/v1/blocks?limit=25", blockTable, "blocks");
const txsPage = paged("Transactions", "/v1/transactions?limit=25", txTable, "transactions");

async function blockPage(height) {
  const [block, txs] = await Promise.all([
    api(`/v1/blocks/${height}`),
    api(`/v1/transactions?height_from=${height}&height_to=${height}&order=asc&limit=100`),
  ]);
  const n = Number(height);
  return h("section", {},
    h("h1", {}, "Block ", h("span", { id: "block-height" }, String(block.height))),
    h("div", { class: "panel" }, fields([
      ["Height", String(block.height)],
      ["Time", when(block.time)],
      ["Hash", h("span", { class: "mono" }, block.hash)],
      ["App hash", h("span", { class: "mono" }, block.app_hash)],
      ["Proposer", h("span", { class: "mono" }, block.proposer)],
      ["Transactions", String(block.tx_count)],
      ["Events", String(block.event_count)],
    ])),
    h("div", { class: "actions" },
      n > 1 ? link(`#/blocks/${n - 1}`, "← previous block") : null,
      link(`#/blocks/${n + 1}`, "next block →")),
    h("h2", {}, "Transactions"),
    txTable(txs.items, "block-txs"));
}

async function txPage(hash) {
  const tx = await api(`/v1/transactions/${hash}`);
  return h("section", {},
    h("h1", {}, "Transaction"),
    h("div", { class: "panel" }, fields([
      ["Hash", h("span", { class: "mono", id: "tx-hash" }, tx.hash)],
      ["Block", link(`#/blocks/${tx.height}`, String(tx.height), { id: "tx-block-link" })],
      ["Position", String(tx.index)],
      ["Operation", `${tx.module}.${tx.operation}`],
      ["Result", tx.code === 0 ? badge("ok") : h("span", {}, badge(`${tx.codespace} ${tx.code}`, "bad"), " ", tx.log)],
      ["Sender", h("span", { class: "mono" }, tx.sender ?? "")],
      ["Public key", h("span", { class: "mono" }, tx.public_key ?? "")],
      ["Nonce", String(tx.nonce)],
      ["Gas", `${tx.gas_used} used of ${tx.gas_wanted}`],
    ])),
    h("h2", {}, "Events"),
    table([
      ["#", (e) => String(e.event_index)],
      ["Type", (e) => e.type],
      ["Attributes", (e) => h("code", {}, Object.entries(e.attributes).map(([k, v]) => `${k}=${v}`).join("  "))],
    ], tx.events, { id: "tx-events", empty: "No events (a failed transaction's writes are undone)." }),
    h("details", {}, h("summary", {}, "Signed bytes (hex)"), h("pre", { class: "source" }, tx.raw)));
}

async function orgsPage() {
  const orgs = await api("/v1/organizations?limit=200");
  return h("section", {},
    h("h1", {}, "Organizations"),
    table([
      ["Id", (o) => link(`#/orgs/${o.id}`, o.id)],
      ["Name", (o) => o.name],
      ["Status", (o) => badge(o.status)],
      ["Nodes", (o) => String((o.record.nodes ?? []).length)],
      ["Validators", (o) => String((o.record.validators ?? []).length)],
      ["Member since", (o) => since(o.record.since)],
    ], orgs.items.map((o) => ({ ...o, __key: o.id })), { id: "orgs" }));
}

async function fingerprint(hex) {
  const bytes = new Uint8Array(hex.match(/../g).map((pair) => parseInt(pair, 16)));
  if (!crypto.subtle) return "";
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(":");
}

async function orgPage(id) {
  const org = await query("membership", "organization", { id });
  if (org === null) throw new Error(`there is no organization ${id}`);
  const root = org.root_certificate ?? "";
  const download = root
    ? URL.createObjectURL(new Blob([new Uint8Array(root.match(/../g).map((p) => parseInt(p, 16)))],
      { type: "application/pkix-cert" }))
    : null;
  return h("section", {},
    h("h1", {}, `${org.name} (${org.id})`),
    h("div", { class: "panel" }, fields([
      ["Status", badge(org.status)],
      ["Member since", since(org.since)],
      ["Nodes", h("span", { class: "mono" }, (org.nodes ?? []).join(", "))],
    ])),
    h("h2", {}, "Members"),
    table([
      ["Name", (m) => m.name],
      ["Role", (m) => badge(m.role)],
      ["Identity", (m) => h("span", { class: "mono", title: m.id }, short(m.id, 16))],
      ["Public key", (m) => h("span", { class: "mono", title: m.public_key }, short(m.public_key, 16))],
    ], org.members ?? [], { id: "members" }),
    h("h2", {}, "Certificates"),
    h("div", { class: "panel" }, fields([
      ["Root certificate", root ? `${root.length / 2} bytes (DER)` : "none"],
      ["SHA-256", h("span", { class: "mono", id: "root-fingerprint" }, root ? await fingerprint(root) : "")],
      ["Download", download ? link(download, `${org.id}-root.der`, { download: `${org.id}-root.der` }) : ""],
    ])),
    h("h3", {}, "Revoked certificates"),
    table([
      ["Serial", (r) => h("span", { class: "mono" }, r.serial)],
      ["Reason", (r) => r.reason],
      ["At", (r) => blockLink(r.height)],
    ], org.revoked ?? [], { empty: "None revoked." }),
    h("h2", {}, "Validators"),
    table([
      ["Public key", (v) => h("span", { class: "mono" }, v.public_key)],
      ["Power", (v) => String(v.power)],
    ], org.validators ?? [], { empty: "No validators." }));
}

function tally(votes) {
  const all = Object.values(votes ?? {});
  const yes = all.filter((v) => v.approve).length;
  return `${yes} approve · ${all.length - yes} reject`;
}

async function governancePage() {
  const proposals = await api("/v1/proposals?limit=100");
  return h("section", {},
    h("h1", {}, "Governance"),
    table([
      ["#", (p) => link(`#/governance/${p.id}`, `Proposal ${p.id}`)],
      ["Action", (p) => `${p.module}.${p.action}`],
      ["Title", (p) => p.record.title ?? ""],
      ["By", (p) => p.org],
      ["Status", (p) => badge(p.status)],
      ["Votes", (p) => tally(p.record.votes)],
      ["Outcome", (p) => p.record.outcome ?? ""],
    ], proposals.items.map((p) => ({ ...p, __key: p.id })), { id: "proposals", empty: "No proposals yet." }),
    await adminPanel({ propose: true }));
}

async function proposalPage(id) {
  const p = await query("governance", "proposal", { id });
  if (p === null) throw new Error(`there is no proposal ${id}`);
  const section = h("section", {},
    h("h1", {}, `Proposal ${p.id}: `, h("span", { id: "proposal-status" }, badge(p.status))),
    h("div", { class: "panel" }, fields([
      ["Action", `${p.module}.${p.action}`],
      ["Title", p.title],
      ["Arguments", h("pre", {}, json(p.args))],
      ["Proposed by", h("span", {}, `${p.org} at block `, blockLink(p.height))],
      ["Policy", p.policy_text],
      ["Deadline", `block ${p.deadline}`],
      ["Closed at", p.closed_at === null ? "open" : blockLink(p.closed_at)],
      ["Outcome", p.outcome ?? ""],
    ])),
    h("h2", {}, "Votes"),
    table([
      ["Organization", (v) => link(`#/orgs/${v.org}`, v.org)],
      ["Vote", (v) => (v.approve ? badge("approve") : badge("reject"))],
      ["Role", (v) => v.role],
      ["At", (v) => blockLink(v.height)],
    ], Object.entries(p.votes).map(([org, v]) => ({ org, ...v, __key: org })), { id: "votes" }));
  if (p.status === "open") section.append(await adminPanel({ proposal: p.id }));
  return section;
}

// The admin's managed keys: sign in with the token the gateway wrote at start, then vote or
// propose with a key the organization manages. The token stays in this tab's sessionStorage.
async function adminPanel({ proposal = null, propose = false } = {}) {
  const panel = h("div", { class: "panel", id: "admin-panel" });
  const message = h("div", { id: "admin-message" });
  if (!token()) {
    panel.append(h("h2", {}, proposal ? "Vote as an admin" : "Admin"), tokenForm(), message);
    return panel;
  }
  let keys;
  try {
    keys = await api("/v1/managed", { auth: true });
  } catch (error) {
    if (error.status === 401) sessionStorage.removeItem(TOKEN_KEY);
    panel.append(h("p", { class: "error" }, error.message), tokenForm());
    return panel;
  }
  if (proposal !== null) {
    panel.append(h("h2", {}, "Vote as an admin"),
      h("div", { class: "actions" }, keys.flatMap((key) => [
        voteButton(key.name, proposal, true, message), voteButton(key.name, proposal, false, message),
      ])), message);
  }
  if (propose && keys.length) panel.append(proposeForm(keys, message), message);
  return panel;
}

function tokenForm() {
  const input = h("input", { type: "password", id: "token-input", placeholder: "Console token", autocomplete: "off" });
  return h("form", {
    class: "inline", id: "token-form",
    onsubmit: (event) => {
      event.preventDefault();
      if (!input.value.trim()) return;
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      tokenChanged();
      render();
    },
  }, h("label", { for: "token-input" }, "Console token"), input,
  h("button", { type: "submit", class: "primary" }, "Sign in"),
  h("span", { class: "note" }, "The gateway writes it at start to its console.token file."));
}

function showOutcome(message, committed) {
  if (committed.code === 0) {
    message.replaceChildren(h("div", { class: "message ok" },
      "Committed in block ", blockLink(committed.height), " as ", txLink(committed.hash)));
  } else {
    message.replaceChildren(h("div", { class: "message bad" },
      `Refused in block ${committed.height}: ${committed.log} (${committed.codespace} ${committed.code})`));
  }
}

function voteButton(keyName, proposal, approve, message) {
  const button = h("button", {
    class: approve ? "primary" : "danger", "data-vote": approve ? "approve" : "reject",
    onclick: async () => {
      button.disabled = true;
      message.replaceChildren(h("div", { class: "message" }, "Signing and waiting for the block…"));
      try {
        const committed = await api(`/v1/managed/${encodeURIComponent(keyName)}/vote`,
          { method: "POST", body: { proposal, approve }, auth: true });
        await render();
        showOutcome(document.getElementById("admin-message") ?? message, committed);
        if (!document.getElementById("admin-message")) view.append(message);
      } catch (error) {
        message.replaceChildren(h("div", { class: "message bad" }, error.message));
        button.disabled = false;
      }
    },
  }, `${approve ? "Approve" : "Reject"} as ${keyName}`);
  return button;
}

function proposeForm(keys, message) {
  const key = h("select", { id: "propose-key" }, keys.map((k) => h("option", { value: k.name }, k.name)));
  const action = h("input", { type: "text", id: "propose-action", value: "governance.set_param" });
  const args = h("input", { type: "text", id: "propose-args", value: '{"name": "voting_period", "value": 50}' });
  const title = h("input", { type: "text", id: "propose-title", placeholder: "Title" });
  return h("form", {
    class: "inline", id: "propose-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const [module, name] = action.value.split(".");
      try {
        const committed = await api(`/v1/managed/${encodeURIComponent(key.value)}/propose`, {
          method: "POST", auth: true,
          body: { module, action: name, args: JSON.parse(args.value || "{}"), title: title.value },
        });
        showOutcome(message, committed);
      } catch (error) {
        message.replaceChildren(h("div", { class: "message bad" }, error.message));
      }
    },
  }, h("h2", {}, "New proposal"), key, action, args, title, h("button", { type: "submit", class: "primary" }, "Propose"));
}

async function adminPage() {
  const section = h("section", {}, h("h1", {}, "Admin"),
    h("p", { class: "note" }, "Sign in with the token this gateway wrote at start to vote or propose with the keys your organization manages here. The keys never leave the gateway."));
  section.append(await adminPanel());
  if (token()) {
    const keys = await api("/v1/managed", { auth: true }).catch(() => []);
    section.append(h("h2", {}, "Managed keys"), table([
      ["Name", (k) => k.name],
      ["Identity", (k) => h("span", { class: "mono" }, k.identity)],
    ], keys, { id: "managed-keys" }), h("div", { class: "actions" }, h("button", {
      onclick: () => { sessionStorage.removeItem(TOKEN_KEY); tokenChanged(); render(); },
    }, "Sign out")));
  }
  return section;
}

async function contractsPage() {
  const contracts = await query("contracts", "contracts", { limit: 100 });
  return h("section", {},
    h("h1", {}, "Contracts"),
    table([
      ["Name", (c) => link(`#/contracts/${c.name}`, c.name)],
      ["Version", (c) => c.version],
      ["Status", (c) => badge(c.status, c.status === "active" ? "ok" : "")],
      ["Organization", (c) => c.org],
      ["Installed at", (c) => blockLink(c.installed_at)],
      ["Code hash", (c) => h("span", { class: "mono", title: c.code_hash }, short(c.code_hash))],
    ], contracts.map((c) => ({ ...c, __key: c.name })), { id: "contracts", empty: "No contracts installed yet." }));
}

async function contractPage(name) {
  const [contract, source] = await Promise.all([
    query("contracts", "contract", { contract: name }),
    query("contracts", "source", { contract: name }),
  ]);
  if (contract === null) throw new Error(`there is no contract ${name}`);
  return h("section", {},
    h("h1", {}, `Contract ${contract.name} ${contract.version}`),
    h("div", { class: "panel" }, fields([
      ["Status", badge(contract.status)],
      ["Organization", contract.org],
      ["Installed at", blockLink(contract.installed_at)],
      ["Code hash", h("span", { class: "mono" }, contract.code_hash)],
    ])),
    h("h2", {}, "Functions"),
    table([
      ["Name", (f) => f.name],
      ["Kind", (f) => f.kind],
      ["Parameters", (f) => f.params.map((p) => (p.type ? `${p.name}: ${p.type}` : p.name)).join(", ")],
      ["Policy", (f) => contract.policy_text?.[f.name] ?? ""],
      ["Line", (f) => String(f.line)],
    ], contract.functions ?? []),
    h("h2", {}, "Source"),
    h("pre", { class: "source", id: "contract-source" }, source?.source ?? ""));
}

// Module times are block times in nanoseconds.
const nsWhen = (ns) => (ns ? when(new Date(Math.floor(Number(ns) / 1e6)).toISOString()) : "");
const mono = (text, n = 12) => h("span", { class: "mono", title: text ?? "" }, short(text ?? "", n));

async function notaryPage(digest) {
  const input = h("input", { type: "text", id: "digest-input", value: digest ?? "", placeholder: "SHA-256 digest, hex" });
  const file = h("input", {
    type: "file", id: "digest-file",
    onchange: async () => {
      const bytes = await file.files[0].arrayBuffer();
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      location.hash = `#/notary/${Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    },
  });
  const section = h("section", {}, h("h1", {}, "Notary"),
    h("form", {
      class: "inline", id: "notary-form",
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/notary/${input.value.trim().toLowerCase().replace(/^0x/, "")}`;
      },
    }, input, h("button", { type: "submit", class: "primary" }, "Look up"), h("span", { class: "note" }, "or hash a file here:"), file));
  if (!digest) {
    // The index has every anchor as an event: the latest first, each a link to its lookup.
    const anchors = await api("/v1/events?type=notary.anchored,notary.revised&order=desc&limit=25");
    section.append(h("h2", {}, "Latest anchors"), table([
      ["Digest", (e) => link(`#/notary/${e.attributes.digest}`, short(e.attributes.digest, 16), { class: "mono", title: e.attributes.digest })],
      ["Kind", (e) => (e.type === "notary.anchored" ? "original" : `revision ${e.attributes.revision}`)],
      ["Organization", (e) => (e.attributes.org ? link(`#/orgs/${e.attributes.org}`, e.attributes.org) : "")],
      ["Block", (e) => blockLink(e.height)],
      ["Transaction", (e) => (e.tx_hash ? txLink(e.tx_hash) : "")],
    ], anchors.items.map((e) => ({ ...e, __key: e.id })), { id: "anchors", empty: "No documents anchored yet." }));
    return section;
  }
  const doc = await query("notary", "lookup", { digest });
  if (doc === null) {
    section.append(h("p", { class: "note", id: "notary-result" }, `No document has the digest ${digest}.`));
    return section;
  }
  section.append(h("div", { class: "panel", id: "notary-result" }, fields([
    ["Document", h("span", { class: "mono" }, doc.document)],
    ["This digest is", doc.revision === 0 ? "the original" : `revision ${doc.revision}`],
    ["Owner", h("span", { class: "mono" }, doc.owner)],
    ["Organization", link(`#/orgs/${doc.org}`, doc.org)],
    ["Anchored in block", blockLink(doc.height)],
    ["Anchored at", nsWhen(doc.time)],
    ["Metadata", h("code", {}, json(doc.metadata))],
  ])), h("h2", {}, "Revisions"), table([
    ["#", (r) => String(r.number)],
    ["Digest", (r) => link(`#/notary/${r.digest}`, r.digest, { class: "mono" })],
    ["Block", (r) => blockLink(r.height)],
  ], doc.revisions, { empty: "No revisions." }));
  return section;
}

// Data sharing: what the chain holds of each dataset (hashes, locations, grants, receipts).
// The data and its keys are not on chain, so nothing here is secret.
async function dataPage() {
  // The index's copies (newest first), as the datashare module answered after each change.
  const datasets = (await api("/v1/datasets?limit=200")).items;
  return h("section", {}, h("h1", {}, "Data sharing"),
    h("p", { class: "note" }, "Datasets registered on chain. The data and its keys never are: keys travel only sealed to their recipients."),
    table([
      ["Dataset", (d) => link(`#/data/${d.id}`, short(d.id, 12), { class: "mono", title: d.id })],
      ["Title", (d) => d.title],
      ["Organization", (d) => link(`#/orgs/${d.org}`, d.org)],
      ["Versions", (d) => String(d.versions)],
      ["Grants", (d) => String(d.grants)],
      ["Registered", (d) => blockLink(d.created_height)],
    ], datasets.map((d) => ({ ...d, __key: d.id })), { id: "datasets", empty: "No datasets registered yet." }));
}

function grantState(g) {
  if (g.revoked_at) return badge(`revoked at ${g.revoked_at}`, "bad");  // 0: never revoked
  return badge("active");
}

function expiry(g) {
  const limits = [];
  if (g.expires_height) limits.push(`block ${g.expires_height}`);
  if (g.expires_time) limits.push(nsWhen(g.expires_time));
  return limits.length ? limits.join(" · ") : "never";
}

async function datasetPage(id) {
  const [d, requests, receipts] = await Promise.all([
    query("datashare", "dataset", { dataset: id }),
    query("datashare", "requests", { dataset: id }),
    query("datashare", "receipts", { dataset: id }),
  ]);
  if (d === null) throw new Error(`there is no dataset ${id}`);
  return h("section", {},
    h("h1", {}, "Dataset ", h("span", { id: "dataset-title" }, d.title)),
    h("div", { class: "panel" }, fields([
      ["Id", h("span", { class: "mono" }, d.dataset)],
      ["Owner", h("span", { class: "mono" }, d.owner)],
      ["Organization", link(`#/orgs/${d.org}`, d.org)],
      ["Registered", h("span", {}, blockLink(d.height), ` · ${nsWhen(d.time)}`)],
      ["State key", h("span", { class: "mono" }, d.state_key)],
    ])),
    h("h2", {}, "Versions"),
    table([
      ["#", (v) => String(v.version)],
      ["Content SHA-256", (v) => mono(v.content_hash, 16)],
      ["Ciphertext SHA-256", (v) => mono(v.cipher_hash, 16)],
      ["Size", (v) => `${v.size} bytes`],
      ["Location", (v) => h("span", { class: "mono wrap" }, v.location)],
      ["Schema", (v) => v.schema || "–"],
      ["Block", (v) => blockLink(v.height)],
    ], d.versions_list.map((v) => ({ ...v, __key: `v${v.version}` })), { id: "dataset-versions" }),
    h("h2", {}, "Grants"),
    table([
      ["#", (g) => String(g.grant)],
      ["Kind", (g) => g.kind],
      ["Grantee", (g) => (g.kind === "org" ? link(`#/orgs/${g.grantee}`, g.grantee) : h("span", { class: "mono" }, g.grantee))],
      ["Issuer", (g) => (g.issuer ? link(`#/identity/${g.issuer}`, g.issuer, { class: "mono" }) : "")],
      ["Purpose", (g) => g.purpose],
      ["Expires", expiry],
      ["Granted", (g) => blockLink(g.height)],
      ["State", grantState],
    ], d.grants_list.map((g) => ({ ...g, __key: `g${g.grant}` })), { id: "dataset-grants", empty: "No grants." }),
    h("h2", {}, "Pending requests"),
    table([
      ["Version", (r) => String(r.version)],
      ["Requester", (r) => mono(r.requester, 16)],
      ["Organization", (r) => link(`#/orgs/${r.org}`, r.org)],
      ["Purpose", (r) => r.purpose],
      ["Credential", (r) => r.credential?.id ?? ""],
      ["Block", (r) => blockLink(r.height)],
    ], requests.map((r) => ({ ...r, __key: `r${r.version}:${r.requester}` })), { id: "dataset-requests", empty: "No pending requests." }),
    h("h2", {}, "Receipts (audit)"),
    table([
      ["Version", (r) => String(r.version)],
      ["Recipient", (r) => mono(r.recipient, 16)],
      ["Organization", (r) => link(`#/orgs/${r.org}`, r.org)],
      ["Grant", (r) => String(r.grant)],
      ["Purpose", (r) => r.purpose],
      ["Credential", (r) => r.credential?.id ?? ""],
      ["Released", (r) => h("span", {}, blockLink(r.height), " ", txLink(r.tx_hash))],
    ], receipts.map((r) => ({ ...r, __key: r.state_key })), { id: "dataset-receipts", empty: "No key released yet." }));
}

// Identity: DIDs as the index copied them (newest first), each resolved through /v1/dids; the
// trust lists; the issuers' status lists, decoded here from the credential the gateway serves.
async function identityPage() {
  const [dids, trust, changes] = await Promise.all([
    api("/v1/dids?limit=100"),
    api("/v1/trust"),
    api("/v1/events?type=did.status_revoked,did.status_suspended,did.status_active&order=desc&limit=25"),
  ]);
  return h("section", {}, h("h1", {}, "Identity"),
    h("h2", {}, "DIDs"),
    table([
      ["DID", (d) => link(`#/identity/${d.id}`, d.id, { class: "mono" })],
      ["Organization", (d) => link(`#/orgs/${d.org}`, d.org)],
      ["Status", (d) => badge(d.status, d.status === "active" ? "ok" : "bad")],
      ["Version", (d) => String(d.version)],
      ["Created", (d) => blockLink(d.created_height)],
    ], dids.items.map((d) => ({ ...d, __key: d.id })), { id: "dids", empty: "No DIDs yet." }),
    h("h2", {}, "Trust lists"),
    trustTable(trust.items),
    h("h2", {}, "Status changes"),
    table([
      ["Issuer", (e) => link(`#/identity/${e.attributes.issuer}`, e.attributes.issuer, { class: "mono" })],
      ["Index", (e) => e.attributes.index],
      ["Now", (e) => badge(e.attributes.state, e.attributes.state === "active" ? "ok" : "bad")],
      ["Block", (e) => blockLink(e.height)],
    ], changes.items.map((e) => ({ ...e, __key: e.id })), { id: "status-changes", empty: "No credential was revoked or suspended." }));
}

function trustTable(items, id = "trust") {
  return table([
    ["Credential type", (t) => t.credential_type],
    ["Issuer", (t) => link(`#/identity/${t.issuer}`, t.issuer, { class: "mono" })],
    ["Since", (t) => since(t.since)],
  ], items.map((t) => ({ ...t, __key: `${t.credential_type} ${t.issuer}` })), { id, empty: "Nobody is trusted yet." });
}

// The resolution result (document and metadata); a deactivated DID answers 410 with both.
async function resolveDid(did, version) {
  const headers = { accept: "application/did-resolution" };
  if (token()) headers.authorization = `Bearer ${token()}`;
  const options = version ? `?versionId=${version}` : "";
  const answer = await fetch(`/v1/dids/${encodeURIComponent(did)}${options}`, { headers });
  const result = await answer.json();
  if (!answer.ok && answer.status !== 410) {
    const problem = result.didResolutionMetadata?.problemDetails ?? result;
    throw new ApiError(answer.status, problem);
  }
  return result;
}

// The indexes set in a BitstringStatusList: multibase base64url, GZIP, one bit per index.
async function setIndexes(encoded) {
  const text = encoded.slice(1).replace(/-/g, "+").replace(/_/g, "/");
  const packed = Uint8Array.from(atob(text + "=".repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0));
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
  const bits = new Uint8Array(await new Response(stream).arrayBuffer());
  const set = [];
  bits.forEach((byte, i) => {
    for (let b = 0; byte && b < 8; b++) if (byte & (0x80 >> b)) set.push(i * 8 + b);
  });
  return set;
}

async function statusLists(did) {
  const rows = [];
  for (const purpose of ["revocation", "suspension"]) {
    const url = `${did}/status/${purpose}/0`;
    try {
      const list = await api(`/v1/dids/${encodeURIComponent(did)}/status/${purpose}/0`);
      const set = await setIndexes(list.credentialSubject.encodedList);
      rows.push({ url, purpose, set, from: list.validFrom, __key: url });
    } catch (error) {
      if (error.status !== 404) throw error;
    }
  }
  return table([
    ["List", (l) => link(`/v1/dids/${l.url}`, l.url, { class: "mono" })],
    ["Purpose", (l) => l.purpose],
    ["Set", (l) => (l.set.length ? `${l.set.length}: ${l.set.slice(0, 20).join(", ")}${l.set.length > 20 ? " …" : ""}` : "none")],
    ["As of", (l) => when(l.from)],
  ], rows, { id: "status-lists", empty: "This DID has issued no credential with a status." });
}

async function didPage(did, version) {
  const [result, history, trust] = await Promise.all([
    resolveDid(did, version),
    query("did", "history", { did }),
    api("/v1/trust"),
  ]);
  const doc = result.didDocument;
  const meta = result.didDocumentMetadata;
  const relations = ["authentication", "assertionMethod", "capabilityInvocation"];
  return h("section", {},
    h("h1", {}, "DID ", h("span", { class: "mono", id: "did-id" }, doc.id)),
    h("div", { class: "panel" }, fields([
      ["Status", meta.deactivated ? badge("deactivated", "bad") : badge("active")],
      ["Version", h("span", { id: "did-version" }, meta.versionId,
        meta.nextVersionId ? h("span", {}, " (not the latest: ", link(`#/identity/${did}`, "see the latest"), ")") : "")],
      ["Written in block", blockLink(meta.versionHeight)],
      ["Created", when(meta.created)],
      ["Updated", when(meta.updated)],
      ["Controllers", [doc.controller].flat().join(", ")],
      ["Also known as", (doc.alsoKnownAs ?? []).join(", ") || "–"],
    ])),
    h("h2", {}, "Keys"),
    table([
      ["Id", (m) => `#${m.id.split("#")[1]}`],
      ["Type", (m) => m.type],
      ["Used for", (m) => relations.filter((r) => (doc[r] ?? []).includes(m.id)).join(", ")],
      ["Public key", (m) => h("span", { class: "mono" }, m.publicKeyMultibase)],
    ], doc.verificationMethod, { id: "did-keys", empty: "No keys." }),
    h("h2", {}, "Services"),
    table([
      ["Id", (s) => `#${s.id.split("#")[1]}`],
      ["Type", (s) => s.type],
      ["Endpoint", (s) => s.serviceEndpoint],
    ], doc.service ?? [], { empty: "No services." }),
    h("h2", {}, "History"),
    table([
      ["Version", (v) => link(`#/identity/${did}/${v.versionId}`, `version ${v.versionId}`)],
      ["Block", (v) => blockLink(v.height)],
      ["Time", (v) => nsWhen(v.time)],
      ["", (v) => (v.deactivated ? badge("deactivated", "bad") : "")],
    ], history.map((v) => ({ ...v, __key: v.versionId })), { id: "did-history" }),
    h("h2", {}, "Trusted for"),
    trustTable(trust.items.filter((t) => t.issuer === doc.id), "did-trust"),
    h("h2", {}, "Status lists"),
    await statusLists(did),
    h("h2", {}, "Document"),
    h("pre", { class: "source", id: "did-document" }, json(doc)));
}

async function search(text) {
  if (text.trim().startsWith("did:")) return `#/identity/${text.trim()}`;  // DIDs are case-sensitive
  const q = text.trim().toLowerCase().replace(/^0x/, "");
  if (/^\d+$/.test(q)) return `#/blocks/${q}`;
  if (/^[0-9a-f]{64}$/.test(q)) {
    try { await api(`/v1/transactions/${q}`); return `#/txs/${q}`; } catch (error) { if (error.status !== 404) throw error; }
    return `#/notary/${q}`;
  }
  if (/^[a-z][a-z0-9-]*$/.test(q)) return `#/orgs/${q}`;
  throw new Error(`“${text}” is not a height, a transaction hash, a digest, a DID or an organization id`);
}

// ------------------------------------------------------------------ routing and live updates
const ROUTES = [
  [/^\/?$/, "overview", overview, true],
  [/^\/blocks$/, "blocks", blocksPage, true],
  [/^\/blocks\/(\d+)$/, "block", blockPage, false],
  [/^\/txs$/, "txs", txsPage, true],
  [/^\/txs\/([0-9a-fA-F]{64})$/, "tx", txPage, false],
  [/^\/orgs$/, "orgs", orgsPage, true],
  [/^\/orgs\/([^/]+)$/, "org", orgPage, false],
  [/^\/governance$/, "governance", governancePage, true],
  [/^\/governance\/(\d+)$/, "proposal", proposalPage, true],
  [/^\/contracts$/, "contracts", contractsPage, true],
  [/^\/contracts\/([^/]+)$/, "contract", contractPage, false],
  [/^\/notary(?:\/([0-9a-fA-F]*))?$/, "notary", notaryPage, true],
  [/^\/data$/, "data", dataPage, true],
  [/^\/data\/([0-9a-fA-F]+)$/, "dataset", datasetPage, true],
  [/^\/identity$/, "identity", identityPage, true],
  [/^\/identity\/(did:[^/]+)(?:\/(\d+))?$/, "did", didPage, true],
  [/^\/admin$/, "admin", adminPage, false],
];
const NAV = {
  block: "blocks", tx: "txs", org: "orgs", proposal: "governance", contract: "contracts",
  dataset: "data", did: "identity",
};
let current = null;
let rendering = 0;

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, ""));
  for (const [pattern, name, page, isLive] of ROUTES) {
    const match = path.match(pattern);
    if (match) return { name, page, isLive, args: match.slice(1) };
  }
  return null;
}

async function render({ quiet = false } = {}) {
  const found = route();
  const ticket = ++rendering;
  if (!found) {
    view.replaceChildren(h("p", { class: "error" }, "There is no such page."), link("#/", "To the overview"));
    return;
  }
  current = found;
  document.querySelectorAll("[data-nav]").forEach((a) =>
    a.classList.toggle("active", a.dataset.nav === (NAV[found.name] ?? found.name)));
  if (!quiet) view.setAttribute("aria-busy", "true");
  let node;
  try {
    node = await found.page(...found.args);
  } catch (error) {
    node = h("div", { class: "error", id: "page-error" }, error.message);
  }
  if (ticket !== rendering) return;  // a newer render started meanwhile
  const before = new Set(Array.from(view.querySelectorAll("tr[data-key]"), (tr) => tr.dataset.key));
  view.replaceChildren(node);
  if (quiet) {
    view.querySelectorAll("tr[data-key]").forEach((tr) => {
      if (!before.has(tr.dataset.key)) tr.classList.add("fresh");
    });
  }
  view.dataset.page = found.name;
  view.removeAttribute("aria-busy");
  document.title = `Cornerstone · ${found.name}`;
}

function updateAdminLink() {
  document.getElementById("admin-link").textContent = token() ? "Admin (signed in)" : "Admin";
}

let pending = null;

// A live refresh must not throw away what someone is typing (a token, a proposal).
function editing() {
  return Array.from(view.querySelectorAll("input, textarea, select"))
    .some((field) => field === document.activeElement || (field.value ?? "") !== (field.defaultValue ?? field.value));
}

// The live stream is read with fetch, not EventSource: EventSource cannot send a header, so
// under the gateway's --auth required its stream would be refused, and the token must not go in
// the URL (URLs end up in access logs). Resuming follows the rules the gateway serves: after a
// drop, `Last-Event-ID` names the last whole event handled; before the first event,
// `from_height` is the first block that was not indexed when the console began to follow. So
// no event is missed or handled twice across reconnects.
const STREAM_RETRY_MS = 2000;  // until the gateway's `retry:` field says otherwise
const STREAM_MIN_RETRY_MS = 500;  // a `retry: 0` must not make a tight loop
const STREAM_MAX_RETRY_MS = 30000;

function followStream({ onEvent, onState }) {
  let lastId = null;  // the last event id the stream gave: where to resume
  let fromHeight = null;
  let retryMs = STREAM_RETRY_MS;
  let failures = 0;  // connections in a row that failed before they opened
  let controller = null;
  let timer = null;

  async function firstUnindexed() {
    const latest = await api("/v1/blocks?limit=1");
    return (latest.items[0]?.height ?? 0) + 1;
  }

  async function connect() {
    const own = new AbortController();
    controller = own;
    try {
      if (lastId === null && fromHeight === null) fromHeight = await firstUnindexed();
      const headers = { accept: "text/event-stream" };
      if (token()) headers.authorization = `Bearer ${token()}`;
      if (lastId !== null) headers["last-event-id"] = lastId;
      const path = lastId === null ? `/v1/stream?from_height=${fromHeight}` : "/v1/stream";
      const answer = await fetch(path, { headers, signal: own.signal, cache: "no-store" });
      if (answer.status === 401) throw new ApiError(401, null);
      if (!answer.ok || !(answer.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        throw new ApiError(answer.status, null);
      }
      failures = 0;
      onState("open");
      await readEvents(answer.body, {
        position: (id) => { lastId = id; },
        dispatch: (event) => {
          try { onEvent(event); } catch (error) { console.error("live update failed", error); }
        },
        retry: (ms) => { retryMs = Math.max(ms, STREAM_MIN_RETRY_MS); },
      }, lastId);
      failures = 0;  // the gateway ended a good stream (it is stopping): come back soon
    } catch (error) {
      if (own.signal.aborted) return;
      if (error.status === 401) {  // only a new token helps: wait for restart()
        onState("signin");
        return;
      }
      failures += 1;
    }
    if (own.signal.aborted) return;
    onState("retry");
    const backoff = Math.min(STREAM_MAX_RETRY_MS, retryMs * 2 ** Math.max(0, failures - 1));
    timer = setTimeout(connect, backoff * (0.8 + Math.random() * 0.4));  // consoles spread out
  }

  return {
    // Connect now, or anew from the same position (after a sign-in or a sign-out).
    restart() {
      clearTimeout(timer);
      controller?.abort();
      failures = 0;
      connect();
    },
  };
}

const LIVE_STATES = {
  open: ["live", "live on"],
  retry: ["reconnecting…", "live off"],
  signin: ["sign in for updates", "live off"],
};

const stream = followStream({
  onState: (state) => { [live.textContent, live.className] = LIVE_STATES[state]; },
  onEvent: (message) => {
    const event = JSON.parse(message.data);
    live.textContent = `live · block ${event.height}`;
    live.className = "live on";
    live.dataset.height = String(event.height);
    live.dataset.lastEventId = message.id ?? "";
    if (!current?.isLive || pending) return;
    pending = setTimeout(() => {
      pending = null;
      if (!editing()) render({ quiet: true });
    }, LIVE_DEBOUNCE_MS);
  },
});

// Signing in or out changes what the stream may send: reconnect with the new token at once.
function tokenChanged() {
  updateAdminLink();
  stream.restart();
}

document.getElementById("search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("search-input");
  try {
    location.hash = await search(input.value);
  } catch (error) {
    view.replaceChildren(h("p", { class: "error", id: "search-error" }, error.message));
  }
});
window.addEventListener("hashchange", () => render());
updateAdminLink();
render();
stream.restart();
